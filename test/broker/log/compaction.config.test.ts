import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, parseBrokerArgs, resolveConfig } from '../../../src/broker/config.js';
import { LogManager } from '../../../src/broker/log/log-manager.js';
import { removeDir, tempDir } from './helpers.js';
import { keyedBatch, readRecords } from './compaction-helpers.js';

describe('log cleaner flags', () => {
  it("parse with Kafka's names and defaults", () => {
    const d = resolveConfig({});
    expect([d.logCleanerEnable, d.logCleanerBackoffMs, d.logCleanerIoMaxBytesPerSecond]).toEqual([true, 15_000, -1]);
    const c = parseBrokerArgs(['--log-cleaner-enable', 'false', '--log-cleaner-backoff-ms', '2s', '--log-cleaner-io-max-bytes-per-second', '1m']);
    expect([c.logCleanerEnable, c.logCleanerBackoffMs, c.logCleanerIoMaxBytesPerSecond]).toEqual([false, 2000, 1024 * 1024]);
    expect(() => parseBrokerArgs(['--log-cleaner-backoff-ms', '1'])).toThrow(ConfigError);
    expect([d.logCleanerDedupeBufferSize, d.logCleanerIoBufferSize]).toEqual([128 * 1024 * 1024, 512 * 1024]);
    const b = parseBrokerArgs(['--log-cleaner-dedupe-buffer-size', '1m', '--log-cleaner-io-buffer-size', '64k']);
    expect([b.logCleanerDedupeBufferSize, b.logCleanerIoBufferSize]).toEqual([1024 * 1024, 64 * 1024]);
    // Below one key-map entry (24 bytes) or a 1 KiB buffer is refused with the flag's name.
    expect(() => parseBrokerArgs(['--log-cleaner-dedupe-buffer-size', '23'])).toThrow(/log-cleaner-dedupe-buffer-size/);
    expect(() => parseBrokerArgs(['--log-cleaner-io-buffer-size', '512'])).toThrow(/log-cleaner-io-buffer-size/);
  });
});

describe('the cleaner timer', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => removeDir(dir));

  async function populate(enable: boolean) {
    const logs = await LogManager.open(dir, { segmentBytes: 1024, logCleanerEnable: enable, logCleanerBackoffMs: 20 });
    await logs.createTopic('c', 1, { 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0' });
    const log = logs.partition('c', 0)!;
    for (let i = 0; i < 40; i++) await log.append(keyedBatch([{ key: `k${i % 3}`, value: `v${i}-${'x'.repeat(40)}` }], Date.now()));
    return { logs, log };
  }

  it('compacts every log.cleaner.backoff.ms when log.cleaner.enable is true', async () => {
    const { logs, log } = await populate(true);
    try {
      const deadline = Date.now() + 20_000;
      while ((await readRecords(log)).length === 40) {
        if (Date.now() > deadline) throw new Error('the cleaner timer never compacted the topic within 20 s');
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      await logs.close();
    }
  });

  it('never runs when log.cleaner.enable is false', async () => {
    const { logs, log } = await populate(false);
    try {
      // Twenty backoff periods: an enabled cleaner compacts within one or two (the test above).
      await new Promise((r) => setTimeout(r, 400));
      expect((await readRecords(log)).length).toBe(40);
    } finally {
      await logs.close();
    }
  });
});
