import { afterEach, describe, expect, it, vi } from 'vitest';
import { captureFrom } from '../../../src/capture/capture.js';
import { messages, type Event } from '../../../src/dataflow/event.js';
import { DEFAULT_KAFKAJS_FETCH, KafkaJsSettingsError, kafkaJsFetchSettings } from '../../../src/transport/kafkajs/kafkajs-fetch-settings.js';
import { KafkaJsTransport } from '../../../src/transport/kafkajs/kafkajs-transport.js';
import { startTestBroker, type TestBroker } from '../broker-helpers.js';

describe('kafkajs fetch settings', () => {
  it('defaults to 2 MiB per partition, 4 MiB per fetch, minBytes 1, 500 ms', () => {
    expect(kafkaJsFetchSettings({})).toEqual({ maxBytesPerPartition: 2 << 20, maxBytes: 4 << 20, minBytes: 1, maxWaitTimeInMs: 500 });
    expect(kafkaJsFetchSettings({})).toEqual(DEFAULT_KAFKAJS_FETCH);
  });

  it('rejects a minBytes at or above what one fetch of a one-partition topic can return, saying what to set', () => {
    const atPartitionMax = (): unknown => kafkaJsFetchSettings({ minBytes: 2 << 20 });
    expect(atPartitionMax).toThrow(KafkaJsSettingsError);
    expect(atPartitionMax).toThrow(/minBytes \(2097152\) is at or above maxBytesPerPartition \(2097152\).*Set minBytes below 2097152/);
    // The total is the lower bound here: per partition 8 MiB, per fetch 1 MiB.
    expect(() => kafkaJsFetchSettings({ maxBytesPerPartition: 8 << 20, maxBytes: 1 << 20, minBytes: 1 << 20 })).toThrow(/at or above maxBytes \(1048576\).*raise maxBytes/);
    try {
      kafkaJsFetchSettings({ minBytes: 3 << 20 });
    } catch (error) {
      expect((error as KafkaJsSettingsError).option).toBe('minBytes');
      expect((error as Error).name).toBe('KafkaJsSettingsError');
    }
    // Just below the maximum is allowed: such a fetch can fill up and be answered early.
    expect(kafkaJsFetchSettings({ minBytes: (2 << 20) - 1 }).minBytes).toBe((2 << 20) - 1);
  });

  it('rejects sizes and waits that are not whole, positive numbers', () => {
    expect(() => kafkaJsFetchSettings({ maxBytes: 0 })).toThrow(/maxBytes must be a whole number/);
    expect(() => kafkaJsFetchSettings({ maxBytesPerPartition: 1.5 })).toThrow(/maxBytesPerPartition must be a whole number/);
    expect(() => kafkaJsFetchSettings({ minBytes: -1 })).toThrow(/minBytes must be/);
    expect(() => kafkaJsFetchSettings({ maxWaitTimeInMs: Number.NaN })).toThrow(/maxWaitTimeInMs must be/);
  });

  it('KafkaJsTransport refuses the trap at construction, before it connects anywhere', () => {
    expect(() => new KafkaJsTransport({ brokers: ['127.0.0.1:1'], minBytes: 2 << 20 })).toThrow(KafkaJsSettingsError);
  });
});

describe('kafkajs replay consumers (embedded broker)', () => {
  let broker: TestBroker | undefined;
  let transport: KafkaJsTransport | undefined;
  afterEach(async () => {
    await transport?.close();
    await broker?.cleanup();
  });

  it('fetch with the transport settings, and replay everything with them', async () => {
    broker = await startTestBroker();
    transport = new KafkaJsTransport({ brokers: [broker.address], batchBytes: 64 * 1024, maxBytesPerPartition: 256 << 10, maxBytes: 512 << 10 });
    const events: Event<number, number>[] = Array.from({ length: 40 }, (_, b) => messages(0, Float64Array.from({ length: 1024 }, (_, i) => b * 1024 + i)));
    await captureFrom(events, await transport.pusher<number, number>('kfs-0'));
    const consumer = vi.spyOn(transport.kafka, 'consumer');
    const iterator = transport.iterator<number, number>('kfs-0');
    let seen = 0;
    try {
      while (seen < 40 * 1024) {
        const e = iterator.next();
        if (e === undefined) await iterator.whenReady();
        else if (e.kind === 'messages') seen += e.data.length;
      }
    } finally {
      await iterator.close();
    }
    expect(seen).toBe(40 * 1024);
    expect(consumer).toHaveBeenCalledTimes(1);
    expect(consumer.mock.calls[0]![0]).toMatchObject({ maxBytesPerPartition: 256 << 10, maxBytes: 512 << 10, minBytes: 1, maxWaitTimeInMs: 500 });
  });
});
