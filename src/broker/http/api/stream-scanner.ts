/**
 * Follows captured streams (topics `<name>-<index>` written by capture: one partition, one msgpack event per
 * record) for `/api/streams`: per stream the events read, messages and progress counts, the frontier the
 * progress so far implies, and when it last moved. The state is kept between requests and each request reads
 * on from where the previous one stopped, within a byte budget, so a long capture is caught up over a few
 * requests and after that each request reads only what was appended since.
 *
 * Messages events are recognised by their first bytes and not decoded; only progress events are (they are
 * small: frontier changes). The broker decodes these records only here, off the Kafka request path, when
 * someone asks.
 */
import { MutableAntichain } from '../../../dataflow/mutable-antichain.js';
import { numberTimestamp, pairTimestamp, type Timestamp } from '../../../dataflow/timestamp.js';
import { iterateRecordBatches, recordOffset, recordTimestamp } from '../../../protocol/records.js';
import { isStorageError } from '../../log/errors.js';
import type { LogManager } from '../../log/log-manager.js';
import { decodeEventView, decodeProgress, eventKindOf, toJson } from './captured-event.js';

/** `numbat-3` → name `numbat`, index 3. */
const STREAM_TOPIC = /^(.+)-(0|[1-9]\d{0,8})$/;

export function parseStreamTopic(topic: string): { name: string; index: number } | undefined {
  const m = STREAM_TOPIC.exec(topic);
  return m ? { name: m[1]!, index: Number(m[2]) } : undefined;
}

type TimeKind = 'number' | 'pair' | 'other';

function timeKindOf(time: unknown): TimeKind {
  if (typeof time === 'number') return 'number';
  if (Array.isArray(time) && time.length === 2 && typeof time[0] === 'number' && typeof time[1] === 'number') return 'pair';
  return 'other';
}

const ORDERS: Record<Exclude<TimeKind, 'other'>, Timestamp<unknown>> = {
  number: numberTimestamp as Timestamp<unknown>,
  pair: pairTimestamp as unknown as Timestamp<unknown>,
};

export interface StreamState {
  readonly topic: string;
  readonly topicId: string;
  /** Next offset to read. */
  nextOffset: bigint;
  /** Not written by capture (its first record is not an event): never read again. */
  notCaptured: boolean;
  events: number;
  messages: number;
  progress: number;
  timeKind: TimeKind | undefined;
  counts: MutableAntichain<unknown> | undefined;
  /** Timestamp (record time, ms) of the last progress event. */
  lastProgressAt: number | null;
  /** The log start moved past what was read (retention): the frontier misses the changes deleted. */
  historyLost: boolean;
  /** Why the frontier cannot be followed (a negative count, times of an unknown type); null when fine. */
  problem: string | null;
  /** A batch could not be decoded: the stream is not read further (its frontier so far still holds). */
  blocked: boolean;
  /** The progress read cannot be turned into a frontier (see `problem`). */
  frontierBroken: boolean;
}

export class StreamScanner {
  private readonly states = new Map<string, StreamState>();
  private rotation = 0;

  constructor(
    private readonly logs: LogManager,
    /** Most bytes one compressed batch may inflate to (the broker's --max-inflated-batch-bytes). */
    private readonly maxInflatedBytes: number,
  ) {}

  /** Where the next request starts reading (each starts one stream further along). */
  nextRotation(): number {
    return this.rotation++;
  }

  /** Topics that may be captured streams: one partition and a `-<index>` suffix. */
  candidates(): string[] {
    const out: string[] = [];
    for (const t of this.logs.topics()) if (t.partitions === 1 && parseStreamTopic(t.name)) out.push(t.name);
    return out.sort();
  }

  state(topic: string): StreamState | undefined {
    const info = this.logs.topic(topic);
    if (!info) {
      this.states.delete(topic);
      return undefined;
    }
    let s = this.states.get(topic);
    if (!s || s.topicId !== info.id) {
      s = {
        topic,
        topicId: info.id,
        nextOffset: this.logs.partition(topic, 0)?.logStartOffset ?? 0n,
        notCaptured: false,
        events: 0,
        messages: 0,
        progress: 0,
        timeKind: undefined,
        counts: undefined,
        lastProgressAt: null,
        historyLost: false,
        problem: null,
        blocked: false,
        frontierBroken: false,
      };
      this.states.set(topic, s);
    }
    return s;
  }

  /** Forgets streams whose topics are gone. */
  prune(): void {
    for (const [topic, s] of this.states) if (this.logs.topic(topic)?.id !== s.topicId) this.states.delete(topic);
  }

  /**
   * Reads on in `topic` up to `budget` bytes (at least one batch when `firstRead`, so a batch larger than the
   * budget cannot stall the scan forever); returns the bytes read.
   */
  async advance(topic: string, budget: number, firstRead: boolean): Promise<number> {
    const s = this.state(topic);
    const log = this.logs.partition(topic, 0);
    if (!s || !log || s.notCaptured || s.blocked) return 0;
    let used = 0;
    while (s.nextOffset < log.highWatermark && used < budget && !s.notCaptured && !s.blocked) {
      if (s.nextOffset < log.logStartOffset) {
        s.historyLost = s.events > 0 || s.historyLost;
        s.nextOffset = log.logStartOffset;
      }
      let read;
      try {
        read = await log.read(s.nextOffset, budget - used, { minOneBatch: firstRead && used === 0 });
      } catch (err) {
        if (isStorageError(err, 'OFFSET_OUT_OF_RANGE')) continue; // retention moved the start: go round again
        throw err;
      }
      const data = read.records;
      if (data === null || data.length === 0) break;
      used += data.length;
      let advanced = false;
      const batches = iterateRecordBatches(data, { maxDecompressedBytes: this.maxInflatedBytes });
      for (;;) {
        let step;
        try {
          step = batches.next();
        } catch (err) {
          // A batch that cannot be read stays unreadable: stop following this stream rather than fail every request.
          s.blocked = true;
          s.problem ??= `the batch at offset ${s.nextOffset} cannot be read (${(err as Error).message}); the frontier shown is the one before it`;
          return used;
        }
        if (step.done) break;
        const batch = step.value;
        const header = batch.header;
        const last = header.baseOffset + BigInt(header.lastOffsetDelta);
        if (last < s.nextOffset) continue;
        if (!header.control) {
          for (const record of batch.records) {
            const offset = recordOffset(header, record);
            if (offset < s.nextOffset) continue;
            this.apply(s, record.value, Number(recordTimestamp(header, record)));
            if (s.notCaptured) return used;
          }
        }
        s.nextOffset = last + 1n;
        advanced = true;
      }
      if (!advanced) break; // only part of a batch fitted: the next request goes on
    }
    return used;
  }

  private apply(s: StreamState, value: Buffer | null, timestamp: number): void {
    const kind = eventKindOf(value);
    if (kind === undefined || value === null) {
      if (s.events === 0) s.notCaptured = true;
      else {
        s.problem ??= `a record that is not a captured event (offset ${s.nextOffset}); the topic is not a pure capture`;
        s.frontierBroken = true;
      }
      return;
    }
    s.events++;
    if (kind === 'messages') {
      s.messages++;
      if (s.timeKind === undefined) {
        const view = decodeEventView(value);
        if (view?.kind === 'messages') this.setTimeKind(s, timeKindOf(view.time));
      }
      return;
    }
    s.progress++;
    s.lastProgressAt = timestamp;
    const updates = decodeProgress(value);
    if (!updates) {
      s.problem ??= 'a progress event that does not decode';
      s.frontierBroken = true;
      return;
    }
    if (s.timeKind === undefined && updates.length > 0) this.setTimeKind(s, timeKindOf(updates[0]![0]));
    if (!s.counts || s.frontierBroken) return;
    try {
      s.counts.updateIter(updates);
    } catch (err) {
      s.problem = `the progress does not add up (${(err as Error).message})`;
      s.frontierBroken = true;
    }
  }

  private setTimeKind(s: StreamState, kind: TimeKind): void {
    s.timeKind = kind;
    if (kind === 'other') {
      s.problem ??= 'times of a type the console cannot order (neither numbers nor pairs of numbers)';
      s.frontierBroken = true;
      return;
    }
    // Every stream starts holding the minimum, retired by its first progress event.
    s.counts = MutableAntichain.withMinimum(ORDERS[kind]);
  }
}

export interface StreamView {
  topic: string;
  name: string;
  index: number;
  /** Records in the topic (one per event). */
  records: number;
  sizeBytes: number;
  /** Events read so far and of which kind (equal to `records` once `caughtUp`). */
  events: number;
  messages: number;
  progress: number;
  /** Everything up to the high watermark has been read. */
  caughtUp: boolean;
  readOffset: number;
  highWatermark: number;
  /** The frontier after the progress read so far; null when unknown (see `problem`). [] when complete. */
  frontier: unknown[] | null;
  /** The frontier is empty: the stream finished. */
  complete: boolean;
  lastProgressAt: number | null;
  historyLost: boolean;
  problem: string | null;
}

export function streamView(logs: LogManager, s: StreamState): StreamView | undefined {
  const parsed = parseStreamTopic(s.topic);
  const log = logs.partition(s.topic, 0);
  if (!parsed || !log || s.notCaptured) return undefined;
  const frontier = s.frontierBroken ? null : s.counts ? s.counts.frontier.map(toJson) : s.timeKind === undefined ? [0] : null;
  return {
    topic: s.topic,
    name: parsed.name,
    index: parsed.index,
    records: Number(log.highWatermark - log.logStartOffset),
    sizeBytes: log.sizeInBytes,
    events: s.events,
    messages: s.messages,
    progress: s.progress,
    caughtUp: s.nextOffset >= log.highWatermark,
    readOffset: Number(s.nextOffset),
    highWatermark: Number(log.highWatermark),
    frontier,
    complete: frontier !== null && frontier.length === 0,
    lastProgressAt: s.lastProgressAt,
    historyLost: s.historyLost,
    problem: s.problem,
  };
}
