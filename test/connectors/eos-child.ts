/**
* The pipeline the exactly-once kill test runs in a child process: counts per key and 2-second window
 * sliding by 1 second, from `input`, written to `output` with toKafka. Prints one line per durable frontier advance.
 * Args: broker input output group exactly-once(0|1) stopWhenIdleMs
 */
import { fromKafka } from '../../src/connectors/from-kafka.js';
import { toKafka } from '../../src/connectors/to-kafka.js';
import { slidingWindow } from '../../src/dataflow/operators/sliding-window.js';
import { KafkaJsTransport } from '../../src/transport/kafkajs/kafkajs-transport.js';

const [broker, input, output, group, eos, idle] = process.argv.slice(2) as [string, string, string, string, string, string];
const transport = new KafkaJsTransport({ brokers: [broker] });
const source = fromKafka(input, { transport, groupId: group, maxOutOfOrderness: 1000, stopWhenIdleMs: Number(idle), sessionTimeoutMs: 6000 });
source.stream
  .pipe(
    // Sliding: a record re-read after a restart also falls in windows the dead run already wrote.
    slidingWindow(2000, 1000, { key: (r) => (r.key as Buffer).toString(), aggregate: (n: number) => n + 1, seed: 0 }),
    toKafka(output, {
      transport,
      source,
      exactlyOnce: eos === '1',
      commitIntervalMs: 100,
      commitBytes: 2000,
      key: (w) => w.key,
      value: (w) => JSON.stringify({ start: w.window.start, key: w.key, count: w.value }),
      headers: (w) => ({ window: String(w.window.start) }),
    }),
  )
  .subscribe({
    next(e) {
      if (e.kind === 'progress') process.stdout.write(`frontier ${JSON.stringify(e.updates)}\n`);
    },
    error(err) {
      console.error(err);
      process.exit(1);
    },
    complete() {
      void transport.close().then(() => process.exit(0));
    },
  });
