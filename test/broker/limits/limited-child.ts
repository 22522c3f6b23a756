/**
 * Helpers for the limits suite: a broker child process started under a descriptor limit (prlimit), its
 * /proc figures, and batched raw requests for many topics at once.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { awaitListening, CLI, type ChildBroker } from '../child.js';
import { RawClient } from '../helpers.js';
import { CreateTopics, type CreateTopicsResponse } from '../../../src/protocol/messages/create-topics.js';
import { Produce } from '../../../src/protocol/messages/produce.js';
import { Fetch } from '../../../src/protocol/messages/fetch.js';
import { encodeRecordBatch, decodeRecordBatches } from '../../../src/protocol/records.js';

const root = path.resolve(path.dirname(CLI), '../..');

/** Starts `kafkaesque broker` with RLIMIT_NOFILE set to `nofile` (soft and hard) through prlimit. */
export function startLimitedBroker(nofile: number, args: string[]): Promise<ChildBroker> {
  const child = spawn('prlimit', [`--nofile=${nofile}:${nofile}`, process.execPath, '--import', 'tsx', CLI, 'broker', '--port', '0', '--log-level', 'warn', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return awaitListening(child);
}

/** Open descriptors of a process. */
export function openDescriptors(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

/** A figure from /proc/<pid>/status, in kB (VmRSS, VmHWM, …). */
export function statusKb(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]);
}

export async function stopChild(b: ChildBroker): Promise<void> {
  if (b.child.exitCode === null && b.child.signalCode === null) b.child.kill('SIGTERM');
  const timer = setTimeout(() => b.child.kill('SIGKILL'), 10_000);
  await b.exited;
  clearTimeout(timer);
}

export type CreateResult = CreateTopicsResponse['topics'][number];

/** CreateTopics v4 for `names` (one partition each unless given), one request. */
export async function createTopics(c: RawClient, names: string[], partitions = 1): Promise<CreateResult[]> {
  const res = await c.request(CreateTopics, 4, {
    topics: names.map((name) => ({ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] })),
    timeoutMs: 30_000,
    validateOnly: false,
  });
  return res.topics;
}

/** Produces one record `value(topic)` to partition 0 of every topic in one Produce v9 request; returns error codes by topic. */
export async function produceOneEach(c: RawClient, names: string[], value: (topic: string) => string): Promise<Map<string, number>> {
  const res = await c.request(Produce, 9, {
    transactionalId: null,
    acks: 1,
    timeoutMs: 30_000,
    topicData: names.map((name) => ({
      name,
      partitionData: [{ index: 0, records: encodeRecordBatch({ baseTimestamp: Date.now(), compression: 'none', records: [{ key: null, value: Buffer.from(value(name)) }] }) }],
    })),
  });
  return new Map(res.responses.map((t) => [t.name, t.partitionResponses[0]!.errorCode]));
}

/** Fetches partition 0 of every topic from offset 0 in one Fetch v11 request; returns the first value (or an error) by topic. */
export async function fetchFirstEach(c: RawClient, names: string[]): Promise<Map<string, string>> {
  const res = await c.request(Fetch, 11, {
    clusterId: null,
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1n },
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 0x7fffffff,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: names.map((topic) => ({
      topic,
      topicId: '00000000-0000-0000-0000-000000000000',
      partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 16, replicaDirectoryId: '00000000-0000-0000-0000-000000000000' }],
    })),
    forgottenTopicsData: [],
    rackId: '',
  });
  const out = new Map<string, string>();
  for (const t of res.responses) {
    const p = t.partitions[0]!;
    if (p.errorCode !== 0) out.set(t.topic, `error ${p.errorCode}`);
    else {
      const batches = p.records ? decodeRecordBatches(p.records) : [];
      out.set(t.topic, batches[0]?.records[0]?.value?.toString() ?? '(empty)');
    }
  }
  return out;
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
