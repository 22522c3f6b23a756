import { createRequire } from 'node:module';
import { crc32c } from '@node-rs/crc32';
import { describe, expect, it, vi } from 'vitest';
import { installNativeCrc32C, nativeCrc32C, nativeCrc32CCalls, nativeCrc32CStatus } from '../../../src/transport/kafkajs/kafkajs-native-crc.js';

const require = createRequire(import.meta.url);
/** kafkajs's own JavaScript CRC32C (the file the hook leaves alone; the hook replaces the index that wraps it). */
const javascriptCrc32C = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js') as (buffer: Buffer) => number;

describe('native CRC32C for kafkajs', () => {
  it('computes the same values as kafkajs\'s JavaScript CRC32C', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (const length of [0, 1, 3, 8, 61, 1024, 8219, 65_537, 600_000]) {
      const buffer = Buffer.alloc(length);
      for (let i = 0; i < length; i++) buffer[i] = random();
      expect(nativeCrc32C(buffer)).toBe(javascriptCrc32C(buffer) >>> 0);
      expect(nativeCrc32C(buffer.subarray(1))).toBe(javascriptCrc32C(buffer.subarray(1)) >>> 0);
    }
    expect(nativeCrc32C(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  it('is what kafkajs\'s record batch encoder uses, and the CRC it writes is right', async () => {
    // Nothing is installed until asked (a KafkaJsTransport asks when it is created).
    expect(nativeCrc32CStatus().installed).toBe(false);
    expect(require('kafkajs/src/protocol/recordBatch/crc32C')).not.toBe(nativeCrc32C);
    expect(installNativeCrc32C()).toEqual({ installed: true });
    expect(installNativeCrc32C()).toEqual({ installed: true }); // once; the second call changes nothing
    expect(nativeCrc32CStatus()).toEqual({ installed: true });
    expect(require('kafkajs/src/protocol/recordBatch/crc32C')).toBe(nativeCrc32C);
    const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (r: { offsetDelta: number; value: Buffer }) => unknown;
    const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
      RecordBatch: (b: { records: unknown[]; lastOffsetDelta: number }) => Promise<{ buffer: Buffer }>;
    };
    const before = nativeCrc32CCalls();
    const records = [0, 1, 2].map((i) => Record({ offsetDelta: i, value: Buffer.alloc(8192, i + 1) }));
    const encoded = (await RecordBatch({ records, lastOffsetDelta: 2 })).buffer;
    expect(nativeCrc32CCalls()).toBe(before + 1);
    // firstOffset int64, length int32, partitionLeaderEpoch int32, magic int8, then the CRC of what follows it.
    expect(encoded.readInt8(16)).toBe(2);
    const body = encoded.subarray(21);
    expect(encoded.readUInt32BE(17)).toBe(crc32c(body));
    expect(encoded.readUInt32BE(17)).toBe(javascriptCrc32C(body) >>> 0);
  });

  it('leaves kafkajs alone when its encoder was loaded before the hook', async () => {
    // The encoder is in the require cache now (previous test); a fresh copy of the hook must notice.
    vi.resetModules();
    const fresh = (await import('../../../src/transport/kafkajs/kafkajs-native-crc.js')) as typeof import('../../../src/transport/kafkajs/kafkajs-native-crc.js');
    expect(fresh.installNativeCrc32C).not.toBe(installNativeCrc32C);
    const status = fresh.installNativeCrc32C();
    expect(status.installed).toBe(false);
    expect(status.reason).toMatch(/before the hook/);
    expect(require('kafkajs/src/protocol/recordBatch/crc32C')).toBe(nativeCrc32C); // the first install stands
  });
});
