/**
 * Storage throughput beside this machine's file limits: sequential 1 MiB file writes and reads (the
 * limits), PartitionLog appends of 1 MiB batches and of 1,000 × 100-byte records, sequential 1 MiB reads
 * through the log, and the time to recover 1 GB of unflushed log after a simulated crash (no clean-shutdown
 * marker, recovery point 0). Data goes to a temp dir under os.tmpdir(); MB = 10^6 bytes.
 */
import fs from 'node:fs/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LogManager } from '../src/broker/log/log-manager.js';
import { encodeRecordBatch } from '../src/protocol/records.js';
import type { BenchRow } from './types.js';

const MiB = 1024 * 1024;
const TOTAL = 1024 * MiB;

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** One batch of `count` records of `valueSize` random-ish bytes. */
function recordBatch(count: number, valueSize: number): Buffer {
  const value = Buffer.alloc(valueSize, 'kafkaesque storage bench ');
  return encodeRecordBatch({ baseTimestamp: BigInt(Date.now()), records: Array.from({ length: count }, () => ({ key: null, value })) });
}

async function fileAppendLimit(dir: string): Promise<number> {
  const chunk = Buffer.alloc(MiB, 7);
  const fh = await fs.open(path.join(dir, 'limit.bin'), 'w');
  const start = process.hrtime.bigint();
  for (let pos = 0; pos < TOTAL; pos += MiB) await fh.write(chunk, 0, MiB, pos);
  const mbps = TOTAL / seconds(start) / 1e6;
  await fh.close();
  return mbps;
}

async function fileReadLimit(dir: string): Promise<number> {
  const chunk = Buffer.allocUnsafe(MiB);
  const fh = await fs.open(path.join(dir, 'limit.bin'), 'r');
  const start = process.hrtime.bigint();
  for (let pos = 0; pos < TOTAL; pos += MiB) await fh.read(chunk, 0, MiB, pos);
  const mbps = TOTAL / seconds(start) / 1e6;
  await fh.close();
  await fs.rm(path.join(dir, 'limit.bin'));
  return mbps;
}

export default async function run(): Promise<BenchRow[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kq-bench-storage-'));
  const rows: BenchRow[] = [];
  try {
    const writeLimit = await fileAppendLimit(dir);
    const readLimit = await fileReadLimit(dir);
    rows.push({ name: 'file append, 1 MiB writes (limit)', value: writeLimit, unit: 'MB/s' });
    rows.push({ name: 'file read, 1 MiB reads (limit, page cache warm)', value: readLimit, unit: 'MB/s', note: 'reads the file just written' });

    // 1 MiB batches into one partition; then read them back sequentially.
    const dataDir = path.join(dir, 'big');
    let logs = await LogManager.open(dataDir, { maxMessageBytes: 2 * MiB });
    await logs.createTopic('bench', 1);
    let log = logs.partition('bench', 0)!;
    const big = recordBatch(16, 64 * 1024 - 64);
    let start = process.hrtime.bigint();
    let written = 0;
    while (written < TOTAL) {
      await log.append(big);
      written += big.length;
    }
    const appendMbps = written / seconds(start) / 1e6;
    rows.push({ name: 'PartitionLog.append, ~1 MiB batches', value: appendMbps, unit: 'MB/s', limit: writeLimit, limitName: 'file append', note: `rss ${Math.round(process.memoryUsage().rss / MiB)} MiB after 1 GiB` });

    // First pass right after the appends (the kernel is still writing them back), then a second one.
    const passes: number[] = [];
    for (let pass = 0; pass < 2; pass++) {
      start = process.hrtime.bigint();
      let read = 0;
      let offset = 0n;
      while (offset < log.highWatermark) {
        const { records } = await log.read(offset, MiB);
        if (records === null) break;
        read += records.length;
        // Continue after the last batch returned: its last offset is base + lastOffsetDelta.
        let pos = 0;
        let last = offset;
        while (pos < records.length) {
          last = records.readBigInt64BE(pos) + BigInt(records.readInt32BE(pos + 23));
          pos += records.readInt32BE(pos + 8) + 12;
        }
        offset = last + 1n;
      }
      passes.push(read / seconds(start) / 1e6);
    }
    rows.push({
      name: 'PartitionLog.read, 1 MiB maxBytes, sequential (page cache warm)',
      value: passes[1]!,
      unit: 'MB/s',
      limit: readLimit,
      limitName: 'file read',
      note: `reads what was just appended; first pass ${passes[0]!.toFixed(0)} MB/s, during writeback of the appends`,
    });

    // Crash with 1 GB unflushed, then time the reopen (validation of every batch, index rebuild).
    await logs.abandon();
    await fs.rm(path.join(dataDir, 'bench-0', 'partition-state.json'), { force: true });
    start = process.hrtime.bigint();
    logs = await LogManager.open(dataDir, { maxMessageBytes: 2 * MiB });
    const recoveryMs = seconds(start) * 1000;
    log = logs.partition('bench', 0)!;
    rows.push({
      name: 'recovery of 1 GB unflushed (kill -9, no marker; page cache warm)',
      value: recoveryMs,
      unit: 'ms',
      limit: 5000,
      limitName: 'target',
      note: `${log.loadStats.recoveredSegments} segment(s) validated, hw ${log.highWatermark}`,
    });
    await logs.close();
    await fs.rm(dataDir, { recursive: true, force: true });

    // Small records: 1,000 × 100 bytes per batch.
    logs = await LogManager.open(path.join(dir, 'small'));
    await logs.createTopic('bench', 1);
    log = logs.partition('bench', 0)!;
    const small = recordBatch(1000, 100);
    const batches = 2000;
    start = process.hrtime.bigint();
    for (let i = 0; i < batches; i++) await log.append(small);
    const elapsed = seconds(start);
    rows.push({
      name: 'PartitionLog.append, 1,000 × 100 B records/batch',
      value: (batches * 1000) / elapsed,
      unit: 'records/s',
      note: `${((batches * small.length) / elapsed / 1e6).toFixed(0)} MB/s; each batch header and CRC32C validated, not individual records`,
    });
    await logs.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await run()) console.log(`${r.name}: ${r.value.toFixed(1)} ${r.unit}${r.limit ? ` (limit ${r.limit.toFixed(0)})` : ''}${r.note ? ` — ${r.note}` : ''}`);
}
