/** Shared by the storage tests: temp dirs, v2 batches built with the protocol encoder, decoding reads. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeRecordBatches, encodeRecordBatch } from '../../../src/protocol/records.js';
import { validateBatch } from '../../../src/protocol/batch-header.js';

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'kq-'));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** One uncompressed batch of `values` (strings), record i with timestamp baseTimestamp + tsDeltas[i]. */
export function batch(values: string[], opts: { baseTimestamp?: number; tsDeltas?: number[]; compression?: 'gzip' } = {}): Buffer {
  return encodeRecordBatch({
    baseOffset: 0n,
    baseTimestamp: BigInt(opts.baseTimestamp ?? 1_700_000_000_000),
    ...(opts.compression ? { compression: opts.compression } : {}),
    records: values.map((v, i) => ({ key: null, value: Buffer.from(v), timestampDelta: opts.tsDeltas?.[i] ?? 0 })),
  });
}

/** A batch of `count` records named `${prefix}-${i}`. */
export function namedBatch(prefix: string, count: number, opts: { baseTimestamp?: number; pad?: number } = {}): Buffer {
  const pad = opts.pad ? '.'.repeat(opts.pad) : '';
  return batch(
    Array.from({ length: count }, (_, i) => `${prefix}-${i}${pad}`),
    opts.baseTimestamp === undefined ? {} : { baseTimestamp: opts.baseTimestamp },
  );
}

/** Every record in `buf` as [offset, value], checking each batch's CRC on the way. */
export function decodeAll(buf: Buffer | null): Array<[bigint, string]> {
  if (buf === null) return [];
  let pos = 0;
  while (pos < buf.length) {
    const r = validateBatch(buf, pos);
    if (!r.ok) throw new Error(`invalid batch at ${pos}: ${JSON.stringify(r.problem, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`);
    pos += r.size;
  }
  const out: Array<[bigint, string]> = [];
  for (const b of decodeRecordBatches(buf)) {
    for (const r of b.records) out.push([b.header.baseOffset + BigInt(r.offsetDelta), r.value?.toString() ?? '']);
  }
  return out;
}

/** Reads the whole partition from `from` by repeated reads, as a consumer would. */
export async function readAll(
  log: { read(offset: bigint, maxBytes: number): Promise<{ records: Buffer | null; highWatermark: bigint }> },
  from: bigint,
  maxBytes = 64 * 1024,
): Promise<Array<[bigint, string]>> {
  const out: Array<[bigint, string]> = [];
  let next = from;
  for (;;) {
    const { records, highWatermark } = await log.read(next, maxBytes);
    if (next >= highWatermark || records === null) return out;
    for (const [o, v] of decodeAll(records)) {
      if (o >= next) out.push([o, v]);
    }
    next = out.length > 0 ? out.at(-1)![0] + 1n : next;
  }
}

/** An error as Node's fs raises it (`code` set), for io seams that inject disk failures. */
export function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected`), { code });
}
