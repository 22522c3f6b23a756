/**
 * Reads a record value as capture writes it (src/transport/event-codec.ts: one msgpack map per record,
 * `{ kind: 'messages', time, data }` or `{ kind: 'progress', updates }`, typed arrays as msgpackr's ext
 * 0x74) for the console, which lives in the broker layer and so cannot import the transport's codec. Only
 * the format is shared, through msgpackr configured as the codec configures it; a value of any other shape
 * is simply "not an event".
 */
import { Packr } from 'msgpackr';

const packr = new Packr({ useRecords: false, moreTypes: true, mapsAsObjects: true, variableMapSize: true });

/** fixmap(3), "kind", "messages": how every messages event starts (the codec writes these keys first). */
const MESSAGES_START = Buffer.from([0x83, 0xa4, ...Buffer.from('kind'), 0xa8, ...Buffer.from('messages')]);
/** fixmap(2), "kind", "progress". */
const PROGRESS_START = Buffer.from([0x82, 0xa4, ...Buffer.from('kind'), 0xa8, ...Buffer.from('progress')]);

export type EventKind = 'messages' | 'progress';

/** Which kind of event a value holds, from its first bytes only (no decoding); undefined: not an event. */
export function eventKindOf(value: Buffer | null): EventKind | undefined {
  if (value === null) return undefined;
  if (startsWith(value, MESSAGES_START)) return 'messages';
  if (startsWith(value, PROGRESS_START)) return 'progress';
  return undefined;
}

function startsWith(value: Buffer, prefix: Buffer): boolean {
  return value.length > prefix.length && value.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}

export type EventView =
  | { kind: 'messages'; time: unknown; count: number; sample: unknown[] }
  | { kind: 'progress'; updates: [unknown, number][] };

/** How many data items of a messages event the record browser shows. */
const SAMPLE_ITEMS = 8;

/** Decodes an event for display; undefined when the value is not one. */
export function decodeEventView(value: Buffer | null): EventView | undefined {
  const kind = eventKindOf(value);
  if (kind === undefined || value === null) return undefined;
  let decoded: unknown;
  try {
    decoded = packr.unpack(value);
  } catch {
    return undefined;
  }
  if (typeof decoded !== 'object' || decoded === null) return undefined;
  const event = decoded as Record<string, unknown>;
  if (kind === 'messages') {
    const data = event['data'];
    if (!Array.isArray(data) && !ArrayBuffer.isView(data)) return undefined;
    const items = data as ArrayLike<unknown>;
    const sample: unknown[] = [];
    for (let i = 0; i < Math.min(SAMPLE_ITEMS, items.length); i++) sample.push(toJson(items[i]));
    return { kind, time: toJson(event['time']), count: items.length, sample };
  }
  const updates = progressUpdates(event);
  return updates && { kind, updates: updates.map(([t, d]) => [toJson(t), d]) };
}

/** The `[time, delta]` pairs of a progress event's value; undefined when malformed. */
export function decodeProgress(value: Buffer): [unknown, number][] | undefined {
  let decoded: unknown;
  try {
    decoded = packr.unpack(value);
  } catch {
    return undefined;
  }
  if (typeof decoded !== 'object' || decoded === null) return undefined;
  return progressUpdates(decoded as Record<string, unknown>);
}

function progressUpdates(event: Record<string, unknown>): [unknown, number][] | undefined {
  const updates = event['updates'];
  if (!Array.isArray(updates)) return undefined;
  for (const u of updates) if (!Array.isArray(u) || u.length !== 2 || !Number.isInteger(u[1])) return undefined;
  return updates as [unknown, number][];
}

/** Something JSON.stringify can write: bigints as numbers (or strings past 2^53), typed arrays as arrays. */
export function toJson(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<unknown>, toJson);
  if (Array.isArray(value)) return value.map(toJson);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), toJson(v)]));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]));
  return value;
}
