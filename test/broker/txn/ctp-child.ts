/**
 * Consume-transform-produce in its own process, for the crash test: reads `ctp-in` in group `ctp-group`
 * and, per record, writes `out-<value>` to `ctp-out` and commits the consumed offset in the same
 * transaction. With `<crash after>` >= 0 it SIGKILLs itself inside the transaction of that record (output
 * sent, offsets not yet). Prints "done" after the record valued `<last>`.
 *
 *   tsx ctp-child.ts <host:port> <crash after> <last>
 */
import { Kafka, logLevel } from 'kafkajs';

const [broker, crashAfter, last] = process.argv.slice(2);
const kafka = new Kafka({ clientId: 'ctp-child', brokers: [broker!], logLevel: logLevel.NOTHING });
const producer = kafka.producer({ transactionalId: 'ctp-id', maxInFlightRequests: 1, idempotent: true, transactionTimeout: 20_000 });
await producer.connect();
const consumer = kafka.consumer({ groupId: 'ctp-group', sessionTimeout: 1500, heartbeatInterval: 300, rebalanceTimeout: 3000 });
await consumer.connect();
await consumer.subscribe({ topic: 'ctp-in', fromBeginning: true });
let processed = 0;
await consumer.run({
  autoCommit: false,
  eachMessage: async ({ topic, partition, message }) => {
    const value = message.value!.toString();
    const txn = await producer.transaction();
    await txn.send({ topic: 'ctp-out', messages: [{ value: `out-${value}` }] });
    if (processed === Number(crashAfter)) process.kill(process.pid, 'SIGKILL');
    await txn.sendOffsets({ consumerGroupId: 'ctp-group', topics: [{ topic, partitions: [{ partition, offset: (BigInt(message.offset) + 1n).toString() }] }] });
    await txn.commit();
    processed++;
    if (value === last) {
      // (kafkajs' consumer.disconnect() would wait for this very handler to return.)
      process.stdout.write('done\n', () => process.exit(0));
    }
  },
});
