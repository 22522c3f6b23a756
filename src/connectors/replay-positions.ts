/**
 * `replayPositions`: the positions of a replay (per captured stream: the first event whose data the sink's
 * frontier has not passed) as a source an exactly-once `toKafka` commits with its output (issue 15's wordcount
 * stage 2). Each position is committed for group `groupId` as the offset of partition 0 of the stream's topic,
 * counted in events; the sink's frontier F goes with it, as for a fromKafka source.
 *
 * A restart reads every stream from its beginning (the progress before a position is what makes the frontier
 * exact), but skips the data of the events before its position: their times are all before F, so their results
 * were committed, and the sink drops every result at a time before F anyway. Results at F or later come only
 * from data at those times (windows and per-time operators put a result at or before its records' times),
 * which all lies at or after the positions.
 */
import type { Event } from '../dataflow/event.js';
import type { EventIterator } from '../transport/event-iterator.js';
import type { TopicPartitionOffset } from '../transport/record-reader.js';
import { PendingOffsets } from './pending-offsets.js';
import type { SinkSource } from './to-kafka.js';

export interface ReplayPositions<D> extends SinkSource {
  readonly groupId: string;
  /** The streams to replay (in the order given), reading only once the sink knows where to resume. */
  readonly iterators: readonly EventIterator<number, D>[];
  /** Events whose data was skipped on resume, per stream (for reports and tests). */
  readonly skipped: readonly number[];
}

class PositionedIterator<D> implements EventIterator<number, D> {
  readonly pending = new PendingOffsets();
  private index = 0;
  skip = 0;
  skipped = 0;
  constructor(private readonly inner: EventIterator<number, D>, private readonly resumed: { ready: boolean; promise: Promise<void> }) {}

  get name(): string {
    return this.inner.name;
  }
  get present(): boolean {
    return this.inner.present;
  }
  get ended(): boolean {
    return this.inner.ended;
  }

  next(): Event<number, D> | undefined {
    if (!this.resumed.ready) return undefined;
    for (;;) {
      const event = this.inner.next();
      if (event === undefined) return undefined;
      const at = BigInt(this.index++);
      if (event.kind === 'progress') {
        this.pending.add(at, -Infinity);
        return event;
      }
      if (at < BigInt(this.skip)) {
        this.pending.add(at, -Infinity);
        this.skipped++;
        continue;
      }
      this.pending.add(at, event.time);
      return event;
    }
  }

  whenReady(): Promise<void> {
    return this.resumed.ready ? this.inner.whenReady() : this.resumed.promise;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * Wraps a replay's iterators (e.g. `exchangeTopicsOf(...).map((t) => transport.iterator(t))`); give the result's
 * `iterators` to `replay` and the result itself to `toKafka({ source, exactlyOnce: true })`.
 */
export function replayPositions<D>(groupId: string, iterators: readonly EventIterator<number, D>[]): ReplayPositions<D> {
  let resolve = (): void => {};
  const resumed = { ready: false, promise: new Promise<void>((r) => (resolve = r)) };
  const wrapped = iterators.map((it) => new PositionedIterator<D>(it, resumed));
  const byTopic = new Map(wrapped.map((w) => [w.name, w]));
  let lastAt = 0;
  return {
    groupId,
    topics: wrapped.map((w) => w.name),
    iterators: wrapped,
    get skipped() {
      return wrapped.map((w) => w.skipped);
    },
    completedOffsets(at = lastAt): TopicPartitionOffset[] {
      if (at < lastAt) throw new RangeError(`completedOffsets(${at}): asked for ${lastAt} before; the time must not decrease`);
      lastAt = at;
      // A stream nothing was read from yet has no position to commit.
      return wrapped.filter((w) => w.pending.next >= 0n).map((w) => ({ topic: w.name, partition: 0, offset: w.pending.completeAt(at) }));
    },
    resumed(committed) {
      for (const c of committed) {
        const w = byTopic.get(c.topic);
        if (w && c.partition === 0 && c.offset > 0n) w.skip = Number(c.offset);
      }
      resumed.ready = true;
      resolve();
    },
    handOverCommits() {},
    releaseCommits() {},
    commit() {
      return Promise.reject(new Error(`replay positions of group "${groupId}" are committed only in an exactly-once sink's transactions (toKafka with exactlyOnce: true)`));
    },
  };
}
