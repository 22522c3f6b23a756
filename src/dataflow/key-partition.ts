/**
 * Where a keyed exchange sends a key, and how its streams are laid out (issue 15).
 *
 * The hash is Kafka's default partitioner: murmur2 (seed 0x9747b28c) over the key's bytes, made positive with
 * `& 0x7fffffff`, modulo the number of partitions (Kafka's `Utils.murmur2` / `Utils.toPositive`). It is stable
 * across processes, Node versions and restarts (no per-process seed), needs no dependency, and places a string
 * key on the same partition index a Java producer would. String keys hash their UTF-8 bytes.
 */

const encoder = new TextEncoder();

/** Kafka's murmur2 over `bytes` (a signed 32-bit result, as Java computes it). */
export function murmur2(bytes: Uint8Array): number {
  const length = bytes.length;
  const m = 0x5bd1e995;
  let h = (0x9747b28c ^ length) | 0;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)) | 0;
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  // The 1 to 3 trailing bytes, highest first (Java's switch falls through).
  const tail = length & 3;
  if (tail === 3) h ^= bytes[whole + 2]! << 16;
  if (tail >= 2) h ^= bytes[whole + 1]! << 8;
  if (tail >= 1) {
    h ^= bytes[whole]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** A key an exchange can partition by: a string (its UTF-8 bytes), bytes, or a finite number (its decimal string). */
export type ExchangeKey = string | number | Uint8Array;

function keyBytes(key: ExchangeKey): Uint8Array {
  if (key instanceof Uint8Array) return key;
  if (typeof key === 'number') {
    if (!Number.isFinite(key)) throw new TypeError(`exchange key ${key} is not a finite number`);
    return encoder.encode(String(key));
  }
  if (typeof key === 'string') return encoder.encode(key);
  throw new TypeError(`exchange key must be a string, a number or a Uint8Array, got ${typeof key}`);
}

/** The partition (0 ≤ p < partitions) of `key`, as Kafka's default partitioner picks it for a keyed record. */
export function partitionOf(key: ExchangeKey, partitions: number): number {
  return (murmur2(keyBytes(key)) & 0x7fffffff) % partitions;
}

/**
 * The stream index, among `writers * partitions` streams, that writer `writer` uses for `partition`: every
 * writer (one per worker of the stage before) has its own set of `partitions` streams, so each stream has one
 * writer, as capture requires, and several exchanges can follow one another.
 */
export function exchangeStreamIndex(writer: number, partitions: number, partition: number): number {
  return writer * partitions + partition;
}

/** The stream indices worker `worker` of `workers` replays: partition p of every writer goes to worker p % workers. */
export function exchangeStreamsOf(worker: number, workers: number, writers: number, partitions: number): number[] {
  const mine: number[] = [];
  for (let w = 0; w < writers; w++) {
    for (let p = worker; p < partitions; p += workers) mine.push(exchangeStreamIndex(w, partitions, p));
  }
  return mine;
}

/** The worker, of `workers`, that receives `key` from an exchange over `partitions` streams. */
export function workerOfKey(key: ExchangeKey, partitions: number, workers: number): number {
  return partitionOf(key, partitions) % workers;
}

/** Checks exchange sizes: positive safe integers. */
export function checkExchangeCount(what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`exchange: ${what} must be a positive integer, got ${value}`);
}
