import { aggregatePerTime, countPerTime, delay, messages, progress, type Event } from '/work/wt-dataflow/.tmp-bench/base/src/dataflow/index.js';
import { Observable } from 'rxjs';
const BATCH = 1024, BATCHES = 2000;
const batch = Array.from({ length: BATCH }, (_, i) => `w${i % 50}`);
function source(): Observable<Event<number, string>> {
  return new Observable((s) => {
    for (let i = 0; i < BATCHES; i++) {
      s.next(messages(i, batch));
      s.next(progress([[i, -1], [i + 1, 1]]));
    }
    s.next(progress([[BATCHES, -1]]));
    s.complete();
  });
}
for (const [name, op] of [
  ['countPerTime', () => countPerTime<number, string>()],
  ['aggregatePerTime', () => aggregatePerTime((w: string) => w, (n: number) => n + 1, 0)],
  ['delay', () => delay<string>((t) => t + 1)],
] as const) {
  const times: number[] = [];
  for (let r = 0; r < 7; r++) {
    const t0 = process.hrtime.bigint();
    source().pipe(op() as never).subscribe();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  console.log(name, 'median ms for', BATCH * BATCHES, 'records:', times[3]!.toFixed(1));
}
