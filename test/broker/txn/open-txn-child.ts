/**
 * A transactional kafkajs producer in its own process, for the SIGKILL test: opens a transaction on
 * `<topic>`, sends `<count>` records, prints "sent", and waits to be killed without ever ending it.
 *
 *   tsx open-txn-child.ts <host:port> <topic> <transactional id> <count> <transaction timeout ms>
 */
import { Kafka, logLevel } from 'kafkajs';

const [broker, topic, transactionalId, count, timeout] = process.argv.slice(2);
const kafka = new Kafka({ clientId: 'open-txn-child', brokers: [broker!], logLevel: logLevel.NOTHING });
const producer = kafka.producer({ transactionalId, maxInFlightRequests: 1, idempotent: true, transactionTimeout: Number(timeout) });
await producer.connect();
const txn = await producer.transaction();
await txn.send({ topic: topic!, messages: Array.from({ length: Number(count) }, (_, i) => ({ value: `doomed-${i}` })) });
process.stdout.write('sent\n');
setInterval(() => {}, 1 << 30);
