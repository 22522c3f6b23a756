import { aggregatePerKey, sessionWindow, slidingWindow, tumblingWindow, joinPerTime, messages, progress, type Event } from '/work/wt-dataflow/src/dataflow/index.js';
import { Observable } from 'rxjs';
const BATCH = 1024, BATCHES = 1000;
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
const count = { key: (w: string) => w, aggregate: (n: number) => n + 1, seed: 0 };
for (const [name, op] of [
  ['tumblingWindow(60)', () => tumblingWindow(60, count)],
  ['slidingWindow(60, 20)', () => slidingWindow(60, 20, count)],
  ['sessionWindow(5)', () => sessionWindow(5, count)],
  ['aggregatePerKey', () => aggregatePerKey((w: string) => w, (n: number) => n + 1, 0, { ttl: 100 })],
  ['joinPerTime (self, 50 keys)', () => joinPerTime<string, string, string>(source(), (w) => w, (w) => w)],
] as const) {
  const times: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    source().pipe(op() as never).subscribe();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  console.log(name, ((BATCH * BATCHES) / (times[2]! / 1000) / 1e6).toFixed(2), 'M records/s (median of 5)');
}
