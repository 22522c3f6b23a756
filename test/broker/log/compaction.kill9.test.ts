import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLEANER_KILL_ENV, type CleanPhase } from '../../../src/broker/log/cleaner/swap-files.js';
import { LogManager } from '../../../src/broker/log/log-manager.js';
import { removeDir, tempDir } from './helpers.js';
import { decodeRecordBatches } from '../../../src/protocol/records.js';
import { keyedBatch, latestMap, type ReadRecord, readRecords } from './compaction-helpers.js';

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'clean-until-killed.ts');
const T0 = 1_700_000_000_000;
const NOW = T0 + 1000;

let dir: string;
let reference: string;
beforeEach(() => {
  dir = tempDir();
  reference = tempDir();
});
afterEach(() => {
  removeDir(dir);
  removeDir(reference);
});

/** A compacted topic with several sealed segments, each with keys that later segments overwrite. */
async function populate(into: string): Promise<ReadRecord[]> {
  // An index entry per batch, so a stale index after a swap would send reads to wrong positions.
  const logs = await LogManager.open(into, { segmentBytes: 4096, indexIntervalBytes: 0, logCleanerEnable: false });
  await logs.createTopic('c', 1, { 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0' });
  const log = logs.partition('c', 0)!;
  for (let i = 0; i < 200; i++) {
    await log.append(keyedBatch([{ key: `k${i % 7}`, value: `v${i}` }, { key: `j${i % 3}`, value: i % 10 === 0 ? null : `w${i}` }], T0, i % 2 ? { compression: 'gzip' } : {}));
  }
  const records = await readRecords(log);
  await logs.close();
  return records;
}

function runChild(phase: CleanPhase | undefined): Promise<'killed' | 'done'> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    if (phase) env[CLEANER_KILL_ENV] = phase;
    else delete env[CLEANER_KILL_ENV];
    const child = spawn(process.execPath, ['--import', 'tsx', script, dir, String(NOW)], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve('killed');
      else if (code === 0 && out.includes('done')) resolve('done');
      else reject(new Error(`cleaner child exited with ${code}: ${out}`));
    });
  });
}

async function readPartition(from: string): Promise<ReadRecord[]> {
  const logs = await LogManager.open(from, { logCleanerEnable: false });
  try {
    return await readRecords(logs.partition('c', 0)!);
  } finally {
    await logs.close();
  }
}

describe('kill -9 during a compaction', () => {
  const phases: CleanPhase[] = ['cleaned-written', 'swap-renamed', 'indexes-removed', 'log-replaced'];
  it.each(phases)('after %s: recovery loses nothing, duplicates nothing, and a later clean finishes the job', async (phase) => {
    const written = await populate(dir);
    await populate(reference);
    // What an uninterrupted clean produces.
    const refLogs = await LogManager.open(reference, { logCleanerEnable: false });
    expect((await refLogs.runCleaner(NOW)).segmentsCleaned).toBeGreaterThan(1);
    const expected = await readRecords(refLogs.partition('c', 0)!);
    await refLogs.close();

    expect(await runChild(phase)).toBe('killed');
    const afterCrash = await readPartition(dir);
    expect(fs.readdirSync(path.join(dir, 'c-0')).filter((n) => n.endsWith('.cleaned') || n.endsWith('.swap'))).toEqual([]);
    // Nothing lost: the consumer's view is intact. Nothing duplicated: offsets strictly increase and every
    // record is the one written at its offset.
    expect(latestMap(afterCrash)).toEqual(latestMap(written));
    const byOffset = new Map(written.map((r) => [r.offset, r]));
    for (let i = 0; i < afterCrash.length; i++) {
      if (i > 0) expect(afterCrash[i]!.offset > afterCrash[i - 1]!.offset).toBe(true);
      expect(byOffset.get(afterCrash[i]!.offset)).toEqual(afterCrash[i]);
    }
    // The crash hit the first segment's swap: from 'swap-renamed' on it is committed, before it is not.
    expect(afterCrash.length < written.length).toBe(phase !== 'cleaned-written');
    // A clean without the hook completes the work exactly as an uninterrupted one.
    expect(await runChild(undefined)).toBe('done');
    expect(await readPartition(dir)).toEqual(expected);
  }, 60_000);

  it('after log-replaced, a read at an offset the stale index named still finds that offset (the indexes went before the rename)', async () => {
    // Batches of one size, so every old index position is a batch boundary in the cleaned file too: a stale
    // index would pass recovery's sanity check and send reads to the wrong batch.
    const batch = (key: string) => keyedBatch([{ key, value: 'v'.repeat(20) }], T0);
    const size = batch('s0').length;
    const logs = await LogManager.open(dir, { logCleanerEnable: false });
    await logs.createTopic('c', 1, { 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0', 'segment.bytes': String(10 * size), 'index.interval.bytes': String(4 * size) });
    const log = logs.partition('c', 0)!;
    // Segment 0: s0..s3 (overwritten later) then u0..u5; segment 1 (sealed by segment 2) overwrites s0..s3.
    const keys = ['s0', 's1', 's2', 's3', 'u0', 'u1', 'u2', 'u3', 'u4', 'u5', 's0', 's1', 's2', 's3', 'w0', 'w1', 'w2', 'w3', 'w4', 'w5', 'x'];
    for (const key of keys) await log.append(batch(key));
    const first = log.inactiveSegments()[0]!;
    expect(first.nextOffset).toBe(10n);
    await logs.close();
    // The precondition: segment 0's index names an offset whose old position lies inside the cleaned file.
    const index = fs.readFileSync(path.join(dir, 'c-0', '00000000000000000000.index'));
    const lastEntry = { offset: index.readInt32BE(index.length - 8), position: index.readInt32BE(index.length - 4) };
    expect(lastEntry.offset).toBeGreaterThanOrEqual(4);
    expect(lastEntry.position).toBeLessThan(6 * size);

    expect(await runChild('log-replaced')).toBe('killed');
    const reopened = await LogManager.open(dir, { logCleanerEnable: false });
    try {
      const p = reopened.partition('c', 0)!;
      const { records } = await p.read(BigInt(lastEntry.offset), 1);
      const [b] = decodeRecordBatches(records!);
      expect(b!.header.baseOffset).toBe(BigInt(lastEntry.offset));
      expect(b!.records[0]!.key!.toString()).toBe(`u${lastEntry.offset - 4}`);
    } finally {
      await reopened.close();
    }
  }, 60_000);
});
