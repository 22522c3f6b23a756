/**
 * The wire format of a captured event: one msgpack value per Kafka record, `{ kind, time, data }` or
 * `{ kind, updates }`, exactly the in-memory `Event` shape, so any msgpack reader can inspect a topic.
 *
 * Typed arrays travel as msgpackr's typed-array extension (ext type 0x74: one byte naming the array type,
 * then the raw little-endian element bytes), never element by element. Numbers batches are the hot path, so
 * messages events carrying a typed array are encoded and decoded here directly (a 20-odd byte header plus
 * one copy of the elements); everything else goes through a msgpackr Packr configured without shared
 * structures (`useRecords: false`), so a record decodes in any process, at any later time.
 *
 * The value itself is never padded. Alignment lives in the record around it: EventBatchBuilder
 * (event-batch.ts) places a typed array's element bytes at a multiple of 8 from the batch start (a wider
 * timestamp-delta varint before the value) and makes each batch a multiple of 8 bytes (a wider header count,
 * or a `kafkaesque.pad` header, after the last value), so a reader can view the elements where they lie.
 */
import { Packr } from 'msgpackr';
import type { Event } from '../dataflow/event.js';

/** Where a record came from, for error messages. */
export interface RecordLocation {
  readonly topic: string;
  readonly partition?: number;
  readonly offset?: bigint | number;
}

export function describeLocation(where: RecordLocation): string {
  const partition = where.partition ?? 0;
  const offset = where.offset === undefined ? '' : ` offset ${String(where.offset)}`;
  return `topic "${where.topic}" partition ${partition}${offset}`;
}

/** A record's value is not a captured event (null, not msgpack, or msgpack of the wrong shape). */
export class EventDecodeError extends Error {
  override readonly name = 'EventDecodeError';
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint | number | undefined;
  constructor(where: RecordLocation, reason: string, options?: { cause?: unknown }) {
    super(
      `cannot decode the event at ${describeLocation(where)}: ${reason}; the topic holds records that capture ` +
        `did not write — replay only topics written by capture (capture with { replace: true } to start over)`,
      options,
    );
    this.topic = where.topic;
    this.partition = where.partition ?? 0;
    this.offset = where.offset;
  }
}

/** msgpackr's typed-array type codes (the byte after ext type 0x74), in msgpackr's own order. */
const TYPED_ARRAY_CODES = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
] as const;
type AnyTypedArray = InstanceType<(typeof TYPED_ARRAY_CODES)[number]>;
type TypedArrayConstructor = (typeof TYPED_ARRAY_CODES)[number];

const EXT_TYPED_ARRAY = 0x74;

const packr = new Packr({ useRecords: false, moreTypes: true, mapsAsObjects: true, variableMapSize: true });

/** The fixed bytes of `{ kind: 'messages', time: …, data: … }` up to the time value: fixmap(3), "kind", "messages", "time". */
const MESSAGES_PREFIX = Buffer.from([
  0x83,
  0xa4, ...Buffer.from('kind'),
  0xa8, ...Buffer.from('messages'),
  0xa4, ...Buffer.from('time'),
]);
const DATA_KEY = Buffer.from([0xa4, ...Buffer.from('data')]);

function typedArrayCode(data: unknown): number {
  if (!ArrayBuffer.isView(data) || Buffer.isBuffer(data)) return -1;
  const ctor = (data as object).constructor;
  return TYPED_ARRAY_CODES.indexOf(ctor as TypedArrayConstructor);
}

/** Writes a non-negative integer time the way msgpack does; returns -1 if the time is not one. */
function writeIntegerTime(time: unknown, out: Buffer, pos: number): number {
  if (typeof time !== 'number' || !Number.isInteger(time) || time < 0 || time > 0xffffffff) return -1;
  if (time < 0x80) {
    out[pos] = time;
    return pos + 1;
  }
  if (time < 0x100) {
    out[pos] = 0xcc;
    out[pos + 1] = time;
    return pos + 2;
  }
  if (time < 0x10000) {
    out[pos] = 0xcd;
    out.writeUInt16BE(time, pos + 1);
    return pos + 3;
  }
  out[pos] = 0xce;
  out.writeUInt32BE(time, pos + 1);
  return pos + 5;
}

function writeExtHeader(bodyLength: number, code: number, out: Buffer, pos: number): number {
  const length = bodyLength + 1; // the type-code byte counts as payload
  if (length < 0x100) {
    out[pos++] = 0xc7;
    out[pos++] = length;
  } else if (length < 0x10000) {
    out[pos++] = 0xc8;
    out.writeUInt16BE(length, pos);
    pos += 2;
  } else {
    out[pos++] = 0xc9;
    out.writeUInt32BE(length, pos);
    pos += 4;
  }
  out[pos++] = EXT_TYPED_ARRAY;
  out[pos++] = code;
  return pos;
}

/**
 * An event encoded as at most two byte ranges: a header and, for typed-array batches, a view of the array's
 * own bytes (not copied). Their concatenation is the record value. Lets a producer write the value straight
 * into its request buffer with one copy.
 */
export interface EncodedEvent {
  readonly head: Uint8Array;
  readonly body: Uint8Array | undefined;
  readonly size: number;
}

const headScratch = Buffer.allocUnsafe(64);

/** Encodes an event into header + body parts without copying a typed-array batch. */
export function encodeEventParts<T, D>(event: Event<T, D>): EncodedEvent {
  if (event.kind === 'messages') {
    const code = typedArrayCode(event.data);
    if (code >= 0) {
      let pos = MESSAGES_PREFIX.copy(headScratch, 0);
      pos = writeIntegerTime(event.time, headScratch, pos);
      if (pos >= 0) {
        pos += DATA_KEY.copy(headScratch, pos);
        const array = event.data as unknown as AnyTypedArray;
        pos = writeExtHeader(array.byteLength, code, headScratch, pos);
        const head = Buffer.from(headScratch.subarray(0, pos));
        const body = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
        return { head, body, size: head.length + body.length };
      }
    }
  }
  const head = packr.pack(toWireShape(event));
  return { head, body: undefined, size: head.length };
}

/** Encodes an event as one Buffer (a record value). */
export function encodeEvent<T, D>(event: Event<T, D>): Buffer {
  const parts = encodeEventParts(event);
  if (parts.body === undefined) return Buffer.from(parts.head.buffer, parts.head.byteOffset, parts.head.length);
  const out = Buffer.allocUnsafe(parts.size);
  out.set(parts.head, 0);
  out.set(parts.body, parts.head.length);
  return out;
}

/** Writes an encoded event at `pos` of `target`; returns the position after it. */
export function writeEncodedEvent(parts: EncodedEvent, target: Uint8Array, pos: number): number {
  target.set(parts.head, pos);
  pos += parts.head.length;
  if (parts.body !== undefined) {
    target.set(parts.body, pos);
    pos += parts.body.length;
  }
  return pos;
}

/** Plain objects only: drop any extra properties an Event object may carry. */
function toWireShape<T, D>(event: Event<T, D>): object {
  return event.kind === 'messages'
    ? { kind: 'messages', time: event.time, data: event.data }
    : { kind: 'progress', updates: event.updates };
}

/**
 * Decodes record values into events.
 *
 * By default typed-array batches are copied into a shared, 8-byte aligned arena (one allocation per
 * `arenaSize` rather than one per event), so the record buffer is not retained and the arrays are aligned
 * whatever their position in the fetch response.
 *
 * With `views` (see `decode`), a typed-array batch whose element bytes lie aligned for its element type is
 * instead returned as a view of the record's own memory: no copy, no arena. Capture writes its batches so
 * that this holds (EventBatchBuilder pads every record's typed-array bytes to a multiple of 8 from the batch
 * start and every batch to a multiple of 8 bytes), as long as the reader's buffer starts 8-aligned at a
 * batch: the embedded transport's reads do. Misaligned bytes (other producers, kafkaesque versions before
 * the padding, a batch after a transaction marker, a fetch response that placed the records at an odd
 * position) are copied into the arena as before. The caller then owns the question of when the memory
 * may be reused: see read-ownership.ts.
 */
export class EventDecoder {
  private arena = new ArrayBuffer(0);
  private arenaBytes = new Uint8Array(this.arena);
  private arenaPos = 0;

  constructor(private readonly arenaSize = 1 << 20) {}

  /**
   * Decodes one record value. With `views`, an aligned typed-array batch is a view of `value`'s memory
   * (check `data.buffer === value.buffer`); without, it is always copied.
   */
  decode<T = unknown, D = unknown>(value: Uint8Array | null | undefined, where: RecordLocation, views = false): Event<T, D> {
    if (value === null || value === undefined) throw new EventDecodeError(where, 'the record value is null');
    if (value.length === 0) throw new EventDecodeError(where, 'the record value is empty');
    const fast = this.decodeTypedMessages(value, views);
    if (fast !== undefined) return fast as Event<T, D>;
    let decoded: unknown;
    try {
      decoded = packr.unpack(value);
    } catch (error) {
      throw new EventDecodeError(where, `not msgpack (${(error as Error).message})`, { cause: error });
    }
    return checkShape(decoded, where) as Event<T, D>;
  }

  /** The fast path for what encodeEventParts writes; undefined for anything else (then msgpackr decodes). */
  private decodeTypedMessages(value: Uint8Array, views: boolean): Event<number, unknown> | undefined {
    const n = MESSAGES_PREFIX.length;
    if (value.length < n + 8) return undefined;
    for (let i = 0; i < n; i++) if (value[i] !== MESSAGES_PREFIX[i]) return undefined;
    let pos = n;
    let time: number;
    const tag = value[pos++] as number;
    if (tag < 0x80) time = tag;
    else if (tag === 0xcc) time = value[pos++] as number;
    else if (tag === 0xcd) {
      time = ((value[pos] as number) << 8) | (value[pos + 1] as number);
      pos += 2;
    } else if (tag === 0xce) {
      time = (((value[pos] as number) << 24) >>> 0) + (((value[pos + 1] as number) << 16) | ((value[pos + 2] as number) << 8) | (value[pos + 3] as number));
      pos += 4;
    } else return undefined;
    for (let i = 0; i < DATA_KEY.length; i++) if (value[pos + i] !== DATA_KEY[i]) return undefined;
    pos += DATA_KEY.length;
    const ext = value[pos++];
    let length: number;
    if (ext === 0xc7) length = value[pos++] as number;
    else if (ext === 0xc8) {
      length = ((value[pos] as number) << 8) | (value[pos + 1] as number);
      pos += 2;
    } else if (ext === 0xc9) {
      length = ((value[pos] as number) * 0x1000000) + (((value[pos + 1] as number) << 16) | ((value[pos + 2] as number) << 8) | (value[pos + 3] as number));
      pos += 4;
    } else return undefined;
    if (value[pos++] !== EXT_TYPED_ARRAY) return undefined;
    const Ctor = TYPED_ARRAY_CODES[value[pos++] as number];
    const bodyLength = length - 1;
    if (Ctor === undefined || pos + bodyLength !== value.length || bodyLength % Ctor.BYTES_PER_ELEMENT !== 0) return undefined;
    const at = value.byteOffset + pos;
    let data: AnyTypedArray;
    if (views && at % Ctor.BYTES_PER_ELEMENT === 0) {
      data = new Ctor(value.buffer as ArrayBuffer, at, bodyLength / Ctor.BYTES_PER_ELEMENT);
    } else {
      const start = this.reserve(bodyLength);
      this.arenaBytes.set(value.subarray(pos, pos + bodyLength), start);
      data = new Ctor(this.arena, start, bodyLength / Ctor.BYTES_PER_ELEMENT);
    }
    return { kind: 'messages', time, data: data as unknown as ArrayLike<unknown> };
  }

  private reserve(bytes: number): number {
    const aligned = (this.arenaPos + 7) & ~7;
    if (aligned + bytes <= this.arena.byteLength) {
      this.arenaPos = aligned + bytes;
      return aligned;
    }
    // Uninitialized memory (every byte handed out is overwritten first): no zero-filling a megabyte.
    const fresh = Buffer.allocUnsafeSlow(Math.max(this.arenaSize, bytes));
    this.arena = fresh.buffer as ArrayBuffer;
    this.arenaBytes = new Uint8Array(this.arena, 0, fresh.length);
    this.arenaPos = bytes;
    return 0;
  }
}

const sharedDecoder = new EventDecoder();

/** Decodes one record value (see EventDecoder). */
export function decodeEvent<T = unknown, D = unknown>(value: Uint8Array | null | undefined, where: RecordLocation): Event<T, D> {
  return sharedDecoder.decode<T, D>(value, where);
}

function checkShape(decoded: unknown, where: RecordLocation): Event<unknown, unknown> {
  if (typeof decoded !== 'object' || decoded === null) {
    throw new EventDecodeError(where, `expected an event object, found ${typeof decoded}`);
  }
  const event = decoded as Record<string, unknown>;
  if (event['kind'] === 'messages') {
    const data = event['data'];
    if (!('time' in event)) throw new EventDecodeError(where, 'a messages event without a time');
    if (!Array.isArray(data) && !ArrayBuffer.isView(data)) {
      throw new EventDecodeError(where, 'a messages event whose data is not an array or typed array');
    }
    return { kind: 'messages', time: event['time'], data: data as ArrayLike<unknown> };
  }
  if (event['kind'] === 'progress') {
    const updates = event['updates'];
    if (!Array.isArray(updates)) throw new EventDecodeError(where, 'a progress event whose updates are not an array');
    for (const update of updates) {
      if (!Array.isArray(update) || update.length !== 2 || !Number.isInteger(update[1])) {
        throw new EventDecodeError(where, 'a progress update that is not a [time, integer delta] pair');
      }
    }
    return { kind: 'progress', updates: updates as [unknown, number][] };
  }
  throw new EventDecodeError(where, `unknown event kind ${JSON.stringify(event['kind'])}`);
}
