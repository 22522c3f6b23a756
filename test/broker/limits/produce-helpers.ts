/** Hand-made record batches and memory readings for the produce-limit tests. */
import fs from 'node:fs';
import { crc32c } from '@node-rs/crc32';
import { BATCH_HEADER_SIZE, BATCH_OFFSET, CRC_START } from '../../../src/protocol/batch-header.js';
import type { Kafka } from 'kafkajs';

/** xxHash32 of a short input (the LZ4 frame header checksum needs it; a few bytes only). */
function xxh32(bytes: Uint8Array, seed = 0): number {
  const P1 = 2654435761, P2 = 2246822519, P3 = 3266489917, P4 = 668265263, P5 = 374761393;
  const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));
  let h = (seed + P5 + bytes.length) >>> 0;
  let i = 0;
  for (; i + 4 <= bytes.length; i += 4) {
    const w = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    h = Math.imul(rotl((h + Math.imul(w, P3)) >>> 0, 17), P4) >>> 0;
  }
  for (; i < bytes.length; i++) h = Math.imul(rotl((h + Math.imul(bytes[i]!, P5)) >>> 0, 11), P1) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, P2) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, P3) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** One LZ4 block that decodes to `n` zero bytes (10 <= n <= 4 MiB): a literal, one long match, 5 literals. */
function zeroBlock(n: number): Buffer {
  const stored = n - 10; // the match covers n - 6 bytes, stored as its length minus 4
  if (stored < 15) return Buffer.from([0x10 | stored, 0x00, 0x01, 0x00, 0x50, 0, 0, 0, 0, 0]);
  const matchExtra = stored - 15; // the rest after the token's 15
  const ext: number[] = [];
  let left = matchExtra;
  while (left >= 255) {
    ext.push(255);
    left -= 255;
  }
  ext.push(left);
  return Buffer.from([0x1f, 0x00, 0x01, 0x00, ...ext, 0x50, 0, 0, 0, 0, 0]);
}

/**
 * An LZ4 frame (independent 4 MiB blocks) that inflates to `inflated` zero bytes from about inflated/255
 * bytes: the shape of a decompression bomb.
 */
export function lz4ZeroBomb(inflated: number): Buffer {
  const BLOCK = 4 * 1024 * 1024;
  const descriptor = Buffer.from([0x60, 0x70]); // version 1, independent blocks; 4 MiB blocks
  const parts: Buffer[] = [Buffer.from([0x04, 0x22, 0x4d, 0x18]), descriptor, Buffer.from([(xxh32(descriptor) >>> 8) & 0xff])];
  const full = zeroBlock(BLOCK);
  for (let left = inflated; left > 0; left -= BLOCK) {
    const block = left >= BLOCK ? full : zeroBlock(Math.max(10, left));
    const size = Buffer.alloc(4);
    size.writeUInt32LE(block.length, 0);
    parts.push(size, block);
  }
  parts.push(Buffer.alloc(4)); // EndMark
  return Buffer.concat(parts);
}

export interface SealOptions {
  /** Compression codec in the attributes (the payload must match it). */
  codec: number;
  recordCount: number;
  baseTimestamp?: bigint;
  maxTimestamp?: bigint;
  attributes?: number;
}

/** A RecordBatch v2 around an arbitrary (compressed) records payload, with a correct CRC32C. */
export function sealBatch(payload: Buffer, o: SealOptions): Buffer {
  const b = Buffer.alloc(BATCH_HEADER_SIZE + payload.length);
  const base = o.baseTimestamp ?? BigInt(Date.now());
  b.writeBigInt64BE(0n, BATCH_OFFSET.baseOffset);
  b.writeInt32BE(b.length - 12, BATCH_OFFSET.batchLength);
  b.writeInt32BE(-1, BATCH_OFFSET.partitionLeaderEpoch);
  b.writeInt8(2, BATCH_OFFSET.magic);
  b.writeInt16BE(o.codec | (o.attributes ?? 0), BATCH_OFFSET.attributes);
  b.writeInt32BE(o.recordCount - 1, BATCH_OFFSET.lastOffsetDelta);
  b.writeBigInt64BE(base, BATCH_OFFSET.baseTimestamp);
  b.writeBigInt64BE(o.maxTimestamp ?? base, BATCH_OFFSET.maxTimestamp);
  b.writeBigInt64BE(-1n, BATCH_OFFSET.producerId);
  b.writeInt16BE(-1, BATCH_OFFSET.producerEpoch);
  b.writeInt32BE(-1, BATCH_OFFSET.baseSequence);
  b.writeInt32BE(o.recordCount, BATCH_OFFSET.recordCount);
  payload.copy(b, BATCH_HEADER_SIZE);
  b.writeUInt32BE(crc32c(b.subarray(CRC_START)) >>> 0, BATCH_OFFSET.crc);
  return b;
}

/** Resident and peak resident memory of a process, in MiB, from /proc/<pid>/status. */
export function memoryOf(pid: number): { rssMiB: number; peakMiB: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: kb('VmRSS') / 1024, peakMiB: kb('VmHWM') / 1024 };
}

/** Creates a topic with topic-level configs through kafkajs, as any client may. */
export async function createTopicWith(kafka: Kafka, topic: string, configs: Record<string, string>, numPartitions = 1): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions, configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })) }] });
  } finally {
    await admin.disconnect();
  }
}
