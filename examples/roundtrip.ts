/**
 * `npm start`: the seed's round trip on the embedded broker — 5 workers capture 5 streams of numbers
 * (8 bytes each, batches of 1,024), then 3 workers replay them and count per time — printing MB/s both ways.
 * It fails (exit 1, naming the stream) unless every replayed stream holds exactly the numbers 0..count-1.
 *
 * roundtrip [--count N per stream] [--streams 5] [--capture-workers 5] [--replay-workers 3] [--transport embedded|wire|kafkajs] [--brokers ...] [--data-dir dir] [--http-port P] [--http-host H]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MessagePort } from 'node:worker_threads';
import { inProcessLink, startBroker } from '../src/broker/index.js';
import type { TransportName } from '../src/transport/open-transport.js';
import { execute } from '../src/workers/execute.js';
import type { SecurityFlags } from '../src/client/security.js';
import { SECURITY_HELP, cpuSpanMicros, isEntryPoint, mbPerSecond, parseExampleArgs, spanMs, takeNumberFlag } from './common.js';
import { checkStreams, StreamContentError, type StreamDigest } from './stream-check.js';
import { brokerHttpSettings, HTTP_HELP, serveReplayHttp, takeHttpFlags } from './replay-http.js';
import type { ReplayFrontierSource } from '../src/broker/metrics/replay-metrics.js';

export interface RoundTripOptions {
  brokers: string[];
  transport: TransportName;
  topic: string;
  streams: number;
  /** Numbers per stream. */
  count: number;
  captureWorkers: number;
  replayWorkers: number;
  quiet?: boolean;
  /** kcat-like TLS/SASL flags for a secured --brokers (see common.ts). */
  security?: SecurityFlags;
  /** Capture exactly-once (transactions with the stream position; the benchmark's exactly-once rows). */
  exactlyOnce?: boolean;
  /** For the embedded transport: the in-process broker's ports for each worker (`inProcessLink(broker).ports`). */
  ports?: (workerIndex: number) => Record<string, MessagePort>;
  /** Receives the replay's per-process frontiers (execute's meshFrontiers; `--http-port`). */
  meshFrontiers?: (read: ReplayFrontierSource) => void;
}

export interface RoundTripResult {
  bytes: number;
  captureMs: number;
  replayMs: number;
  captureMBps: number;
  replayMBps: number;
  /** Process CPU seconds (all threads) while capturing / replaying. */
  captureCpuSeconds: number;
  replayCpuSeconds: number;
}

const here = path.dirname(new URL(import.meta.url).pathname);
const ext = path.extname(new URL(import.meta.url).pathname);

/** Captures `streams` streams (one per capture worker, so streams = captureWorkers) and replays them. */
export async function roundTrip(options: RoundTripOptions): Promise<RoundTripResult> {
  const sent = await execute<{ records: number; startedAt: number; endedAt: number; cpuAtStart: number; cpuAtEnd: number }>(
    { workers: options.captureWorkers },
    {
      module: path.join(here, `capture_send${ext}`),
      export: 'sendWorker',
      args: { topic: options.topic, count: options.count, brokers: options.brokers, transport: options.transport, type: 'f64', replace: true, quiet: options.quiet, security: options.security, ...(options.exactlyOnce ? { exactlyOnce: true } : {}) },
    },
    { ports: options.ports },
  );
  const received = await execute<{ replayed: number; digests: StreamDigest[]; startedAt: number; endedAt: number; cpuAtStart: number; cpuAtEnd: number }>(
    { workers: options.replayWorkers },
    {
      module: path.join(here, `capture_recv${ext}`),
      export: 'recvWorker',
      args: { topic: options.topic, streams: options.streams, count: options.count, brokers: options.brokers, transport: options.transport, quiet: options.quiet, security: options.security },
    },
    { ports: options.ports, ...(options.meshFrontiers ? { meshFrontiers: options.meshFrontiers } : {}) },
  );
  const records = sent.reduce((n, r) => n + r.records, 0);
  const replayed = received.reduce((n, r) => n + r.replayed, 0);
  if (replayed !== records) throw new Error(`replayed ${replayed} numbers but captured ${records}`);
  // Content, not only counts (each worker checked its streams already; this also sees that none is missing).
  const digests = received.flatMap((r) => r.digests);
  checkStreams(digests, options.count);
  if (digests.length !== options.streams) {
    throw new StreamContentError([], `replayed ${digests.length} streams, expected ${options.streams}`);
  }
  const bytes = records * 8;
  const captureMs = spanMs(sent);
  const replayMs = spanMs(received);
  return {
    bytes,
    captureMs,
    replayMs,
    captureMBps: bytes / 1e6 / (captureMs / 1000),
    replayMBps: bytes / 1e6 / (replayMs / 1000),
    captureCpuSeconds: cpuSpanMicros(sent) / 1e6,
    replayCpuSeconds: cpuSpanMicros(received) / 1e6,
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const help = `usage: roundtrip [--count N] [--streams S] [--replay-workers R] [--transport embedded|wire|kafkajs] [--brokers ...] [--data-dir dir] ${HTTP_HELP} [--security-protocol P --sasl-mechanism M --sasl-username U --sasl-password-file F --ssl-ca F]\n` + SECURITY_HELP;
  const count = takeNumberFlag(argv, '--count', help) ?? 10_000_000;
  const streams = takeNumberFlag(argv, '--streams', help) ?? 5;
  const replayWorkers = takeNumberFlag(argv, '--replay-workers', help) ?? 3;
  const httpFlags = takeHttpFlags(argv, help);
  const args = parseExampleArgs(argv, help);
  let brokers = args.brokers;
  let ports: RoundTripOptions['ports'];
  let close = async (): Promise<void> => {};
  let broker: Awaited<ReturnType<typeof startBroker>> | undefined;
  if (!brokers) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kq-roundtrip-'));
    const started = (broker = await startBroker({ dataDir, port: 0, host: '127.0.0.1', logLevel: 'warn', ...brokerHttpSettings(httpFlags) } as never));
    brokers = [`127.0.0.1:${started.port}`];
    ports = inProcessLink(started).ports;
    close = async () => {
      await started.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    };
    console.log(`embedded broker on ${brokers[0]} (data in ${dataDir}, removed afterwards)${started.http ? `, HTTP on ${started.http.host}:${started.http.port}` : ''}`);
  }
  const replayHttp = await serveReplayHttp(httpFlags, broker);
  try {
    console.log(`capturing ${streams} streams × ${count.toLocaleString('en-US')} numbers with ${streams} workers, replaying with ${replayWorkers} (${args.transport})`);
    const r = await roundTrip({ brokers, ports, transport: args.transport, topic: 'numbat', streams, count, captureWorkers: streams, replayWorkers, security: args.security, meshFrontiers: replayHttp.meshFrontiers });
    const perCpu = (cpuSeconds: number): string => `${cpuSeconds.toFixed(2)} CPU-s, ${(r.bytes / 1e6 / cpuSeconds).toFixed(0)} MB per CPU-s`;
    console.log(`capture: ${(r.bytes / 1e6).toFixed(0)} MB in ${(r.captureMs / 1000).toFixed(2)} s = ${mbPerSecond(r.bytes, r.captureMs)} MB/s (${perCpu(r.captureCpuSeconds)})`);
    console.log(`replay:  ${(r.bytes / 1e6).toFixed(0)} MB in ${(r.replayMs / 1000).toFixed(2)} s = ${mbPerSecond(r.bytes, r.replayMs)} MB/s (${perCpu(r.replayCpuSeconds)})`);
    console.log(`content checked: each of the ${streams} streams holds exactly the numbers 0..${count - 1}`);
  } finally {
    await replayHttp.close();
    await close();
  }
}

if (isEntryPoint(import.meta.url)) {
  main().catch((error: Error) => {
    console.error(`roundtrip: ${error.message}`);
    process.exit(1);
  });
}
