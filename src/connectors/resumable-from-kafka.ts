/**
 * `resumableFromKafka`: fromKafka as a resumable source for an exactly-once capture (issue 15's wordcount
 * stage 1: `captureFrom(resumableFromKafka(...), pusher, { exactlyOnce: true, resume: true })`). Its token is
 * the input position: per partition, the offset before which every record was emitted (or found late), and
 * the stream's frontier. A restart reads each partition from its offset, starts its frontier there, and so
 * continues the committed stream prefix without a gap or a repeat.
 *
 * A fetched batch's records go out as several events (one per time): between them there is no offset that
 * says which were emitted, so the token is undefined there and capture commits only at batch boundaries.
 * Reading uses explicit assignment (every partition of the topics, or `partitions`), never a group: the
 * offsets live in the capture's commit, with the events they produced.
 */
import type { Event } from '../dataflow/event.js';
import { Signal } from '../util/signal.js';
import { partitionKey, type KafkaRecord, type TopicPartitionOffset } from '../transport/record-reader.js';
import { fromKafka, type FromKafkaOptions, type KafkaSource } from './from-kafka.js';

export interface ResumableFromKafkaOptions<D> extends Omit<FromKafkaOptions, 'groupId' | 'commitOffsets' | 'startOffsets' | 'startFrontier' | 'batches' | 'sessionTimeoutMs'> {
  /** What each record contributes at its time (default: the record itself). Records giving nothing are dropped. */
  map?: (record: KafkaRecord, time: number) => Iterable<D>;
  /** Called with each run's fromKafka source (late output and counts), e.g. to report `lateCount`. */
  onSource?: (source: KafkaSource) => void;
}

/** The position a commit stores: next offsets per partition, and the frontier (null: the stream ended). */
interface KafkaToken {
  offsets: [topic: string, partition: number, offset: string][];
  frontier: number | null;
}

/** What capture's `captureFrom` takes as a resumable source (capture/capture-writer.ts's ResumableSource). */
export type ResumableKafkaSource<D> = (position: { events: number; token?: string }) => ResumableKafkaIterable<D>;

export function resumableFromKafka<D = KafkaRecord>(topics: string | readonly string[], options: ResumableFromKafkaOptions<D>): ResumableKafkaSource<D> {
  return (position) => {
    const token = position.token !== undefined ? parseToken(position.token) : undefined;
    if (position.events > 0 && token === undefined) {
      throw new Error(`resumableFromKafka: the committed prefix (${position.events} events) carries no input position; it was not written by this source. Capture again with { replace: true }`);
    }
    return new ResumableKafkaIterable<D>(topics, options, token);
  };
}

function parseToken(text: string): KafkaToken {
  try {
    const t = JSON.parse(text) as KafkaToken;
    if (!Array.isArray(t.offsets) || !(t.frontier === null || typeof t.frontier === 'number')) throw new Error('not {offsets, frontier}');
    return t;
  } catch (error) {
    throw new Error(`resumableFromKafka: the committed token ${JSON.stringify(text)} is not an input position: ${(error as Error).message}`, { cause: error });
  }
}

interface Item<D> {
  event?: Event<number, D>;
  /** After this item the source can restart (its batch is complete). */
  boundary: boolean;
  /** The input position after this item, when it ends a batch. */
  offsets?: Map<string, TopicPartitionOffset>;
}

export class ResumableKafkaIterable<D> implements AsyncIterable<Event<number, D>> {
  /** Capture may commit while this source waits: the token describes the last event pulled. */
  readonly tokenWhileWaiting = true;
  private readonly queue: Item<D>[] = [];
  private readonly ready = new Signal();
  private readonly drained = new Signal();
  private received = new Map<string, TopicPartitionOffset>();
  private pulled: Map<string, TopicPartitionOffset>;
  private frontier: number | null;
  private atBoundary = true;
  private done = false;
  private failure: Error | undefined;
  private started = false;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly topics: string | readonly string[], private readonly options: ResumableFromKafkaOptions<D>, token: KafkaToken | undefined) {
    this.pulled = new Map((token?.offsets ?? []).map(([topic, partition, offset]) => [partitionKey(topic, partition), { topic, partition, offset: BigInt(offset) }]));
    this.received = new Map(this.pulled);
    this.frontier = token ? token.frontier : 0;
    if (this.frontier === null) this.done = true; // the committed stream ended: nothing more to read
  }

  /** The input position after the last event pulled, or undefined between the events of one batch. */
  token(): string | undefined {
    if (!this.atBoundary) return undefined;
    const token: KafkaToken = { offsets: [...this.pulled.values()].map((o) => [o.topic, o.partition, o.offset.toString()]), frontier: this.frontier };
    return JSON.stringify(token);
  }

  private start(): void {
    this.started = true;
    if (this.done) return;
    const map = this.options.map;
    let batchStart = -1;
    const source = fromKafka(this.topics, {
      ...this.options,
      startOffsets: [...this.pulled.values()],
      startFrontier: this.frontier ?? 0,
      batches: {
        start: () => {
          batchStart = this.queue.length;
        },
        end: (batch) => {
          batchStart = -1;
          for (const r of batch) {
            const key = partitionKey(r.topic, r.partition);
            const next = r.offset + 1n;
            const before = this.received.get(key);
            if (!before || before.offset < next) this.received.set(key, { topic: r.topic, partition: r.partition, offset: next });
          }
          const offsets = new Map(this.received);
          const last = this.queue.at(-1);
          if (last && this.queue.length > batchStart) {
            last.boundary = true;
            last.offsets = offsets;
          } else this.queue.push({ boundary: true, offsets });
          this.ready.fire();
          // Fetch on once capture took this batch's events (its own backpressure holds it back in turn).
          return this.queue.length === 0 ? undefined : this.drained.wait();
        },
      },
    });
    this.options.onSource?.(source);
    const subscription = source.stream.subscribe({
      next: (event) => {
        const inBatch = batchStart >= 0;
        if (event.kind === 'messages' && map) {
          const data: D[] = [];
          const records = event.data as ArrayLike<KafkaRecord>;
          for (let i = 0; i < records.length; i++) for (const d of map(records[i] as KafkaRecord, event.time)) data.push(d);
          this.queue.push(data.length > 0 ? { event: { kind: 'messages', time: event.time, data }, boundary: !inBatch } : { boundary: !inBatch });
        } else this.queue.push({ event: event as Event<number, D>, boundary: !inBatch });
        this.ready.fire();
      },
      error: (error: Error) => {
        this.failure = error;
        this.ready.fire();
      },
      complete: () => {
        this.done = true;
        this.ready.fire();
      },
    });
    this.unsubscribe = () => subscription.unsubscribe();
  }

  /** Applies a taken item's position; returns its event. */
  private take(item: Item<D>): Event<number, D> | undefined {
    if (item.offsets) this.pulled = item.offsets;
    this.atBoundary = item.boundary;
    const event = item.event;
    if (event?.kind === 'progress') {
      let next: number | null = null;
      for (const [t, d] of event.updates) if (d > 0) next = t;
      this.frontier = next;
    }
    return event;
  }

  async next(): Promise<IteratorResult<Event<number, D>>> {
    if (!this.started) this.start();
    for (;;) {
      const item = this.queue.shift();
      if (item === undefined) {
        this.drained.fire();
        if (this.failure) throw this.failure;
        if (this.done) return { done: true, value: undefined };
        await this.ready.wait();
        continue;
      }
      const event = this.take(item);
      if (event === undefined) continue;
      // Items of the same batch that carry no event (all late, or mapped to nothing) end with it.
      while (this.queue.length > 0 && this.queue[0]!.event === undefined) this.take(this.queue.shift()!);
      if (this.queue.length === 0) this.drained.fire();
      return { done: false, value: event };
    }
  }

  async return(): Promise<IteratorResult<Event<number, D>>> {
    this.done = true;
    this.unsubscribe?.();
    this.drained.fire();
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): AsyncIterator<Event<number, D>> {
    return { next: () => this.next(), return: () => this.return() };
  }
}
