/**
 * The transaction log and the coordinator's bounds: every state survives a reopen exactly (property test of
 * the entry format), a torn tail is cut, the file stays bounded while one id changes state thousands of
 * times, and ids idle past transactional.id.expiration.ms are forgotten.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ListTransactions } from '../../../src/protocol/messages/list-transactions.js';
import { InitProducerId } from '../../../src/protocol/messages/init-producer-id.js';
import { EXPIRY_SWEEP_EVERY } from '../../../src/broker/txn/coordinator.js';
import { COMPACT_MIN_GARBAGE_BYTES, decodeTxn, encodeTxn, TRANSACTIONS_FILE, TxnLog } from '../../../src/broker/txn/txn-log.js';
import { TXN_STATES, type TxnMetadata } from '../../../src/broker/txn/txn-metadata.js';
import { RawClient, startTestBroker, tempDir } from '../helpers.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function dir(): string {
  const d = tempDir();
  dirs.push(d);
  return d;
}

const txnArb: fc.Arbitrary<TxnMetadata> = fc
  .record({
    transactionalId: fc.string({ minLength: 1, maxLength: 20 }),
    producerId: fc.bigInt({ min: 0n, max: 2n ** 62n }),
    producerEpoch: fc.integer({ min: 0, max: 32766 }),
    timeoutMs: fc.integer({ min: 1, max: 900_000 }),
    state: fc.constantFrom(...TXN_STATES),
    startTimeMs: fc.integer({ min: -1, max: 2 ** 42 }),
    updateTimeMs: fc.integer({ min: 0, max: 2 ** 42 }),
    partitions: fc.uniqueArray(fc.record({ topic: fc.string({ minLength: 1, maxLength: 10 }), partition: fc.integer({ min: 0, max: 1000 }), firstOffset: fc.bigInt({ min: 0n, max: 2n ** 50n }) }), { selector: (p) => `${p.partition}:${p.topic}`, maxLength: 5 }),
    groups: fc.uniqueArray(
      fc.tuple(fc.string({ maxLength: 10 }), fc.array(fc.record({ topic: fc.string({ maxLength: 10 }), partition: fc.integer({ min: 0, max: 100 }), offset: fc.bigInt({ min: 0n, max: 2n ** 50n }), leaderEpoch: fc.integer({ min: -1, max: 100 }), metadata: fc.option(fc.string({ maxLength: 10 }), { nil: null }) }), { maxLength: 3 })),
      { selector: (g) => g[0], maxLength: 3 },
    ),
  })
  .map((r) => ({ ...r, partitions: new Map(r.partitions.map((p) => [`${p.partition}:${p.topic}`, p])), groups: new Map(r.groups) }));

describe('transaction log', () => {
  it('property: an entry decodes to the state it encodes', () => {
    fc.assert(
      fc.property(txnArb, (t) => {
        expect(decodeTxn(encodeTxn(t))).toEqual(t);
      }),
      { numRuns: 200 },
    );
  });

  it('reopens to the latest state of each id and cuts a torn tail', async () => {
    const d = dir();
    const { log, txns } = TxnLog.open(d);
    const [a, b] = fc.sample(txnArb, 2).map((t, i) => ({ ...t, transactionalId: `id-${i}` }));
    for (const t of [a!, b!]) txns.set(t.transactionalId, t);
    await log.write(a!);
    await log.write(b!);
    a!.state = 'CompleteCommit';
    await log.write(a!);
    await log.close();
    fs.appendFileSync(path.join(d, TRANSACTIONS_FILE), Buffer.from([0, 0, 0, 50, 1, 2, 3])); // a torn frame
    const again = TxnLog.open(d);
    expect(again.txns.get('id-0')).toEqual(a);
    expect(again.txns.get('id-1')).toEqual(b);
    await again.log.close();
  });

  it('stays bounded while one id changes state many times (compacted while running)', async () => {
    const d = dir();
    const { log, txns } = TxnLog.open(d);
    const t = { ...fc.sample(txnArb, 1)[0]!, transactionalId: 'busy' };
    txns.set('busy', t);
    const entry = encodeTxn(t).length + 8;
    const writes = Math.ceil((3 * COMPACT_MIN_GARBAGE_BYTES) / entry);
    for (let i = 0; i < writes; i++) {
      t.producerEpoch = i % 30000;
      await log.write(t);
    }
    await log.close();
    expect(fs.statSync(path.join(d, TRANSACTIONS_FILE)).size).toBeLessThan(2 * COMPACT_MIN_GARBAGE_BYTES + 2 * entry);
    expect(TxnLog.open(d).txns.get('busy')!.producerEpoch).toBe((writes - 1) % 30000);
  });
});

describe('transactional id expiry', () => {
  it('forgets ids idle past transactional.id.expiration.ms (while running and at start-up)', async () => {
    const dataDir = dir();
    let broker = await startTestBroker({ dataDir, transactionalIdExpirationMs: 200 });
    let c = await RawClient.connect(broker);
    const list = async () => (await c.request(ListTransactions, 1, { stateFilters: [], producerIdFilters: [], durationFilter: -1n })).transactionStates.length;
    await c.request(InitProducerId, 4, { transactionalId: 'idle', transactionTimeoutMs: 1000, producerId: -1n, producerEpoch: -1 });
    expect(await list()).toBe(1);
    await new Promise((r) => setTimeout(r, 250)); // past the expiration
    // A sweep runs every EXPIRY_SWEEP_EVERY registrations: the idle id goes, the busy one stays.
    for (let i = 0; i < EXPIRY_SWEEP_EVERY; i++) await c.request(InitProducerId, 4, { transactionalId: 'busy', transactionTimeoutMs: 1000, producerId: -1n, producerEpoch: -1 });
    const ids = (await c.request(ListTransactions, 1, { stateFilters: [], producerIdFilters: [], durationFilter: -1n })).transactionStates.map((t) => t.transactionalId);
    expect(ids).toEqual(['busy']);
    c.close();
    await broker.close();
    await new Promise((r) => setTimeout(r, 250));
    broker = await startTestBroker({ dataDir, transactionalIdExpirationMs: 200 });
    c = await RawClient.connect(broker);
    try {
      expect(await list()).toBe(0); // expired while the broker was down
    } finally {
      c.close();
      await broker.stop();
    }
  });
});
