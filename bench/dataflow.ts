/**
 * Dataflow throughput on one core: records/s through `toStream → mapData → countPerTime` with batches of
 * 1,024 numbers (typed and plain-array batches), and progress updates/s through `merge` of 64 streams that
 * advance epoch by epoch. Targets (issue 5): ≥ 50 M records/s and ≥ 1 M progress updates/s. Rates are the
 * median of 7 runs, per second of this process's CPU time (the build machine is shared); wall-clock rates
 * are in the notes. Issue 15's `fromKafka → exchange → slidingWindow → output topic` rows are in
 * dataflow-kafka.ts.
 */
import { Subject } from 'rxjs';
import {
  countPerTime,
  mapBatch,
  mapData,
  merge,
  progress,
  toStream,
  type Event,
  type ProgressEvent,
} from '../src/dataflow/index.js';
import type { BenchRow } from './types.js';

const BATCH = 1024;

/**
 * The median of `rounds` runs of `fn` (which processes `units` items), after one warm-up: a typical run,
 * not the luckiest. Items per second of CPU time (user + system of this process): the machine is shared,
 * so wall-clock time would measure the neighbours. The wall-clock rate of the same median run is reported
 * beside it.
 */
function rate(units: number, fn: () => void, rounds = 7): { cpu: number; wall: number } {
  fn();
  const runs: { cpu: number; wall: number }[] = [];
  for (let r = 0; r < rounds; r++) {
    const startWall = process.hrtime.bigint();
    const startCpu = process.cpuUsage();
    fn();
    const cpu = process.cpuUsage(startCpu);
    runs.push({ cpu: (cpu.user + cpu.system) / 1e6, wall: Number(process.hrtime.bigint() - startWall) / 1e9 });
  }
  runs.sort((a, b) => a.cpu - b.cpu);
  const median = runs[Math.floor(rounds / 2)]!;
  return { cpu: units / median.cpu, wall: units / median.wall };
}

/** Runs a synchronous pipeline to completion and checks the count it produced. */
function drain(stream: ReturnType<typeof toStream<number>>, expected: number): void {
  let total = 0;
  stream.subscribe((e: Event<number, number>) => {
    if (e.kind === 'messages') total += e.data[0] as number;
  });
  if (total !== expected) throw new Error(`pipeline counted ${total}, expected ${expected}`);
}

function recordsPerSecond(): BenchRow[] {
  const n = BATCH * 8192; // 8 M records
  const typed = new Float64Array(n).map((_, i) => i);
  const plain = Array.from(typed);
  const double = (x: number): number => x * 2 + 1;
  // The headline variant runs first, while the operator's loops have seen only its element kinds.
  const variants: [string, () => void, string][] = [
    [
      'toStream → mapData → countPerTime (Float64Array batches)',
      () => drain(toStream(typed, { batchSize: BATCH }).pipe(mapData(double, { output: 'float64' }), countPerTime()), n),
      'batches of 1,024 (subarray views in, Float64Array out); target ≥ 50',
    ],
    [
      'toStream → mapData → countPerTime (number[] batches)',
      () => drain(toStream(plain, { batchSize: BATCH }).pipe(mapData(double), countPerTime()), n),
      'batches of 1,024 (array slices in, arrays out)',
    ],
    [
      'toStream → mapBatch → countPerTime (Float64Array batches)',
      () =>
        drain(
          toStream(typed, { batchSize: BATCH }).pipe(
            mapBatch((b) => {
              const src = b as Float64Array;
              const out = new Float64Array(src.length);
              for (let i = 0; i < src.length; i++) out[i] = (src[i] as number) * 2 + 1;
              return out;
            }),
            countPerTime(),
          ),
          n,
        ),
      'one call per batch',
    ],
  ];
  return variants.map(([name, fn, note]) => {
    const r = rate(n, fn);
    return { name, value: r.cpu / 1e6, unit: 'M records/s', note: `${note}; median of 7; wall ${(r.wall / 1e6).toFixed(1)}` };
  });
}

function progressPerSecond(): BenchRow[] {
  const k = 64;
  const epochs = 4096;
  // Prebuilt advances, shared by every stream: the benchmark measures merge, not event allocation.
  const advances: ProgressEvent<number>[] = [];
  for (let e = 0; e < epochs; e++) advances.push(progress([[e, -1], [e + 1, 1]]));
  const finish = progress<number>([[epochs, -1]]);
  let emitted = 0;
  const once = (): void => {
    const inputs = Array.from({ length: k }, () => new Subject<Event<number, number>>());
    emitted = 0;
    let completed = false;
    merge(inputs).subscribe({ next: () => emitted++, complete: () => (completed = true) });
    for (let e = 0; e < epochs; e++) {
      const event = advances[e] as ProgressEvent<number>;
      for (let i = 0; i < k; i++) (inputs[i] as Subject<Event<number, number>>).next(event);
    }
    for (const input of inputs) {
      input.next(finish);
      input.complete();
    }
    if (!completed || emitted !== epochs + 1) throw new Error(`merge emitted ${emitted} progress events, expected ${epochs + 1}`);
  };
  const events = k * (epochs + 1);
  const r = rate(events, once);
  return [
    {
      name: 'merge of 64 streams: progress updates',
      value: r.cpu / 1e6,
      unit: 'M events/s',
      note: `input progress events, each [(t,-1),(t+1,+1)]; target ≥ 1; median of 7; wall ${(r.wall / 1e6).toFixed(2)}`,
    },
    { name: 'merge of 64 streams: frontier deltas', value: (r.cpu * 2) / 1e6, unit: 'M deltas/s', note: 'two per event' },
  ];
}

export default async function run(): Promise<BenchRow[]> {
  // Issue 15's rows through the log (dataflow-kafka.ts); BENCH_DATAFLOW_ONLY=kafka runs only those.
  const { default: kafkaRows } = await import('./dataflow-kafka.js');
  if (process.env.BENCH_DATAFLOW_ONLY === 'kafka') return kafkaRows();
  return [...recordsPerSecond(), ...progressPerSecond(), ...(await kafkaRows())];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const row of await run()) console.log(`${row.name}: ${row.value.toFixed(2)} ${row.unit} (${row.note ?? ''})`);
}
