/**
 * Wire-codec throughput on the broker's hot paths: decode and encode of a 1 MiB Produce request (v7
 * classic, v9 flexible) in two shapes — one 1 MiB batch, and 256 partitions of 4 KiB batches — plus encode
 * of a 1 MiB Fetch response. Record batches are zero-copy subarrays when decoded and chunks by reference
 * when encoded, so "encode to chunks" is what reaches socket.writev. In those rows the record bytes are only
 * referenced, never read or copied, so they are timed per request (µs), not in MB/s, and stand beside no
 * limit: memcpy reads and writes every byte, they touch only the fields around the records. Only
 * "encode + concat" touches every byte (one fresh buffer and one copy), in MB/s beside this machine's
 * allocate + copy speed for 1 MiB. MB = 10^6 bytes.
 */
import { randomBytes } from 'node:crypto';
import { Fetch, Produce, type FetchResponse, type ProduceRequest } from '../src/protocol/messages/index.js';
import { createFetchResponse, createFetchResponseFetchableTopicResponse, createFetchResponsePartitionData } from '../src/protocol/messages/fetch.js';
import { Reader, Writer } from '../src/protocol/primitives.js';
import type { BenchRow } from './types.js';

const MIB = 1024 * 1024;
/** The note on rows whose record bytes are never read or copied (so no byte-touching limit applies). */
const REFERENCED = 'record bytes only referenced (subarrays / chunks), never read or copied';

/** Runs `fn` (which processes `bytes`) for about `seconds` after a warm-up; returns MB/s. */
function throughput(bytes: number, fn: () => unknown, seconds = 0.5): number {
  for (let i = 0; i < 20; i++) fn();
  let iterations = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  do {
    for (let i = 0; i < 16; i++) fn();
    iterations += 16;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  } while (elapsed < seconds);
  return (bytes * iterations) / elapsed / 1e6;
}

/** Microseconds per call of `fn`, for work whose cost does not grow with the bytes it references. */
function microsPerCall(fn: () => unknown): number {
  const bytesPerCall = 1e6; // throughput() counts MB/s; with 1 MB "per call", MB/s is calls/s
  return 1e6 / throughput(bytesPerCall, fn);
}

function produceRequest(topics: number, partitions: number): ProduceRequest {
  const batchSize = Math.floor(MIB / (topics * partitions));
  return {
    transactionalId: null,
    acks: -1,
    timeoutMs: 30000,
    topicData: Array.from({ length: topics }, (_, t) => ({
      name: `bench-topic-${t}`,
      partitionData: Array.from({ length: partitions }, (_, p) => ({ index: p, records: randomBytes(batchSize) })),
    })),
  };
}

function fetchResponse(partitions: number): FetchResponse {
  const batchSize = Math.floor(MIB / partitions);
  return createFetchResponse({
    responses: [
      createFetchResponseFetchableTopicResponse({
        topic: 'bench-topic',
        topicId: '5a1b2c3d-0000-4000-8000-00000000abcd',
        partitions: Array.from({ length: partitions }, (_, p) =>
          createFetchResponsePartitionData({ partitionIndex: p, highWatermark: 1000n, lastStableOffset: 1000n, logStartOffset: 0n, records: randomBytes(batchSize) }),
        ),
      }),
    ],
  });
}

export default async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const src = randomBytes(MIB);
  // A fresh 1 MiB buffer per message costs page faults and GC; this is the bound for "encode + concat".
  const allocCopy = throughput(MIB, () => {
    const fresh = Buffer.allocUnsafe(MIB);
    src.copy(fresh);
    return fresh;
  });
  rows.push({ name: 'allocate + copy 1 MiB (reference)', value: allocCopy, unit: 'MB/s' });

  for (const [shape, topics, partitions] of [
    ['1 x 1 MiB batch', 1, 1],
    ['256 x 4 KiB batches', 4, 64],
  ] as const) {
    const value = produceRequest(topics, partitions);
    for (const version of [7, 9]) {
      const w = new Writer();
      Produce.writeRequest(w, version, value);
      const bytes = w.toBuffer();
      const label = `Produce v${version} ${shape}`;
      rows.push({
        name: `${label}: decode (records referenced)`,
        value: microsPerCall(() => Produce.readRequest(new Reader(bytes), version)),
        unit: 'µs/request',
        note: REFERENCED,
      });
      rows.push({
        name: `${label}: encode to chunks (records referenced)`,
        value: microsPerCall(() => {
          const out = new Writer();
          Produce.writeRequest(out, version, value);
          return out.toChunks();
        }),
        unit: 'µs/request',
        note: REFERENCED,
      });
      rows.push({
        name: `${label}: encode + concat`,
        value: throughput(bytes.length, () => {
          const out = new Writer();
          Produce.writeRequest(out, version, value);
          return out.toBuffer();
        }),
        unit: 'MB/s',
        limit: allocCopy, limitName: 'alloc + copy',
        note: 'one fresh buffer and copy of the whole request',
      });
    }
  }

  for (const version of [11, 12]) {
    const value = fetchResponse(64);
    rows.push({
      name: `Fetch v${version} response 64 x 16 KiB: encode to chunks (records referenced)`,
      value: microsPerCall(() => {
        const out = new Writer();
        Fetch.writeResponse(out, version, value);
        return out.toChunks();
      }),
      unit: 'µs/response',
      note: `${REFERENCED}; ready for writev`,
    });
  }
  return rows;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  for (const row of await run()) console.log(`${row.name.padEnd(52)} ${row.value.toFixed(0).padStart(10)} ${row.unit}${row.note ? '  ' + row.note : ''}`);
}
