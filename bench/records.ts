/**
 * RecordBatch throughput: native CRC32C over 1 MiB, and encode/decode of the batch capture builds
 * (128 records × 8 KiB values, one record per event), uncompressed and with each codec. Encode is set beside
 * this machine's memcpy speed (it copies every value once); MB = 10^6 bytes. CRC32C bounds both.
 */
import { randomBytes } from 'node:crypto';
import { crc32c } from '@node-rs/crc32';
import {
  decodeRecordBatch,
  encodeRecordBatch,
  encodeRecordBatchChunks,
  initCompression,
  type CompressionName,
  type RecordBatchInput,
} from '../src/protocol/records.js';
import type { BenchRow } from './types.js';

/** Runs `fn` (which processes `bytes`) for about `seconds` after a warm-up; returns MB/s. */
function throughput(bytes: number, fn: () => unknown, seconds = 0.6): number {
  for (let i = 0; i < 5; i++) fn();
  let iterations = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  do {
    for (let i = 0; i < 8; i++) fn();
    iterations += 8;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  } while (elapsed < seconds);
  return (bytes * iterations) / elapsed / 1e6;
}

/** Random bytes with some repetition, roughly as compressible as msgpack-encoded numeric events. */
function eventLike(size: number): Buffer {
  const buf = randomBytes(size);
  for (let i = 0; i < size; i += 16) buf.fill(0, i, Math.min(i + 6, size));
  return buf;
}

export default async function run(): Promise<BenchRow[]> {
  await initCompression();
  const rows: BenchRow[] = [];

  const mib = randomBytes(1 << 20);
  const target = Buffer.allocUnsafe(1 << 20);
  const memcpy = throughput(mib.length, () => mib.copy(target));
  rows.push({ name: 'memcpy 1 MiB (machine limit)', value: memcpy, unit: 'MB/s' });
  rows.push({ name: 'CRC32C 1 MiB (native)', value: throughput(mib.length, () => crc32c(mib)), unit: 'MB/s', limit: memcpy, limitName: 'memcpy' });

  const records = Array.from({ length: 128 }, () => ({ key: null, value: eventLike(8192) }));
  const codecs: CompressionName[] = ['none', 'lz4', 'snappy', 'zstd', 'gzip'];
  for (const compression of codecs) {
    const input: RecordBatchInput = { baseTimestamp: 1_700_000_000_000n, compression, records };
    const batch = encodeRecordBatch(input);
    const payload = records.length * 8192;
    const label = compression === 'none' ? 'uncompressed' : compression;
    const seconds = compression === 'none' ? 0.6 : 0.3;
    rows.push({
      name: `encode 128×8 KiB batch, ${label}`,
      value: throughput(payload, () => encodeRecordBatch(input), seconds),
      unit: 'MB/s',
      ...(compression === 'none' ? { limit: memcpy, limitName: 'memcpy' } : {}),
      note: `value bytes/s; batch ${(batch.length / 1024).toFixed(0)} KiB${compression === 'none' ? ', fresh buffer each time' : ''}`,
    });
    if (compression === 'none') {
      const reused = Buffer.allocUnsafe(batch.length);
      rows.push({
        name: 'encode 128×8 KiB batch, into a reused buffer',
        value: throughput(payload, () => encodeRecordBatch(input, reused), seconds),
        unit: 'MB/s',
        limit: memcpy,
        limitName: 'memcpy',
        note: 'no fresh memory per batch',
      });
      rows.push({
        name: 'encode 128×8 KiB batch, as writev chunks',
        value: throughput(payload, () => encodeRecordBatchChunks(input), seconds),
        unit: 'MB/s',
        note: 'values referenced, not copied; CRC32C chained over the chunks',
      });
    }
    rows.push({
      name: `decode 128×8 KiB batch, ${label}`,
      value: throughput(payload, () => decodeRecordBatch(batch), seconds),
      unit: 'MB/s',
      note: compression === 'none' ? 'incl. CRC32C check; values are zero-copy subarrays' : 'incl. CRC32C check and decompression',
    });
  }
  return rows;
}

// Run directly: `npx tsx bench/records.ts`.
if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await run()) console.log(`${r.name.padEnd(42)} ${r.value.toFixed(0).padStart(8)} ${r.unit}  ${r.note ?? ''}`);
}
