/**
 * `npm run bench -- roundtrip`: the seed's workload — 5 streams × N numbers (8 bytes each, batches of 1,024)
 * captured by 5 workers and replayed by 3 (countPerTime) through the embedded broker, per transport, in MB/s
 * beside this machine's limit measured in the same run: loopback TCP for the wire and kafkajs transports, and
 * sequential file append for the embedded one (it moves batches between threads through the broker's
 * in-process link, so no socket bounds it; appending the log does). Also the in-process transport (no log,
 * one thread) as the ceiling of capture/replay itself.
 *
 * KQ_ROUNDTRIP_NUMBERS sets N per stream (default 10,000,000 → 400 MB per direction; shorter runs mostly time worker start-up).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { lastValueFrom, reduce } from 'rxjs';
import { inProcessLink, startBroker } from '../src/broker/index.js';
import { captureFrom } from '../src/capture/capture.js';
import { MemoryTransport } from '../src/transport/memory/memory-transport.js';
import type { TransportName } from '../src/transport/open-transport.js';
import { messages, type Event } from '../src/dataflow/event.js';
import { replay } from '../src/replay/replay.js';
import { roundTrip } from '../examples/roundtrip.js';
import { measureFileAppend, measureLoopbackTcp } from './limits.js';
import type { BenchRow } from './types.js';

const STREAMS = 5;
const REPLAY_WORKERS = 3;

function* numbers(count: number): Generator<Event<number, number>> {
  for (let start = 0; start < count; start += 1024) {
    const n = Math.min(1024, count - start);
    const batch = new Float64Array(n);
    for (let i = 0; i < n; i++) batch[i] = start + i;
    yield messages(0, batch);
  }
}

/** Capture and replay through the in-process transport in this thread: no encoding, no log, no threads. */
async function inProcess(count: number): Promise<{ capture: number; replay: number }> {
  const transport = new MemoryTransport();
  let started = performance.now();
  for (let s = 0; s < STREAMS; s++) await captureFrom(numbers(count), await transport.pusher<number, number>(`mem-${s}`));
  const captureMs = performance.now() - started;
  started = performance.now();
  const total = await lastValueFrom(
    replay(Array.from({ length: STREAMS }, (_, s) => transport.iterator<number, number>(`mem-${s}`))).pipe(
      reduce((n, e) => n + (e.kind === 'messages' ? e.data.length : 0), 0),
    ),
  );
  const replayMs = performance.now() - started;
  const bytes = total * 8;
  return { capture: bytes / 1e6 / (captureMs / 1000), replay: bytes / 1e6 / (replayMs / 1000) };
}

export default async function run(): Promise<BenchRow[]> {
  const count = Number(process.env.KQ_ROUNDTRIP_NUMBERS ?? 10_000_000);
  const loopback = await measureLoopbackTcp(1024 * 1024 * 1024, 1);
  // The embedded transport crosses no socket; what bounds its capture is appending to the log's files.
  const appendDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kq-bench-append-'));
  const fileAppend = await measureFileAppend(appendDir, 1024 * 1024 * 1024).finally(() => fs.rmSync(appendDir, { recursive: true, force: true }));
  const rows: BenchRow[] = [];
  const workload = `${STREAMS} streams × ${count.toLocaleString('en-US')} numbers, capture on ${STREAMS} workers, replay on ${REPLAY_WORKERS}`;
  // The fastest transport carries the targets: embedded, when the broker runs in this process.
  const targets: Record<string, [number, number]> = { embedded: [600, 1000], wire: [600, 1000], kafkajs: [150, 600] };
  for (const transport of ['embedded', 'wire', 'kafkajs'] as TransportName[]) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kq-bench-roundtrip-'));
    const broker = await startBroker({ dataDir, port: 0, host: '127.0.0.1', logLevel: 'warn' } as never);
    try {
      const r = await roundTrip({
        brokers: [`127.0.0.1:${broker.port}`],
        ports: inProcessLink(broker).ports,
        transport,
        topic: 'numbat',
        streams: STREAMS,
        count,
        captureWorkers: STREAMS,
        replayWorkers: REPLAY_WORKERS,
        quiet: true,
      });
      const [captureTarget, replayTarget] = targets[transport] ?? [0, 0];
      const limit = { limit: transport === 'embedded' ? fileAppend : loopback };
      rows.push({ name: `capture (${transport})`, value: r.captureMBps, unit: 'MB/s', ...limit, note: `target ≥ ${captureTarget}; ${workload}` });
      rows.push({ name: `replay (${transport})`, value: r.replayMBps, unit: 'MB/s', ...limit, note: `target ≥ ${replayTarget}; countPerTime on every worker` });
    } finally {
      await broker.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }
  const mem = await inProcess(count);
  rows.push({ name: 'capture (in-process)', value: mem.capture, unit: 'MB/s', note: 'one thread, no log: the ceiling of capture itself' });
  rows.push({ name: 'replay (in-process)', value: mem.replay, unit: 'MB/s', note: 'one thread, no log' });
  return rows;
}
