/**
 * The README's quick start, runnable as is (`npm run build && node dist/examples/quickstart.js`) and run by
 * test/examples/quickstart.test.ts: an embedded broker, a stream with progress captured into a topic, and the
 * topic replayed into a per-time count.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { InputHandle, WireTransport, captureFrom, countPerTime, replay, startBroker } from '../src/index.js';

export async function quickstart(): Promise<Array<[time: number, count: number]>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kafkaesque-quickstart-'));
  // 1. The log: a Kafka-protocol broker in this process (any Kafka or Redpanda cluster works the same).
  const broker = await startBroker({ dataDir, port: 0, logLevel: 'warn' });
  const transport = new WireTransport({ brokers: [`${broker.host}:${broker.port}`] });
  try {
    // 2. A stream with progress: data at times 0 and 1, each time released by advancing the input.
    const input = new InputHandle<number, string>();
    const captured = captureFrom(input.stream, await transport.pusher<number, string>('greetings-0'));
    input.send(['hello', 'world']);
    input.advanceTo(1);
    input.send(['again']);
    input.close();
    await captured; // resolves once the broker acknowledged every event

    // 3. Replay the captured stream (any number of them) and count per time: a count appears only once
    //    the frontier has passed its time, i.e. when no more data can arrive for it.
    const counted = replay([transport.iterator<number, string>('greetings-0')]).pipe(countPerTime(), toArray());
    const events = await lastValueFrom(counted);
    return events.flatMap((e) => (e.kind === 'messages' ? [[e.time, Array.from(e.data)[0] as number] as [number, number]] : []));
  } finally {
    await transport.close();
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && new URL(import.meta.url).pathname === process.argv[1]) {
  console.log(await quickstart()); // [ [ 0, 2 ], [ 1, 1 ] ]
}
