/**
 * Descriptors stay bounded: a broker whose hard RLIMIT_NOFILE is 1,024 serves thousands of single-partition
 * topics, each written and read back, because idle partitions' segment files are closed through the handle
 * cache and reopened on demand (issue 10). The count is KQ_DESCRIPTOR_TOPICS (default 5,000: about five
 * times the limit).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { descriptorBudget, FALLBACK_OPEN_FILE_LIMIT, readOpenFileLimit } from '../../../src/broker/log/descriptor-budget.js';
import type { ChildBroker } from '../child.js';
import { RawClient, kafkaClient, tempDir } from '../helpers.js';
import { chunks, createTopics, fetchFirstEach, openDescriptors, produceOneEach, startLimitedBroker, stopChild } from './limited-child.js';

const LIMIT = 1024;
const TOPICS = Number(process.env.KQ_DESCRIPTOR_TOPICS ?? 5000);
const PER_REQUEST = 250;

let dir: string;
let broker: ChildBroker;

beforeAll(async () => {
  dir = tempDir();
  broker = await startLimitedBroker(LIMIT, ['--data-dir', dir]);
});
afterAll(async () => {
  if (broker) await stopChild(broker);
  fs.rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe(`descriptors under a ${LIMIT}-descriptor limit`, () => {
  it(`creates, writes and reads back ${TOPICS} single-partition topics; open descriptors stay under the limit`, async () => {
    const pid = broker.child.pid!;
    const names = Array.from({ length: TOPICS }, (_, i) => `fd-${String(i).padStart(5, '0')}`);
    const c = await RawClient.connect(broker);
    let peak = openDescriptors(pid);
    const sample = (): void => {
      peak = Math.max(peak, openDescriptors(pid));
    };
    try {
      for (const batch of chunks(names, PER_REQUEST)) {
        const res = await createTopics(c, batch);
        const failed = res.filter((r) => r.errorCode !== 0);
        expect(failed.slice(0, 3).map((r) => `${r.name}: ${r.errorCode} ${r.errorMessage}`)).toEqual([]);
        sample();
      }
      for (const batch of chunks(names, PER_REQUEST)) {
        const codes = await produceOneEach(c, batch, (t) => `value of ${t}`);
        expect([...codes].filter(([, code]) => code !== 0).slice(0, 3)).toEqual([]);
        sample();
      }
      for (const batch of chunks(names, PER_REQUEST)) {
        const values = await fetchFirstEach(c, batch);
        expect([...values].filter(([t, v]) => v !== `value of ${t}`).slice(0, 3)).toEqual([]);
        sample();
      }
    } finally {
      c.close();
    }
    expect(peak).toBeLessThan(LIMIT);
    console.log(`${TOPICS} topics under RLIMIT_NOFILE=${LIMIT}: peak ${peak} open descriptors, ${openDescriptors(pid)} at the end`);

    // A fresh kafkajs client is still served: it writes to and reads from a topic made before it.
    const kafka = kafkaClient(broker, 'fresh');
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: names[7]!, messages: [{ value: 'from kafkajs' }] });
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(names[7]!);
    await admin.disconnect();
    expect(offsets[0]!.high).toBe('2');
    expect(openDescriptors(pid)).toBeLessThan(LIMIT);

    // A restart under the same limit opens every partition again (files open on demand) and serves them.
    const stopped = Date.now();
    await stopChild(broker);
    const restarted = Date.now();
    broker = await startLimitedBroker(LIMIT, ['--data-dir', dir]);
    console.log(`clean shutdown ${restarted - stopped} ms, restart to listening ${Date.now() - restarted} ms`);
    const again = await RawClient.connect(broker);
    try {
      for (const batch of chunks(names.filter((_, i) => i % 5 === 0), PER_REQUEST)) {
        const values = await fetchFirstEach(again, batch);
        expect([...values].filter(([t, v]) => v !== `value of ${t}`).slice(0, 3)).toEqual([]);
      }
    } finally {
      again.close();
    }
    expect(openDescriptors(broker.child.pid!)).toBeLessThan(LIMIT);
  }, 240_000);
});

describe('descriptor budget', () => {
  it('reads the soft limit from /proc/<pid>/limits and splits it between segment files and connections', () => {
    const file = path.join(dir, 'limits');
    fs.writeFileSync(file, 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 4096                 files\n');
    expect(readOpenFileLimit(file)).toBe(1024);
    fs.writeFileSync(file, 'Max open files            unlimited            unlimited            files\n');
    expect(readOpenFileLimit(file)).toBe(Infinity);
    expect(readOpenFileLimit(path.join(dir, 'missing'))).toBeUndefined();
    expect(readOpenFileLimit(`/proc/${broker.child.pid}/limits`)).toBe(LIMIT);
    expect(descriptorBudget(1024, 1000)).toEqual({ limit: 1024, segmentFiles: 480, sockets: 480 });
    expect(descriptorBudget(8192, 1000)).toMatchObject({ segmentFiles: 7128, sockets: 1000 });
    expect(descriptorBudget(Infinity, 1000).segmentFiles).toBe(32_768);
    expect(descriptorBudget(undefined, 1000).limit).toBe(FALLBACK_OPEN_FILE_LIMIT);
    expect(descriptorBudget(50, 1000).segmentFiles).toBe(16);
  });
});
