/**
 * A read_committed long-poll Fetch parked at the last stable offset wakes when the transaction closes, not
 * max_wait later: the commit marker's append wakes it before the LSO moves, so it must also wait on the
 * close (PartitionTxns.whenClosed). Raw requests through the project's codecs.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AddPartitionsToTxn, createAddPartitionsToTxnRequest } from '../../../src/protocol/messages/add-partitions-to-txn.js';
import { CreateTopics } from '../../../src/protocol/messages/create-topics.js';
import { EndTxn } from '../../../src/protocol/messages/end-txn.js';
import { Fetch } from '../../../src/protocol/messages/fetch.js';
import { InitProducerId } from '../../../src/protocol/messages/init-producer-id.js';
import { Produce } from '../../../src/protocol/messages/produce.js';
import { encodeRecordBatch } from '../../../src/protocol/records.js';
import { fetchRequest, RawClient, startTestBroker, type TestBroker } from '../helpers.js';
import { scrape } from '../../observe/prom-text.js';
import { until } from '../../until.js';

let broker: TestBroker;
let c: RawClient;
beforeAll(async () => {
  broker = await startTestBroker({ httpPort: 0 });
  c = await RawClient.connect(broker);
  await c.request(CreateTopics, 4, { topics: [{ name: 'wake', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
});
afterAll(async () => {
  c?.close();
  await broker?.stop();
});

it('a read_committed fetch parked at the LSO returns soon after EndTxn commits (max_wait 5 s)', async () => {
  const init = await c.request(InitProducerId, 4, { transactionalId: 'wake-txn', transactionTimeoutMs: 30000, producerId: -1n, producerEpoch: -1 });
  const { producerId, producerEpoch } = init;
  await c.request(AddPartitionsToTxn, 3, createAddPartitionsToTxnRequest({ v3AndBelowTransactionalId: 'wake-txn', v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: producerEpoch, v3AndBelowTopics: [{ name: 'wake', partitions: [0] }] }));
  const records = encodeRecordBatch({ transactional: true, producerId, producerEpoch, baseSequence: 0, records: [{ key: null, value: Buffer.from('committed-value') }] });
  const produced = await c.request(Produce, 9, { transactionalId: 'wake-txn', acks: -1, timeoutMs: 1000, topicData: [{ name: 'wake', partitionData: [{ index: 0, records }] }] });
  expect(produced.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);

  const consumer = await RawClient.connect(broker);
  try {
    // Parked: the only record is in the open transaction, above the LSO (0).
    const parked = consumer.request(Fetch, 11, fetchRequest('wake', 0, 0n, { isolationLevel: 1, maxWaitMs: 5000, minBytes: 1 }));
    let returnedAt = 0;
    void parked.then(() => (returnedAt = Date.now()));
    await until(async () => (await scrape(broker.http!)).value('kafkaesque_fetch_parked') === 1, 'the read_committed fetch to park');
    const committedAt = Date.now();
    expect((await c.request(EndTxn, 3, { transactionalId: 'wake-txn', producerId, producerEpoch, committed: true })).errorCode).toBe(0);
    const res = await parked;
    const waited = (returnedAt || Date.now()) - committedAt;
    const p = res.responses[0]!.partitions[0]!;
    expect(p.errorCode).toBe(0);
    expect(p.records?.length ?? 0).toBeGreaterThan(0);
    expect(p.lastStableOffset).toBe(2n); // record + commit marker
    expect(waited, `read_committed fetch returned ${waited} ms after the commit (max_wait 5000)`).toBeLessThan(1000);
  } finally {
    consumer.close();
  }
});
