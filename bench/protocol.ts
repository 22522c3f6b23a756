/**
 * Wire-codec throughput on the broker's hot paths: decode and encode of a 1 MiB Produce request (v7
 * classic, v9 flexible) in two shapes — one 1 MiB batch, and 256 partitions of 4 KiB batches — plus encode
 * of a 1 MiB Fetch response. Record batches are zero-copy subarrays when decoded and chunks by reference
 * when encoded, so "encode (chunks)" is what reaches socket.writev; "encode + concat" adds one copy of
 * everything. The limit column is this machine's memcpy speed for 1 MiB (allocate + copy for the concat
 * rows). MB = 10^6 bytes.
 */
import { randomBytes } from 'node:crypto';
import { Fetch, Produce, type FetchResponse, type ProduceRequest } from '../src/protocol/messages/index.js';
import { createFetchResponse, createFetchResponseFetchableTopicResponse, createFetchResponsePartitionData } from '../src/protocol/messages/fetch.js';
import { Reader, Writer } from '../src/protocol/primitives.js';
import type { BenchRow } from './types.js';

const MIB = 1024 * 1024;

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
  const dst = Buffer.allocUnsafe(MIB);
  const memcpy = throughput(MIB, () => src.copy(dst));
  rows.push({ name: 'memcpy 1 MiB (reference)', value: memcpy, unit: 'MB/s' });
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
        name: `${label}: decode`,
        value: throughput(bytes.length, () => Produce.readRequest(new Reader(bytes), version)),
        unit: 'MB/s',
        limit: memcpy,
        note: 'records are subarrays (zero copy)',
      });
      rows.push({
        name: `${label}: encode (chunks)`,
        value: throughput(bytes.length, () => {
          const out = new Writer();
          Produce.writeRequest(out, version, value);
          return out.toChunks();
        }),
        unit: 'MB/s',
        limit: memcpy,
      });
      rows.push({
        name: `${label}: encode + concat`,
        value: throughput(bytes.length, () => {
          const out = new Writer();
          Produce.writeRequest(out, version, value);
          return out.toBuffer();
        }),
        unit: 'MB/s',
        limit: allocCopy,
        note: 'one fresh buffer and copy of the whole request',
      });
    }
  }

  for (const version of [11, 12]) {
    const value = fetchResponse(64);
    const w = new Writer();
    Fetch.writeResponse(w, version, value);
    const size = w.length;
    rows.push({
      name: `Fetch v${version} response 64 x 16 KiB: encode (chunks)`,
      value: throughput(size, () => {
        const out = new Writer();
        Fetch.writeResponse(out, version, value);
        return out.toChunks();
      }),
      unit: 'MB/s',
      limit: memcpy,
      note: 'batches by reference, ready for writev',
    });
  }
  return rows;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  for (const row of await run()) console.log(`${row.name.padEnd(52)} ${row.value.toFixed(0).padStart(10)} ${row.unit}${row.note ? '  ' + row.note : ''}`);
}
