/**
 * Topic creation is all-or-nothing and bounded (issue 10): a creation that fails halfway (here: the process
 * runs out of descriptors) is rolled back and leaves nothing visible or on disk; partition limits refuse
 * per topic with POLICY_VIOLATION, auto-creation included; directories the catalog does not know are set
 * aside at start-up; a failed segment creation closes the file it opened.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { createMetadataRequest, Metadata } from '../../../src/protocol/messages/metadata.js';
import { CreatePartitions } from '../../../src/protocol/messages/create-partitions.js';
import { HandleCache } from '../../../src/broker/log/handle-cache.js';
import { LogManager } from '../../../src/broker/log/log-manager.js';
import { IndexResidency } from '../../../src/broker/log/index-residency.js';
import { LogSegment } from '../../../src/broker/log/segment.js';
import { nodeStorageIo } from '../../../src/broker/log/storage-io.js';
import type { ChildBroker } from '../child.js';
import { RawClient, assertServes, produceRaw, tempDir } from '../helpers.js';
import { createTopics, openDescriptors, startLimitedBroker, statusKb, stopChild } from './limited-child.js';

const ZERO = '00000000-0000-0000-0000-000000000000';
const dirs: string[] = [];
const children: ChildBroker[] = [];
afterEach(async () => {
  for (const b of children.splice(0)) await stopChild(b);
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function dataDir(): string {
  const d = tempDir();
  dirs.push(d);
  return d;
}

async function limited(nofile: number, args: string[]): Promise<ChildBroker> {
  const b = await startLimitedBroker(nofile, args);
  children.push(b);
  return b;
}

async function metadataFor(c: RawClient, name: string, allowAutoTopicCreation = false) {
  const res = await c.request(Metadata, 9, createMetadataRequest({ topics: [{ name, topicId: ZERO }], allowAutoTopicCreation }));
  return res.topics[0]!;
}

describe('atomic topic creation', () => {
  it('rolls back a creation that runs out of descriptors halfway: nothing visible, nothing on disk, the limit named', async () => {
    const dir = dataDir();
    // 128 descriptors, but the handle cache may keep 1,000 segment files: a 300-partition topic hits EMFILE.
    const b = await limited(128, ['--data-dir', dir, '--max-open-files', '1000']);
    const c = await RawClient.connect(b);
    try {
      const [big] = await createTopics(c, ['big'], 300);
      expect(big!.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
      expect(big!.errorMessage).toMatch(/rolled back.*open-file limit \(RLIMIT_NOFILE 128\)/);
      // Nothing half-made: not in Metadata, not writable, no directory left.
      expect((await metadataFor(c, 'big')).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      expect((await produceRaw(c, 'big', 0, ['x'])).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      expect(fs.readdirSync(dir).filter((n) => n.startsWith('big-'))).toEqual([]);
      // The rollback gave its descriptors back: a smaller topic is created, written and served.
      const [small] = await createTopics(c, ['small'], 4);
      expect(small!.errorCode).toBe(0);
      expect((await produceRaw(c, 'small', 3, ['y'])).errorCode).toBe(0);
      expect(openDescriptors(b.child.pid!)).toBeLessThan(128);
    } finally {
      c.close();
    }
    expect(await assertServes(b)).toContain('small');
    // And after a restart the catalog and the directories still agree.
    await stopChild(b);
    children.pop();
    const again = await limited(1024, ['--data-dir', dir]);
    expect((await assertServes(again)).sort()).toEqual(['small']);
  }, 120_000);
});

describe('partition limits', () => {
  it('refuses topics past --max-partitions-per-request and --max-partitions with POLICY_VIOLATION, auto-creation too', async () => {
    const dir = dataDir();
    const b = await limited(1024, ['--data-dir', dir, '--max-partitions', '20', '--max-partitions-per-request', '10']);
    const c = await RawClient.connect(b);
    try {
      const res = await createTopics(c, ['a', 'b'], 6);
      expect(res.map((r) => r.errorCode)).toEqual([0, ErrorCode.POLICY_VIOLATION]);
      expect(res[1]!.errorMessage).toMatch(/--max-partitions-per-request/);
      expect((await createTopics(c, ['c'], 6))[0]!.errorCode).toBe(0);
      expect((await createTopics(c, ['d'], 7))[0]!.errorCode).toBe(0);
      // 19 of 20 used: 2 more is over the broker-wide limit.
      const [e] = await createTopics(c, ['e'], 2);
      expect(e!.errorCode).toBe(ErrorCode.POLICY_VIOLATION);
      expect(e!.errorMessage).toMatch(/limit is 20 in all \(--max-partitions\)/);
      const grow = await c.request(CreatePartitions, 2, { topics: [{ name: 'a', count: 8, assignments: null }], timeoutMs: 5000, validateOnly: false });
      expect(grow.results[0]!.errorCode).toBe(ErrorCode.POLICY_VIOLATION);
      // One partition left: auto-creation takes it, then is refused like CreateTopics.
      expect((await metadataFor(c, 'auto-1', true)).errorCode).toBe(0);
      expect((await metadataFor(c, 'auto-2', true)).errorCode).toBe(ErrorCode.POLICY_VIOLATION);
      expect(fs.readdirSync(dir).filter((n) => n.startsWith('auto-2') || n.startsWith('e-') || n.startsWith('b-'))).toEqual([]);
      const rssKb = statusKb(b.child.pid!, 'VmRSS');
      expect(rssKb).toBeLessThan(400 * 1024);
    } finally {
      c.close();
    }
    expect((await assertServes(b)).sort()).toEqual(['a', 'auto-1', 'c', 'd']);
  }, 60_000);
});

describe('partition limits in the log manager', () => {
  it('counts creations in progress against --max-partitions, so concurrent ones (e.g. auto-creations) cannot overshoot', async () => {
    const logs = await LogManager.open(dataDir(), { maxPartitions: 5 });
    try {
      const results = await Promise.allSettled(['a', 'b', 'c', 'd', 'e'].map((t) => logs.createTopic(t, 2)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(refused.map((r) => (r.reason as { code: number }).code)).toEqual([ErrorCode.POLICY_VIOLATION, ErrorCode.POLICY_VIOLATION, ErrorCode.POLICY_VIOLATION]);
      expect(logs.partitionCount).toBe(4);
      await logs.createTopic('f', 1);
      await expect(logs.addPartitions('f', 2)).rejects.toMatchObject({ code: ErrorCode.POLICY_VIOLATION });
    } finally {
      await logs.close();
    }
  });
});

describe('restart', () => {
  it('sets aside partition directories the catalog does not know, says so, and never serves them', async () => {
    const dir = dataDir();
    let b = await limited(1024, ['--data-dir', dir]);
    const c = await RawClient.connect(b);
    expect((await createTopics(c, ['kept'], 1))[0]!.errorCode).toBe(0);
    expect((await produceRaw(c, 'kept', 0, ['k'])).errorCode).toBe(0);
    c.close();
    await stopChild(b);
    children.pop();
    // What a creation that died before its catalog record leaves behind: one with data, one empty.
    fs.mkdirSync(path.join(dir, 'ghost-0'));
    fs.writeFileSync(path.join(dir, 'ghost-0', '00000000000000000000.log'), Buffer.alloc(100, 1));
    fs.mkdirSync(path.join(dir, 'empty-0'));
    fs.mkdirSync(path.join(dir, 'kept-1')); // a partition past the topic's count (a failed CreatePartitions)
    b = await limited(1024, ['--data-dir', dir]);
    const names = fs.readdirSync(dir);
    expect(names.filter((n) => n.startsWith('ghost-0.') && n.endsWith('-stray'))).toHaveLength(1);
    expect(names).not.toContain('ghost-0');
    expect(names).not.toContain('empty-0');
    expect(names).not.toContain('kept-1');
    expect(b.stderr()).toMatch(/"dir":"ghost-0".*moved aside/);
    expect(b.stderr()).toMatch(/"dir":"empty-0".*removed/);
    expect((await assertServes(b)).sort()).toEqual(['kept']);
    const c2 = await RawClient.connect(b);
    try {
      expect((await metadataFor(c2, 'ghost')).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      // A new topic of the name starts empty.
      expect((await createTopics(c2, ['ghost'], 1))[0]!.errorCode).toBe(0);
      expect((await produceRaw(c2, 'ghost', 0, ['new'])).baseOffset).toBe(0n);
    } finally {
      c2.close();
    }
    expect(openDescriptors(b.child.pid!)).toBeLessThan(100);
  }, 60_000);
});

describe('segment creation', () => {
  it('closes the log file it opened when an index file cannot be made', async () => {
    const dir = dataDir();
    // A directory where the offset index should go: creating the index fails (EISDIR).
    fs.mkdirSync(path.join(dir, '00000000000000000000.index'));
    const handles = new HandleCache(16);
    const env = { io: nodeStorageIo, handles, residency: new IndexResidency(1 << 20) };
    await expect(LogSegment.create(dir, 0n, { indexIntervalBytes: 4096, maxIndexBytes: 1 << 20 }, env)).rejects.toThrow(/EISDIR|EEXIST|directory/);
    await new Promise((r) => setTimeout(r, 20)); // the close is asynchronous
    expect(handles.openCount).toBe(0);
    const open = fs.readdirSync('/proc/self/fd').map((fd) => {
      try {
        return fs.readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return '';
      }
    });
    expect(open.filter((p) => p.startsWith(dir))).toEqual([]);
    expect(fs.existsSync(path.join(dir, '00000000000000000000.log'))).toBe(false);
  });
});

describe('catalog growth', () => {
  it('compacts catalog.log while running: creating and deleting topics in a loop does not grow it without bound', async () => {
    const dir = dataDir();
    const logs = await LogManager.open(dir);
    let largest = 0;
    try {
      await logs.createTopic('stays', 3, { 'retention.ms': '60000' });
      for (let i = 0; i < 700; i++) {
        await logs.createTopic(`churn-${i}`, 1);
        await logs.deleteTopic(`churn-${i}`);
        largest = Math.max(largest, fs.statSync(path.join(dir, 'catalog.log')).size);
      }
    } finally {
      await logs.close();
    }
    // 1,401 entries of ~150 bytes would be ~200 KB; compaction after 1,000 keeps it to about 1,000 entries.
    expect(largest).toBeLessThan(1000 * 160);
    expect(fs.statSync(path.join(dir, 'catalog.log')).size).toBeLessThan(80_000);
    const again = await LogManager.open(dir);
    expect(again.topics().map((t) => [t.name, t.partitions, t.configs])).toEqual([['stays', 3, { 'retention.ms': '60000' }]]);
    await again.close();
  }, 60_000);
});
