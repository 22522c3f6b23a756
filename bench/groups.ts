/**
 * `npm run bench -- groups`: the group coordinator on an in-process broker over real TCP.
 *
 * - rebalance 3 → 2 members: one member leaves; time until both survivors have rejoined and synced the new
 *   generation. Measured twice: with raw protocol members that react at once (the broker's own cost), and
 *   with kafkajs consumers (heartbeat 300 ms, fetch wait 200 ms), whose polling dominates.
 * - CPU of 1,000 idle groups: each with a stable member (60 s session) and a committed offset; the broker
 *   process's CPU time over a quiet window (BENCH_GROUPS_IDLE_S, default 10 s), beside the same window with
 *   no groups at all.
 * - commit throughput: one member's OffsetCommit requests, 32 pipelined on one connection, each durable in
 *   the offsets log before its answer (BENCH_GROUPS_COMMIT_S, default 3 s).
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type RunningBroker } from '../src/broker/index.js';
import type { ApiCodec } from '../src/protocol/codec.js';
import { ErrorCode } from '../src/protocol/errors.js';
import { readResponseHeader, requestHeaderVersion, responseHeaderVersion, writeRequestHeader } from '../src/protocol/headers.js';
import { Heartbeat } from '../src/protocol/messages/heartbeat.js';
import { JoinGroup, type JoinGroupResponse } from '../src/protocol/messages/join-group.js';
import { LeaveGroup } from '../src/protocol/messages/leave-group.js';
import { OffsetCommit, type OffsetCommitRequest } from '../src/protocol/messages/offset-commit.js';
import { SyncGroup } from '../src/protocol/messages/sync-group.js';
import { Reader, Writer } from '../src/protocol/primitives.js';
import type { BenchRow } from './types.js';

const env = (name: string, fallback: number): number => (process.env[name] ? Number(process.env[name]) : fallback);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A pipelined Kafka connection over our codecs: responses come back in request order. */
class ProtoClient {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly pending: { decode: (r: Reader) => void }[] = [];
  private correlation = 0;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.onData(d));
  }

  static connect(port: number, host: string): Promise<ProtoClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, host, () => resolve(new ProtoClient(s)));
      s.once('error', reject);
    });
  }

  request<Req, Res>(codec: ApiCodec<Req, Res>, version: number, body: Req): Promise<Res> {
    const w = new Writer();
    w.int32(0);
    writeRequestHeader(w, requestHeaderVersion(codec.apiKey, version), { apiKey: codec.apiKey, apiVersion: version, correlationId: this.correlation++, clientId: 'bench' });
    codec.writeRequest(w, version, body);
    w.patchInt32(0, w.length - 4);
    return new Promise<Res>((resolve, reject) => {
      this.pending.push({
        decode: (r) => {
          try {
            readResponseHeader(r, responseHeaderVersion(codec.apiKey, version));
            resolve(codec.readResponse(r, version));
          } catch (err) {
            reject(err as Error);
          }
        },
      });
      this.socket.write(w.toBuffer());
    });
  }

  private onData(d: Buffer): void {
    this.buffered = this.buffered.length === 0 ? d : Buffer.concat([this.buffered, d]);
    while (this.buffered.length >= 4) {
      const size = this.buffered.readInt32BE(0);
      if (this.buffered.length < 4 + size) break;
      const frame = this.buffered.subarray(4, 4 + size);
      this.buffered = this.buffered.subarray(4 + size);
      this.pending.shift()?.decode(new Reader(frame));
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

interface RawMember {
  memberId: string;
  generationId: number;
}

function joinBody(groupId: string, memberId: string, sessionTimeoutMs = 30_000) {
  return {
    groupId,
    sessionTimeoutMs,
    rebalanceTimeoutMs: 30_000,
    memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from('subscription') }],
    reason: null,
  };
}

/** JoinGroup v5 including the MEMBER_ID_REQUIRED round trip for a new member. */
async function join(c: ProtoClient, groupId: string, memberId = '', sessionTimeoutMs?: number): Promise<JoinGroupResponse> {
  let res = await c.request(JoinGroup, 5, joinBody(groupId, memberId, sessionTimeoutMs));
  if (res.errorCode === ErrorCode.MEMBER_ID_REQUIRED) res = await c.request(JoinGroup, 5, joinBody(groupId, res.memberId, sessionTimeoutMs));
  if (res.errorCode !== 0) throw new Error(`JoinGroup failed with error ${res.errorCode}`);
  return res;
}

async function sync(c: ProtoClient, groupId: string, j: JoinGroupResponse): Promise<void> {
  const assignments = j.members.map((m) => ({ memberId: m.memberId, assignment: Buffer.from(`assignment of ${m.memberId}`) }));
  const res = await c.request(SyncGroup, 3, { groupId, generationId: j.generationId, memberId: j.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments });
  if (res.errorCode !== 0) throw new Error(`SyncGroup failed with error ${res.errorCode}`);
}

/** Joins and syncs a whole set of members at once (each on its own connection). */
async function rebalance(clients: ProtoClient[], groupId: string, members: (RawMember | null)[]): Promise<RawMember[]> {
  const joins = await Promise.all(clients.map((c, i) => join(c, groupId, members[i]?.memberId ?? '')));
  await Promise.all(clients.map((c, i) => sync(c, groupId, joins[i]!)));
  return joins.map((j) => ({ memberId: j.memberId, generationId: j.generationId }));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function rawRebalance(broker: RunningBroker): Promise<number> {
  const times: number[] = [];
  for (let round = 0; round < 10; round++) {
    const groupId = `raw-rebalance-${round}`;
    const clients = await Promise.all([0, 1, 2].map(() => ProtoClient.connect(broker.port, broker.host)));
    const members = await rebalance(clients, groupId, [null, null, null]);
    const start = performance.now();
    await clients[2]!.request(LeaveGroup, 3, { groupId, memberId: '', members: [{ memberId: members[2]!.memberId, groupInstanceId: null, reason: null }] });
    const survivors = clients.slice(0, 2);
    // Each survivor learns of the rebalance from its next heartbeat, then rejoins at once.
    await Promise.all(
      survivors.map(async (c, i) => {
        const hb = await c.request(Heartbeat, 3, { groupId, generationId: members[i]!.generationId, memberId: members[i]!.memberId, groupInstanceId: null });
        if (hb.errorCode !== ErrorCode.REBALANCE_IN_PROGRESS) throw new Error(`expected REBALANCE_IN_PROGRESS, got ${hb.errorCode}`);
      }),
    );
    await rebalance(survivors, groupId, members.slice(0, 2));
    times.push(performance.now() - start);
    for (const c of clients) c.close();
  }
  return median(times);
}

async function kafkajsRebalance(broker: RunningBroker): Promise<number> {
  const kafka = new Kafka({ clientId: 'bench', brokers: [`${broker.host}:${broker.port}`], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'bench-rebalance', numPartitions: 6 }], waitForLeaders: true });
  await admin.disconnect();
  const times: number[] = [];
  for (let round = 0; round < 3; round++) {
    const groupId = `kafkajs-rebalance-${round}`;
    const assigned: number[][] = [[], [], []];
    const consumers = [0, 1, 2].map((i) => {
      const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 300, maxWaitTimeInMs: 200 });
      consumer.on(consumer.events.GROUP_JOIN, (e) => (assigned[i] = e.payload.memberAssignment['bench-rebalance'] ?? []));
      return consumer;
    });
    for (const c of consumers) {
      await c.connect();
      await c.subscribe({ topic: 'bench-rebalance' });
      await c.run({ eachMessage: async () => {} });
    }
    const covered = (ids: number[]) => ids.flatMap((i) => assigned[i]!).length === 6 && new Set(ids.flatMap((i) => assigned[i]!)).size === 6;
    while (!covered([0, 1, 2]) || assigned.some((a) => a.length !== 2)) await sleep(20);
    assigned[0] = [];
    assigned[1] = [];
    const start = performance.now();
    await consumers[2]!.disconnect();
    while (!covered([0, 1])) await sleep(5);
    times.push(performance.now() - start);
    await Promise.all(consumers.slice(0, 2).map((c) => c.disconnect()));
  }
  return median(times);
}

/** A full GC before an idle window, so V8 tidying up after the setup is not billed to the idle groups. */
function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as (() => void) | undefined;
  gc?.();
  gc?.();
}

/** CPU time (user + system, ms) the process spends over `seconds` of doing nothing. */
async function idleCpuMs(seconds: number): Promise<number> {
  collectGarbage();
  await sleep(200);
  const before = process.cpuUsage();
  await sleep(seconds * 1000);
  const d = process.cpuUsage(before);
  return (d.user + d.system) / 1000;
}

async function createIdleGroups(broker: RunningBroker, count: number): Promise<void> {
  const c = await ProtoClient.connect(broker.port, broker.host);
  const batch = 100;
  for (let i = 0; i < count; i += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, count - i) }, async (_, k) => {
        const groupId = `idle-${i + k}`;
        const j = await join(c, groupId, '', 60_000);
        await sync(c, groupId, j);
        const commit: OffsetCommitRequest = {
          groupId,
          generationIdOrMemberEpoch: j.generationId,
          memberId: j.memberId,
          groupInstanceId: null,
          retentionTimeMs: -1n,
          topics: [{ name: 'bench-commits', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }],
        };
        const res = await c.request(OffsetCommit, 7, commit);
        if (res.topics[0]!.partitions[0]!.errorCode !== 0) throw new Error(`commit failed: ${res.topics[0]!.partitions[0]!.errorCode}`);
      }),
    );
  }
  // The members stay (sessions last 60 s) after their connection goes: Kafka does not tie members to sockets.
  c.close();
}

async function commitThroughput(broker: RunningBroker, seconds: number): Promise<{ perSecond: number; cpuMicrosPerCommit: number }> {
  const c = await ProtoClient.connect(broker.port, broker.host);
  const groupId = 'commit-bench';
  const j = await join(c, groupId);
  await sync(c, groupId, j);
  let offset = 0n;
  let done = 0;
  const deadline = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const res = await c.request(OffsetCommit, 7, {
        groupId,
        generationIdOrMemberEpoch: j.generationId,
        memberId: j.memberId,
        groupInstanceId: null,
        retentionTimeMs: -1n,
        topics: [{ name: 'bench-commits', partitions: [{ partitionIndex: 0, committedOffset: offset++, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }],
      });
      if (res.topics[0]!.partitions[0]!.errorCode !== 0) throw new Error(`commit failed: ${res.topics[0]!.partitions[0]!.errorCode}`);
      done++;
    }
  };
  const start = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(Array.from({ length: 32 }, worker));
  const used = process.cpuUsage(cpu);
  const elapsed = (performance.now() - start) / 1000;
  c.close();
  return { perSecond: done / elapsed, cpuMicrosPerCommit: (used.user + used.system) / done };
}

export default async function run(): Promise<BenchRow[]> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kq-bench-groups-'));
  const broker = await startBroker({ dataDir, port: 0, logLevel: 'silent' });
  const rows: BenchRow[] = [];
  try {
    const kafka = new Kafka({ clientId: 'bench-setup', brokers: [`${broker.host}:${broker.port}`], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'bench-commits', numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();

    // Idle cost first, before other clients leave garbage and timers behind in this process.
    const idleSeconds = env('BENCH_GROUPS_IDLE_S', 10);
    const baseline = await idleCpuMs(idleSeconds);
    rows.push({ name: `broker CPU, no groups, ${idleSeconds} s idle`, value: baseline, unit: 'ms CPU' });
    await createIdleGroups(broker, 1000);
    await sleep(1000); // the setup's sockets close
    const withGroups = await idleCpuMs(idleSeconds);
    rows.push({
      name: `broker CPU, 1,000 idle groups, ${idleSeconds} s idle`,
      value: withGroups,
      unit: 'ms CPU',
      note: `${((withGroups / (idleSeconds * 1000)) * 100).toFixed(3)}% of one core; one session timer per member, none fire`,
    });
    rows.push({ name: 'rebalance 3 → 2 members (raw protocol, immediate rejoin)', value: await rawRebalance(broker), unit: 'ms', note: 'median of 10: leave → both survivors rejoined and synced' });
    rows.push({ name: 'rebalance 3 → 2 members (kafkajs consumers)', value: await kafkajsRebalance(broker), unit: 'ms', note: 'median of 3; heartbeat 300 ms, fetch wait 200 ms dominate' });

    const commitSeconds = env('BENCH_GROUPS_COMMIT_S', 3);
    const commits = await commitThroughput(broker, commitSeconds);
    rows.push({ name: 'offset commits (1 partition each, 32 in flight)', value: commits.perSecond, unit: 'commits/s', note: 'each written to the offsets log before its answer' });
    rows.push({ name: 'CPU per offset commit (broker + bench client)', value: commits.cpuMicrosPerCommit, unit: 'µs', note: 'steadier than commits/s on a shared machine' });
  } finally {
    await broker.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return rows;
}
