/**
 * @platformatic/kafka transactions (the flexible-versions end: InitProducerId v5, AddPartitionsToTxn v3+,
 * EndTxn v3+): commit and abort, read back read_committed and read_uncommitted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, Producer, stringSerializers } from '@platformatic/kafka';
import { startTestBroker, type TestBroker } from '../helpers.js';
import { readIsolated } from './txn-helpers.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.stop();
});

describe('@platformatic/kafka transactions', () => {
  it('commits and aborts; read_committed sees the committed records only', async () => {
    const bootstrapBrokers = [broker.address];
    const admin = new Admin({ clientId: 'plt-tx-admin', bootstrapBrokers });
    await admin.createTopics({ topics: ['plt-tx'], partitions: 1, replicas: 1 });
    await admin.close();
    const producer = new Producer({ clientId: 'plt-tx', bootstrapBrokers, serializers: stringSerializers, idempotent: true, transactionalId: 'plt-tx-id' });
    try {
      const committed = await producer.beginTransaction();
      await committed.send({ messages: [{ topic: 'plt-tx', value: 'kept-0', partition: 0 }, { topic: 'plt-tx', value: 'kept-1', partition: 0 }] });
      await committed.commit();
      const aborted = await producer.beginTransaction();
      await aborted.send({ messages: [{ topic: 'plt-tx', value: 'dropped', partition: 0 }] });
      await aborted.abort();
      const again = await producer.beginTransaction();
      await again.send({ messages: [{ topic: 'plt-tx', value: 'kept-2', partition: 0 }] });
      await again.commit();
    } finally {
      await producer.close();
    }
    const read = await readIsolated(broker, 'plt-tx', 0, true);
    expect(read.values).toEqual(['kept-0', 'kept-1', 'kept-2']);
    expect(read.markers.map((m) => m.commit)).toEqual([true, false, true]);
    expect((await readIsolated(broker, 'plt-tx', 0, false)).values).toEqual(['kept-0', 'kept-1', 'dropped', 'kept-2']);
  });
});
