/**
 * KIP-848 with a real client: three @platformatic/kafka consumers (groupProtocol 'consumer', each in its own
 * process) split six partitions; one is SIGKILLed, and once group.consumer.session.timeout.ms passes its
 * partitions move to the other two, which consume and commit everything. Throughout, the coordinator is
 * sampled: no partition is ever held (assigned or still being revoked) by two members at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Admin, Producer, stringSerializers } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers.js';
import { waitFor } from './group-helpers.js';
import type { GroupCoordinator } from '../../../src/broker/groups/coordinator.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(here, 'fixtures/plt-consumer-848.ts');
const SESSION_MS = 3_000;
const TOPIC = 'k848-plt';
const GROUP = 'k848-plt-group';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker({ groupConsumerSessionTimeoutMs: SESSION_MS, groupConsumerHeartbeatIntervalMs: 300 } as never);
});
afterAll(async () => {
  await broker?.stop();
});

interface Child {
  proc: ChildProcess;
  partitions: number[];
  values: string[];
}

function startChild(): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, broker.address, GROUP, TOPIC], { stdio: ['ignore', 'pipe', 'inherit'] });
  const child: Child = { proc, partitions: [], values: [] };
  let buf = '';
  proc.stdout!.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const e = JSON.parse(line);
      if (e.event === 'assigned') child.partitions = e.partitions;
      else if (e.event === 'message') child.values.push(e.value);
    }
  });
  return child;
}

/** Fails the test if any partition is held by two members of the group at one sampled instant. */
function watchExclusiveOwnership(coordinator: GroupCoordinator): { stop(): void; violations: string[]; samples: number } {
  const state = { violations: [] as string[], samples: 0, stop: () => clearInterval(timer) };
  const timer = setInterval(() => {
    const g = coordinator.consumerGroups.group(GROUP);
    if (!g) return;
    state.samples++;
    const owner = new Map<string, string>();
    for (const m of g.members.values()) {
      for (const map of [m.assigned, m.revoking]) {
        for (const [topicId, parts] of map) {
          for (const p of parts) {
            const key = `${topicId}:${p}`;
            const prev = owner.get(key);
            if (prev !== undefined && prev !== m.memberId) state.violations.push(`${key} held by ${prev} and ${m.memberId}`);
            owner.set(key, m.memberId);
          }
        }
      }
    }
  }, 10);
  return state;
}

describe('@platformatic/kafka with groupProtocol consumer (KIP-848)', () => {
  it('three consumers split six partitions; a killed one’s partitions move after the session timeout; commits resume', async () => {
    const coordinator = broker.context.services.groups!;
    const producer = new Producer({ clientId: 'k848-producer', bootstrapBrokers: [broker.address], serializers: stringSerializers });
    const children: Child[] = [];
    const watch = watchExclusiveOwnership(coordinator);
    try {
      const admin = new Admin({ clientId: 'k848-admin', bootstrapBrokers: [broker.address] });
      await admin.createTopics({ topics: [TOPIC], partitions: 6, replicas: 1 });
      await admin.close();
      const first = Array.from({ length: 60 }, (_, i) => `a${i}`);
      await producer.send({ messages: first.map((v, i) => ({ topic: TOPIC, key: v, value: v, partition: i % 6 })) });

      for (let i = 0; i < 3; i++) children.push(startChild());
      await waitFor(() => children.every((c) => c.partitions.length === 2), 60_000, 'three consumers with two partitions each');
      expect(children.flatMap((c) => c.partitions).sort()).toEqual([0, 1, 2, 3, 4, 5]);
      const seen = () => new Set(children.flatMap((c) => c.values));
      await waitFor(() => first.every((v) => seen().has(v)), 60_000, 'every first-round message consumed');

      const [victim, ...survivors] = children as [Child, Child, Child];
      const killedAt = Date.now();
      victim.proc.kill('SIGKILL');
      await waitFor(() => survivors.flatMap((c) => c.partitions).length === 6, SESSION_MS + 30_000, 'the survivors to own all six partitions');
      const moveMs = Date.now() - killedAt;
      // No LeaveGroup: the partitions stay with the dead member until its session expires, and no longer.
      expect(moveMs).toBeGreaterThanOrEqual(SESSION_MS - 500);
      expect(survivors.flatMap((c) => c.partitions).sort()).toEqual([0, 1, 2, 3, 4, 5]);

      const second = Array.from({ length: 60 }, (_, i) => `b${i}`);
      await producer.send({ messages: second.map((v, i) => ({ topic: TOPIC, key: v, value: v, partition: i % 6 })) });
      const survivorSeen = () => new Set(survivors.flatMap((c) => c.values));
      await waitFor(() => second.every((v) => survivorSeen().has(v)), 60_000, 'every second-round message consumed by the survivors');
      await waitFor(() => {
        const committed = coordinator.fetchOffsets(GROUP, null).flatMap((t) => (t.name === TOPIC ? t.partitions : []));
        return committed.length === 6 && committed.every((p) => p.offset === 20n);
      }, 30_000, 'commits at the end of all six partitions (20 records each)');
      expect(watch.samples).toBeGreaterThan(50);
      expect(watch.violations).toEqual([]);
      console.log(`KIP-848: partitions moved ${moveMs} ms after SIGKILL (session timeout ${SESSION_MS} ms), ${watch.samples} ownership samples`);
    } finally {
      watch.stop();
      for (const c of children) c.proc.kill('SIGKILL');
      await producer.close().catch(() => {});
    }
  }, 180_000);
});
