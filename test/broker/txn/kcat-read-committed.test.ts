/**
 * librdkafka (kcat) reading transactional data: read_committed (librdkafka's default) drops aborted records
 * using the broker's aborted-transactions list and never prints a marker; read_uncommitted prints all data.
 * Skips with a visible reason when kcat is missing locally; in CI a missing kcat fails.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasKcat, kafkaClient, startTestBroker, type TestBroker } from '../helpers.js';

const run = promisify(execFile);
const available = hasKcat();
if (!available) console.warn('SKIPPING kcat transaction tests: kcat is not installed (apt-get install kcat)');

let broker: TestBroker;
beforeAll(async () => {
  if (available) broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.stop();
});

describe.skipIf(!available)('kcat (librdkafka) and transactions', () => {
  it('read_committed skips aborted records and markers; read_uncommitted shows the data of both', async () => {
    const kafka = kafkaClient(broker);
    const plain = kafka.producer();
    await plain.connect();
    const producer = kafka.producer({ transactionalId: 'kcat-tx', maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    await plain.send({ topic: 'kcat-tx', messages: [{ value: 'plain-0' }] });
    const kept = await producer.transaction();
    await kept.send({ topic: 'kcat-tx', messages: [{ value: 'kept-0' }, { value: 'kept-1' }] });
    await kept.commit();
    const dropped = await producer.transaction();
    await dropped.send({ topic: 'kcat-tx', messages: [{ value: 'dropped-0' }] });
    await plain.send({ topic: 'kcat-tx', messages: [{ value: 'plain-1' }] });
    await dropped.abort();
    await plain.send({ topic: 'kcat-tx', messages: [{ value: 'plain-2' }] });
    await producer.disconnect();
    await plain.disconnect();

    const read = async (isolation: string) =>
      (await run('kcat', ['-C', '-b', broker.address, '-t', 'kcat-tx', '-o', 'beginning', '-e', '-q', '-X', `isolation.level=${isolation}`])).stdout.trim().split('\n');
    expect(await read('read_committed')).toEqual(['plain-0', 'kept-0', 'kept-1', 'plain-1', 'plain-2']);
    expect(await read('read_uncommitted')).toEqual(['plain-0', 'kept-0', 'kept-1', 'dropped-0', 'plain-1', 'plain-2']);
  });
});
