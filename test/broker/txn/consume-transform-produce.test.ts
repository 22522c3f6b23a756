/**
 * Consume-transform-produce with the consumed offsets committed inside each transaction (kafkajs in a child
 * process): killed with SIGKILL in the middle of a transaction and restarted, the output read
 * read_committed holds every input exactly once, in order; the killed transaction's output is in the log
 * but aborted.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaClient, startTestBroker, type TestBroker } from '../helpers.js';
import { within } from '../../until.js';
import { readIsolated } from './txn-helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const COUNT = 30;
const CRASH_AFTER = 10;

let broker: TestBroker;
beforeAll(async () => {
  // Short sessions, so the killed member leaves the group quickly and the restarted one takes over.
  broker = await startTestBroker({ groupMinSessionTimeoutMs: 500 });
});
afterAll(async () => {
  await broker?.stop();
});

function runChild(crashAfter: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'ctp-child.ts'), broker.address, String(crashAfter), `in-${COUNT - 1}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout })));
}

describe('consume-transform-produce', () => {
  it('after a crash inside a transaction, no output is duplicated and none is lost', async () => {
    const kafka = kafkaClient(broker);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'ctp-in' }, { topic: 'ctp-out' }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'ctp-in', messages: Array.from({ length: COUNT }, (_, i) => ({ value: `in-${i}` })) });
    await producer.disconnect();

    const crashed = await within(runChild(CRASH_AFTER), 'the first child to kill itself', 60_000);
    expect(crashed.signal).toBe('SIGKILL');
    const finished = await within(runChild(-1), 'the restarted child to process the rest', 60_000);
    expect(finished.stdout).toContain('done');

    const expected = Array.from({ length: COUNT }, (_, i) => `out-in-${i}`);
    expect((await readIsolated(broker, 'ctp-out', 0, true)).values).toEqual(expected);
    const everything = (await readIsolated(broker, 'ctp-out', 0, false)).values;
    expect(everything.filter((v) => v === `out-in-${CRASH_AFTER}`)).toHaveLength(2); // the killed transaction's copy, aborted
    expect(everything).toHaveLength(COUNT + 1);
  });
});
