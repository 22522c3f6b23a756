/**
 * Producer state saved at a clean shutdown (`producer-state.snapshot` in the data dir), so a restarted broker
 * knows its idempotent producers without scanning any log — as Kafka's `.snapshot` files do. Each entry
 * records the partition's high watermark; it is used only if the log still ends there, and the file is
 * deleted once read, so a later crash falls back to scanning the log.
 */
import fs from 'node:fs';
import path from 'node:path';
import { FramedLog } from '../framed-log.js';
import { PayloadReader, PayloadWriter } from '../groups/payload.js';
import type { ProducerSnapshot } from './producer-state.js';

export const SNAPSHOT_FILE = 'producer-state.snapshot';
const FORMAT = 1;

export interface PartitionSnapshot {
  topic: string;
  partition: number;
  highWatermark: bigint;
  producers: ProducerSnapshot[];
}

export function writeProducerSnapshot(dataDir: string, partitions: readonly PartitionSnapshot[]): void {
  const file = path.join(dataDir, SNAPSHOT_FILE);
  const { log } = FramedLog.open(file);
  try {
    log.rewriteSync(partitions.map(encode));
  } finally {
    log.closeSync();
  }
}

/** Reads and removes the snapshot; keyed by "partition:topic". Empty when there is none (or it is damaged). */
export function takeProducerSnapshot(dataDir: string): Map<string, PartitionSnapshot> {
  const file = path.join(dataDir, SNAPSHOT_FILE);
  const out = new Map<string, PartitionSnapshot>();
  if (!fs.existsSync(file)) return out;
  const { log, payloads, truncatedBytes } = FramedLog.open(file);
  log.closeSync();
  fs.rmSync(file, { force: true });
  if (truncatedBytes > 0) return out; // a torn snapshot is not trusted at all; the logs are scanned instead
  for (const payload of payloads) {
    const p = decode(payload);
    if (p) out.set(`${p.partition}:${p.topic}`, p);
  }
  return out;
}

function encode(p: PartitionSnapshot): Buffer {
  const w = new PayloadWriter(64 + p.producers.length * 64).int8(FORMAT).string(p.topic).int32(p.partition).int64(p.highWatermark).int32(p.producers.length);
  for (const pr of p.producers) {
    w.int64(pr.producerId).int16(pr.epoch).int64(BigInt(pr.lastUsed)).int8(pr.batches.length);
    for (const b of pr.batches) w.int32(b.firstSeq).int32(b.lastSeq).int64(b.baseOffset);
  }
  return w.toBuffer();
}

function decode(payload: Buffer): PartitionSnapshot | undefined {
  const r = new PayloadReader(payload);
  if (r.int8() !== FORMAT) return undefined;
  const topic = r.string() ?? '';
  const partition = r.int32();
  const highWatermark = r.int64();
  const n = r.int32();
  const producers: ProducerSnapshot[] = [];
  for (let i = 0; i < n; i++) {
    const producerId = r.int64();
    const epoch = r.int16();
    const lastUsed = Number(r.int64());
    const nb = r.int8();
    const batches = [];
    for (let k = 0; k < nb; k++) batches.push({ firstSeq: r.int32(), lastSeq: r.int32(), baseOffset: r.int64() });
    producers.push({ producerId, epoch, lastUsed, batches });
  }
  return { topic, partition, highWatermark, producers };
}
