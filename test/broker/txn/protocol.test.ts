/**
 * The transaction APIs at the protocol level, with exact versions (raw requests through the project's
 * codecs): the produce-path refusal of transactional batches outside a transaction, transaction.max.timeout.ms,
 * error codes by version (PRODUCER_FENCED vs INVALID_PRODUCER_EPOCH), AddPartitionsToTxn's batched v4+ form
 * with verify_only, EndTxn states, Describe/ListTransactions, OffsetFetch require_stable, and the aborted
 * transaction index surviving a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { AddOffsetsToTxn } from '../../../src/protocol/messages/add-offsets-to-txn.js';
import { AddPartitionsToTxn, createAddPartitionsToTxnRequest } from '../../../src/protocol/messages/add-partitions-to-txn.js';
import { ApiVersions } from '../../../src/protocol/messages/api-versions.js';
import { DescribeTransactions } from '../../../src/protocol/messages/describe-transactions.js';
import { EndTxn } from '../../../src/protocol/messages/end-txn.js';
import { createFindCoordinatorRequest, FindCoordinator } from '../../../src/protocol/messages/find-coordinator.js';
import { InitProducerId } from '../../../src/protocol/messages/init-producer-id.js';
import { ListTransactions } from '../../../src/protocol/messages/list-transactions.js';
import { createOffsetFetchRequest, OffsetFetch } from '../../../src/protocol/messages/offset-fetch.js';
import { Produce } from '../../../src/protocol/messages/produce.js';
import { createTxnOffsetCommitRequest, TxnOffsetCommit } from '../../../src/protocol/messages/txn-offset-commit.js';
import { encodeRecordBatch } from '../../../src/protocol/records.js';
import { RawClient, startTestBroker, tempDir, type TestBroker } from '../helpers.js';
import { until } from '../../until.js';
import { readIsolated } from './txn-helpers.js';

let broker: TestBroker;
let c: RawClient;
const MAX_TIMEOUT = 5000;
beforeAll(async () => {
  broker = await startTestBroker({ transactionMaxTimeoutMs: MAX_TIMEOUT });
  c = await RawClient.connect(broker);
  const { CreateTopics } = await import('../../../src/protocol/messages/create-topics.js');
  await c.request(CreateTopics, 4, { topics: [{ name: 'raw', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
});
afterAll(async () => {
  c?.close();
  await broker?.stop();
});

async function init(id: string, timeoutMs = 3000) {
  return c.request(InitProducerId, 4, { transactionalId: id, transactionTimeoutMs: timeoutMs, producerId: -1n, producerEpoch: -1 });
}

async function addPartitions(version: number, id: string, producerId: bigint, producerEpoch: number, partitions = [0]) {
  const res = await c.request(AddPartitionsToTxn, version, createAddPartitionsToTxnRequest({ v3AndBelowTransactionalId: id, v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: producerEpoch, v3AndBelowTopics: [{ name: 'raw', partitions }] }));
  return res.resultsByTopicV3AndBelow[0]!.resultsByPartition.map((p) => p.partitionErrorCode);
}

async function produceTxn(producerId: bigint, producerEpoch: number, baseSequence: number, value: string, partition = 0) {
  const records = encodeRecordBatch({ transactional: true, producerId, producerEpoch, baseSequence, records: [{ key: null, value: Buffer.from(value) }] });
  const res = await c.request(Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'raw', partitionData: [{ index: partition, records }] }] });
  return res.responses[0]!.partitionResponses[0]!;
}

async function endTxn(version: number, id: string, producerId: bigint, producerEpoch: number, committed: boolean) {
  return (await c.request(EndTxn, version, { transactionalId: id, producerId, producerEpoch, committed })).errorCode;
}

describe('transaction APIs', () => {
  it('advertises every transaction API and version', async () => {
    const res = await c.request(ApiVersions, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
    const range = (key: number) => res.apiKeys.find((k) => k.apiKey === key);
    expect(range(24)).toMatchObject({ minVersion: 0, maxVersion: 5 }); // AddPartitionsToTxn
    expect(range(25)).toMatchObject({ minVersion: 0, maxVersion: 4 }); // AddOffsetsToTxn
    expect(range(26)).toMatchObject({ minVersion: 0, maxVersion: 4 }); // EndTxn
    expect(range(28)).toMatchObject({ minVersion: 0, maxVersion: 4 }); // TxnOffsetCommit
    expect(range(65)).toMatchObject({ minVersion: 0, maxVersion: 0 }); // DescribeTransactions
    expect(range(66)).toMatchObject({ minVersion: 0, maxVersion: 1 }); // ListTransactions
  });

  it('FindCoordinator key type 1 (transaction) names this broker, one key (v3) or a batch (v4+)', async () => {
    const one = await c.request(FindCoordinator, 3, createFindCoordinatorRequest({ key: 'any-txn', keyType: 1 }));
    expect(one).toMatchObject({ errorCode: 0, nodeId: 0, host: broker.host, port: broker.port });
    const batch = await c.request(FindCoordinator, 4, createFindCoordinatorRequest({ keyType: 1, coordinatorKeys: ['t1', 't2'] }));
    expect(batch.coordinators.map((k) => [k.key, k.errorCode, k.port])).toEqual([['t1', 0, broker.port], ['t2', 0, broker.port]]);
  });

  it('refuses a timeout above transaction.max.timeout.ms', async () => {
    expect((await init('too-long', MAX_TIMEOUT + 1)).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    expect((await init('too-long', MAX_TIMEOUT)).errorCode).toBe(0);
  });

  it('accepts transactional batches only from a producer whose ongoing transaction has the partition', async () => {
    const { producerId, producerEpoch } = await init('gate');
    expect((await produceTxn(producerId, producerEpoch, 0, 'not-added')).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    expect((await produceTxn(123456n, 0, 0, 'stranger')).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(await addPartitions(3, 'gate', producerId, producerEpoch)).toEqual([0]);
    expect((await produceTxn(producerId, producerEpoch, 0, 'in-txn')).errorCode).toBe(0);
    expect((await produceTxn(producerId, producerEpoch, 0, 'other-partition', 1)).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(await endTxn(3, 'gate', producerId, producerEpoch, true)).toBe(0);
    // After the commit the producer is between transactions: refused again.
    await until(async () => (await c.request(DescribeTransactions, 0, { transactionalIds: ['gate'] })).transactionStates[0]!.transactionState === 'CompleteCommit', 'the commit to complete');
    expect((await produceTxn(producerId, producerEpoch, 1, 'after-commit')).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(await endTxn(3, 'gate', producerId, producerEpoch, true)).toBe(0); // a retried EndTxn succeeds
    expect(await endTxn(3, 'gate', producerId, producerEpoch, false)).toBe(ErrorCode.INVALID_TXN_STATE);
  });

  it('holds the LSO from a transaction\'s first batch in a partition, not from AddPartitionsToTxn', async () => {
    const { CreateTopics } = await import('../../../src/protocol/messages/create-topics.js');
    await c.request(CreateTopics, 4, { topics: [{ name: 'lso', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    const p = await init('lso');
    const add = createAddPartitionsToTxnRequest({ v3AndBelowTransactionalId: 'lso', v3AndBelowProducerId: p.producerId, v3AndBelowProducerEpoch: p.producerEpoch, v3AndBelowTopics: [{ name: 'lso', partitions: [0] }] });
    expect((await c.request(AddPartitionsToTxn, 3, add)).resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode).toBe(0);
    const plain = (v: string) => c.request(Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'lso', partitionData: [{ index: 0, records: encodeRecordBatch({ records: [{ key: null, value: Buffer.from(v) }] }) }] }] });
    await plain('before-write');
    expect((await readIsolated(broker, 'lso', 0, true)).values).toEqual(['before-write']); // added, nothing written: not held
    const tx = encodeRecordBatch({ transactional: true, producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence: 0, records: [{ key: null, value: Buffer.from('in-txn') }] });
    const sendTx = async () => (await c.request(Produce, 9, { transactionalId: 'lso', acks: -1, timeoutMs: 1000, topicData: [{ name: 'lso', partitionData: [{ index: 0, records: Buffer.from(tx) }] }] })).responses[0]!.partitionResponses[0]!.errorCode;
    // The first idempotent batch of a partition that holds data waits for its producer state (retriable 6).
    let code = await sendTx();
    for (let i = 0; code === ErrorCode.NOT_LEADER_OR_FOLLOWER && i < 100; i++) code = await new Promise((r) => setTimeout(r, 10)).then(sendTx);
    expect(code).toBe(0);
    await plain('after-write');
    const held = await readIsolated(broker, 'lso', 0, true);
    expect(held.values).toEqual(['before-write']);
    expect(held.lastStableOffset).toBe(1n);
    expect(await endTxn(3, 'lso', p.producerId, p.producerEpoch, true)).toBe(0);
    expect((await readIsolated(broker, 'lso', 0, true)).values).toEqual(['before-write', 'in-txn', 'after-write']);
  });

  it('fences the older epoch with the error each version knows', async () => {
    const old = await init('fence');
    const current = await init('fence');
    expect(current.producerEpoch).toBe(old.producerEpoch + 1);
    expect(current.producerId).toBe(old.producerId);
    expect(await addPartitions(1, 'fence', old.producerId, old.producerEpoch)).toEqual([ErrorCode.INVALID_PRODUCER_EPOCH]);
    expect(await addPartitions(2, 'fence', old.producerId, old.producerEpoch)).toEqual([ErrorCode.PRODUCER_FENCED]);
    expect(await addPartitions(3, 'fence', old.producerId + 1n, current.producerEpoch)).toEqual([ErrorCode.INVALID_PRODUCER_ID_MAPPING]);
    expect(await endTxn(1, 'fence', old.producerId, old.producerEpoch, true)).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(await endTxn(2, 'fence', old.producerId, old.producerEpoch, true)).toBe(ErrorCode.PRODUCER_FENCED);
    expect(await endTxn(3, 'fence', current.producerId, current.producerEpoch, true)).toBe(ErrorCode.INVALID_TXN_STATE); // Empty
    // InitProducerId v3+ with the expected producer: a stale one is fenced.
    const stale = await c.request(InitProducerId, 4, { transactionalId: 'fence', transactionTimeoutMs: 3000, producerId: old.producerId, producerEpoch: old.producerEpoch });
    expect(stale.errorCode).toBe(ErrorCode.PRODUCER_FENCED);
    // A transactional batch of the fenced epoch is refused on the produce path too.
    expect(await addPartitions(3, 'fence', current.producerId, current.producerEpoch)).toEqual([0]);
    expect((await produceTxn(old.producerId, old.producerEpoch, 0, 'zombie')).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    // A stale producer asking to bump while the current one has a transaction open: fenced, nothing aborted.
    const staleBump = await c.request(InitProducerId, 4, { transactionalId: 'fence', transactionTimeoutMs: 3000, producerId: old.producerId, producerEpoch: old.producerEpoch });
    expect(staleBump.errorCode).toBe(ErrorCode.PRODUCER_FENCED);
    expect((await c.request(DescribeTransactions, 0, { transactionalIds: ['fence'] })).transactionStates[0]!).toMatchObject({ transactionState: 'Ongoing', producerEpoch: current.producerEpoch });
    expect(await endTxn(3, 'fence', current.producerId, current.producerEpoch, false)).toBe(0);
  });

  it('AddPartitionsToTxn v4+ (the batched broker form): adds per transaction, and verify_only checks', async () => {
    const a = await init('batch-a');
    const b = await init('batch-b');
    const tx = (id: string, p: { producerId: bigint; producerEpoch: number }, verifyOnly: boolean, partitions: number[]) => ({
      transactionalId: id,
      producerId: p.producerId,
      producerEpoch: p.producerEpoch,
      verifyOnly,
      topics: [{ name: 'raw', partitions }],
    });
    const codes = (res: { resultsByTransaction: { transactionalId: string; topicResults: { resultsByPartition: { partitionErrorCode: number }[] }[] }[] }) =>
      Object.fromEntries(res.resultsByTransaction.map((r) => [r.transactionalId, r.topicResults[0]!.resultsByPartition.map((p) => p.partitionErrorCode)]));
    const add = await c.request(AddPartitionsToTxn, 5, createAddPartitionsToTxnRequest({ transactions: [tx('batch-a', a, false, [0]), tx('batch-b', b, false, [1])] }));
    expect(add.errorCode).toBe(0);
    expect(codes(add)).toEqual({ 'batch-a': [0], 'batch-b': [0] });
    const verify = await c.request(AddPartitionsToTxn, 4, createAddPartitionsToTxnRequest({ transactions: [tx('batch-a', a, true, [0, 1])] }));
    expect(codes(verify)).toEqual({ 'batch-a': [0, ErrorCode.INVALID_TXN_STATE] });
    for (const [id, p] of [['batch-a', a], ['batch-b', b]] as const) expect(await endTxn(4, id, p.producerId, p.producerEpoch, false)).toBe(0);
  });

  it('DescribeTransactions and ListTransactions report states, partitions and filters', async () => {
    const p = await init('listed', 4000);
    expect(await addPartitions(3, 'listed', p.producerId, p.producerEpoch, [0, 1])).toEqual([0, 0]);
    const d = (await c.request(DescribeTransactions, 0, { transactionalIds: ['listed', 'nobody'] })).transactionStates;
    expect(d[0]).toMatchObject({ errorCode: 0, transactionState: 'Ongoing', transactionTimeoutMs: 4000, producerId: p.producerId, producerEpoch: p.producerEpoch, topics: [{ topic: 'raw', partitions: [0, 1] }] });
    expect(d[0]!.transactionStartTimeMs).toBeGreaterThan(0n);
    expect(d[1]!.errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
    const ongoing = await c.request(ListTransactions, 1, { stateFilters: ['Ongoing', 'Bogus'], producerIdFilters: [], durationFilter: -1n });
    expect(ongoing.unknownStateFilters).toEqual(['Bogus']);
    expect(ongoing.transactionStates.map((t) => t.transactionalId)).toContain('listed');
    expect(ongoing.transactionStates.every((t) => t.transactionState === 'Ongoing')).toBe(true);
    const byProducer = await c.request(ListTransactions, 0, { stateFilters: [], producerIdFilters: [p.producerId], durationFilter: -1n });
    expect(byProducer.transactionStates).toEqual([{ transactionalId: 'listed', producerId: p.producerId, transactionState: 'Ongoing' }]);
    const longRunning = await c.request(ListTransactions, 1, { stateFilters: [], producerIdFilters: [], durationFilter: 3_600_000n });
    expect(longRunning.transactionStates).toEqual([]);
    expect(await endTxn(3, 'listed', p.producerId, p.producerEpoch, false)).toBe(0);
  });

  it('TxnOffsetCommit: pending offsets are UNSTABLE_OFFSET_COMMIT under require_stable, invisible otherwise, stored on commit', async () => {
    const p = await init('offsets');
    expect((await c.request(AddOffsetsToTxn, 3, { transactionalId: 'offsets', producerId: p.producerId, producerEpoch: p.producerEpoch, groupId: 'g1' })).errorCode).toBe(0);
    const commit = await c.request(TxnOffsetCommit, 3, createTxnOffsetCommitRequest({ transactionalId: 'offsets', groupId: 'g1', producerId: p.producerId, producerEpoch: p.producerEpoch, topics: [{ name: 'raw', partitions: [{ partitionIndex: 0, committedOffset: 11n, committedLeaderEpoch: -1, committedMetadata: null }] }] }));
    expect(commit.topics[0]!.partitions[0]!.errorCode).toBe(0);
    const fetch = (requireStable: boolean) => c.request(OffsetFetch, 7, createOffsetFetchRequest({ groupId: 'g1', topics: [{ name: 'raw', partitionIndexes: [0] }], requireStable }));
    expect((await fetch(true)).topics[0]!.partitions[0]).toMatchObject({ errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT });
    expect((await fetch(false)).topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, committedOffset: -1n });
    // A group never added to the transaction is refused.
    const notAdded = await c.request(TxnOffsetCommit, 3, createTxnOffsetCommitRequest({ transactionalId: 'offsets', groupId: 'g2', producerId: p.producerId, producerEpoch: p.producerEpoch, topics: [{ name: 'raw', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }] }));
    expect(notAdded.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(await endTxn(3, 'offsets', p.producerId, p.producerEpoch, true)).toBe(0);
    await until(async () => (await fetch(true)).topics[0]!.partitions[0]!.committedOffset === 11n, 'the committed offset to show');
    expect((await fetch(true)).topics[0]!.partitions[0]!.errorCode).toBe(0);
  });
});

describe('the aborted-transaction index', () => {
  it('is kept in .txnindex files and read back after a restart', async () => {
    const dataDir = tempDir();
    let b = await startTestBroker({ dataDir });
    let raw = await RawClient.connect(b);
    const { CreateTopics } = await import('../../../src/protocol/messages/create-topics.js');
    await raw.request(CreateTopics, 4, { topics: [{ name: 'idx', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    const p = await raw.request(InitProducerId, 4, { transactionalId: 'idx', transactionTimeoutMs: 3000, producerId: -1n, producerEpoch: -1 });
    const add = createAddPartitionsToTxnRequest({ v3AndBelowTransactionalId: 'idx', v3AndBelowProducerId: p.producerId, v3AndBelowProducerEpoch: p.producerEpoch, v3AndBelowTopics: [{ name: 'idx', partitions: [0] }] });
    await raw.request(AddPartitionsToTxn, 3, add);
    const records = encodeRecordBatch({ transactional: true, producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence: 0, records: [{ key: null, value: Buffer.from('aborted') }] });
    await raw.request(Produce, 9, { transactionalId: 'idx', acks: -1, timeoutMs: 1000, topicData: [{ name: 'idx', partitionData: [{ index: 0, records }] }] });
    await raw.request(EndTxn, 3, { transactionalId: 'idx', producerId: p.producerId, producerEpoch: p.producerEpoch, committed: false });
    await until(async () => (await raw.request(DescribeTransactions, 0, { transactionalIds: ['idx'] })).transactionStates[0]!.transactionState === 'CompleteAbort', 'the abort to complete');
    raw.close();
    await b.close();
    const fs = await import('node:fs');
    expect(fs.readdirSync(`${dataDir}/idx-0`).filter((n) => n.endsWith('.txnindex'))).toHaveLength(1);

    b = await startTestBroker({ dataDir });
    raw = await RawClient.connect(b);
    try {
      const read = await readIsolated(b, 'idx', 0, true);
      expect(read.values).toEqual([]); // the aborted record is filtered by the reloaded index
      expect((await readIsolated(b, 'idx', 0, false)).values).toEqual(['aborted']);
    } finally {
      raw.close();
      await b.stop();
    }
  });
});
