/**
 * Transactions across crashes: a producer killed with SIGKILL inside a transaction (the broker aborts it
 * when its timeout passes, and read_committed readers get past it), a broker killed with kill -9 while a
 * transaction is open (aborted after the restart when its timeout passes), and a broker killed between
 * EndTxn and the markers (it completes the transaction on restart, offsets included).
 *
 * The second test holds the markers with the broker's test hook KAFKAESQUE_TEST_HOLD_TXN_MARKERS=1
 * (src/broker/txn/service.ts), so the window between PrepareCommit and the markers is certain, not raced.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DescribeTransactions } from '../../../src/protocol/messages/describe-transactions.js';
import { startChildBroker, type ChildBroker } from '../child.js';
import { kafkaClient, RawClient, startTestBroker, tempDir } from '../helpers.js';
import { until, within } from '../../until.js';
import { readIsolated } from './txn-helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function describeTxn(broker: { host: string; port: number }, id: string) {
  const c = await RawClient.connect(broker);
  try {
    return (await c.request(DescribeTransactions, 0, { transactionalIds: [id] })).transactionStates[0]!;
  } finally {
    c.close();
  }
}

describe('transactions and crashes', () => {
  it('a producer killed inside a transaction: aborted after its timeout; read_committed gets past it', async () => {
    const broker = await startTestBroker();
    try {
      const kafka = kafkaClient(broker);
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'killed-producer' }] });
      await admin.disconnect();
      const plain = kafka.producer();
      await plain.connect();
      await plain.send({ topic: 'killed-producer', messages: [{ value: 'before' }] });

      const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'open-txn-child.ts'), broker.address, 'killed-producer', 'killed-id', '3', '1500'], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise((r) => child.on('exit', r));
      await within(new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => d.toString().includes('sent') && resolve())), 'the child producer to send inside its transaction', 30_000);
      child.kill('SIGKILL');
      await exited;

      await plain.send({ topic: 'killed-producer', messages: [{ value: 'after' }] });
      const held = await readIsolated(broker, 'killed-producer', 0, true);
      expect(held.values).toEqual(['before']); // the open transaction holds the LSO
      expect((await describeTxn(broker, 'killed-id')).transactionState).toBe('Ongoing');

      // The timeout (1.5 s) passes: the broker aborts on its own (a timer at the deadline, no client involved).
      await until(async () => (await describeTxn(broker, 'killed-id')).transactionState === 'CompleteAbort', 'the broker to abort the expired transaction', 15_000);
      const after = await readIsolated(broker, 'killed-producer', 0, true);
      expect(after.values).toEqual(['before', 'after']);
      expect(after.markers).toHaveLength(1);
      expect(after.markers[0]!.commit).toBe(false);
      expect(after.lastStableOffset).toBe(after.highWatermark);
      expect((await readIsolated(broker, 'killed-producer', 0, false)).values).toEqual(['before', 'doomed-0', 'doomed-1', 'doomed-2', 'after']);
      await plain.disconnect();
    } finally {
      await broker.stop();
    }
  });

  it('a transaction left Ongoing by a broker killed with kill -9 is aborted after restart when its timeout passes', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const first = await startChildBroker(['--data-dir', dataDir]);
    const kafka = kafkaClient(first);
    const producer = kafka.producer({ transactionalId: 'ongoing-id', maxInFlightRequests: 1, idempotent: true, transactionTimeout: 4000 });
    await producer.connect();
    const openedAt = Date.now();
    const txn = await producer.transaction();
    await txn.send({ topic: 'ongoing', messages: [{ value: 'never-committed' }] });
    first.child.kill('SIGKILL');
    await first.exited;
    await producer.disconnect().catch(() => undefined);

    const second = await startChildBroker(['--data-dir', dataDir]);
    try {
      const plain = kafkaClient(second).producer();
      await plain.connect();
      await plain.send({ topic: 'ongoing', messages: [{ value: 'later' }] });
      await plain.disconnect();
      // Still held by the open transaction — if it is still open once the read is done (on a loaded machine the
      // restart can take longer than the timeout, and then the abort below has already happened).
      const held = await readIsolated(second, 'ongoing', 0, true);
      if ((await describeTxn(second, 'ongoing-id')).transactionState === 'Ongoing') expect(held.values).toEqual([]);
      else expect(Date.now() - openedAt).toBeGreaterThanOrEqual(4000); // aborted only once the timeout passed
      await until(async () => (await describeTxn(second, 'ongoing-id')).transactionState === 'CompleteAbort', 'the restarted broker to abort the expired transaction', 15_000);
      const read = await readIsolated(second, 'ongoing', 0, true);
      expect(read.values).toEqual(['later']);
      expect(read.markers.map((m) => m.commit)).toEqual([false]);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });

  it('a broker killed between an abort and its markers writes them, and the aborted-transaction index, on restart', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    process.env.KAFKAESQUE_TEST_HOLD_TXN_MARKERS = '1';
    let first: ChildBroker;
    try {
      first = await startChildBroker(['--data-dir', dataDir]);
    } finally {
      delete process.env.KAFKAESQUE_TEST_HOLD_TXN_MARKERS;
    }
    const kafka = kafkaClient(first);
    const producer = kafka.producer({ transactionalId: 'held-abort-id', maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    const txn = await producer.transaction();
    await txn.send({ topic: 'held-abort', messages: [{ value: 'aborted-0' }, { value: 'aborted-1' }] });
    await txn.abort();
    await producer.disconnect();
    expect((await describeTxn(first, 'held-abort-id')).transactionState).toBe('PrepareAbort');
    first.child.kill('SIGKILL');
    await first.exited;

    const second = await startChildBroker(['--data-dir', dataDir]);
    try {
      await until(async () => (await describeTxn(second, 'held-abort-id')).transactionState === 'CompleteAbort', 'the restarted broker to complete the abort', 15_000);
      const plain = kafkaClient(second).producer();
      await plain.connect();
      await plain.send({ topic: 'held-abort', messages: [{ value: 'after' }] });
      await plain.disconnect();
      const read = await readIsolated(second, 'held-abort', 0, true);
      expect(read.values).toEqual(['after']);
      expect(read.markers.map((m) => m.commit)).toEqual([false]);
      expect(fs.readdirSync(path.join(dataDir, 'held-abort-0')).filter((n) => n.endsWith('.txnindex'))).toHaveLength(1);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });

  it('a broker killed between EndTxn and the markers completes the transaction on restart', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    process.env.KAFKAESQUE_TEST_HOLD_TXN_MARKERS = '1';
    let first: ChildBroker;
    try {
      first = await startChildBroker(['--data-dir', dataDir]);
    } finally {
      delete process.env.KAFKAESQUE_TEST_HOLD_TXN_MARKERS;
    }
    const kafka = kafkaClient(first);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'held', numPartitions: 2 }] });
    await admin.disconnect();
    const producer = kafka.producer({ transactionalId: 'held-id', maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    const txn = await producer.transaction();
    await txn.send({ topic: 'held', messages: [{ value: 'p0-a', partition: 0 }, { value: 'p1-a', partition: 1 }] });
    await txn.sendOffsets({ consumerGroupId: 'held-group', topics: [{ topic: 'held', partitions: [{ partition: 0, offset: '42' }] }] });
    await txn.commit(); // answered at PrepareCommit; the hook keeps the markers from being written
    await producer.disconnect();
    expect((await describeTxn(first, 'held-id')).transactionState).toBe('PrepareCommit');
    expect((await readIsolated(first, 'held', 0, true)).values).toEqual([]);
    first.child.kill('SIGKILL');
    await first.exited;

    const second = await startChildBroker(['--data-dir', dataDir]);
    try {
      await until(async () => (await describeTxn(second, 'held-id')).transactionState === 'CompleteCommit', 'the restarted broker to complete the commit', 15_000);
      for (const [partition, value] of [[0, 'p0-a'], [1, 'p1-a']] as const) {
        const read = await readIsolated(second, 'held', partition, true);
        expect(read.values).toEqual([value]);
        expect(read.markers.map((m) => m.commit)).toEqual([true]);
      }
      const admin2 = kafkaClient(second).admin();
      await admin2.connect();
      const offsets = await admin2.fetchOffsets({ groupId: 'held-group', topics: ['held'] });
      await admin2.disconnect();
      expect(offsets[0]!.partitions.find((p) => p.partition === 0)!.offset).toBe('42');
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });
});
