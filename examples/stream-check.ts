/**
 * Checks what a round trip replayed, not only how much: every stream must hold exactly the numbers
 * 0..count-1, in any order. Per stream it keeps an order-independent digest (how many numbers, their sum
 * and the sum of their squares), so a lost number and a duplicated one cannot cancel out: with the count
 * unchanged, the sum differs unless the two are equal; two such pairs with equal sums still differ in the
 * sum of squares.
 *
 * The digest is exact, whatever the count: it sits on the replay path, so numbers are summed in doubles
 * (exact below 2^53) and folded into BigInts only every 2^20 numbers. Each number is split into 16-bit
 * halves, so every square term is below 2^32 and 2^20 of them stay below 2^52. Anything that is not an
 * integer in 0..2^32-1 (NaN, a fraction, a negative or huge value) is counted as invalid.
 *
 * A batch of consecutive integers (what capture_send writes, in any order of batches) is digested in closed
 * form after one comparison per number, since the multiplications of the general path cost about a third of
 * the replay's CPU at 4 GB; any other batch takes the general path.
 */
import type { Event } from '../src/dataflow/event.js';
import type { EventIterator } from '../src/transport/event-iterator.js';

/** Numbers summed in doubles between folds: 2^20 terms below 2^32 each stay below 2^52, exact. */
const FOLD_EVERY = 1 << 20;

/** What a stream held: enough to tell whether it was exactly 0..count-1. Plain data (crosses threads). */
export interface StreamDigest {
  stream: string;
  count: number;
  sum: bigint;
  sumOfSquares: bigint;
  /** Elements that are not integers in 0..2^32-1. */
  invalid: number;
}

/** The running digest of one stream. */
export class NumberDigest {
  private count = 0;
  private invalid = 0;
  private sum = 0n;
  private sumOfSquares = 0n;
  // Since the last fold: the sum, and u² = hh·2^32 + hl·2^17 + ll for u = hi·2^16 + lo.
  private pending = 0;
  private s = 0;
  private hh = 0;
  private hl = 0;
  private ll = 0;

  /** Adds a batch of numbers (a typed array, or an array of numbers). */
  add(data: ArrayLike<number>): void {
    if (data instanceof BigUint64Array || data instanceof BigInt64Array) {
      // 64-bit words read as pairs of 32-bit halves (little-endian): no BigInt per element.
      const words = new Uint32Array(data.buffer, data.byteOffset, data.length * 2);
      if (!this.addConsecutiveWords(words)) this.addWords(words);
      return;
    }
    if (!this.addConsecutive(data)) this.addNumbers(data);
  }

  /** Digests `data` if it is first, first+1, ..., all integers in 0..2^32-1; says whether it was. */
  private addConsecutive(data: ArrayLike<number>): boolean {
    const n = data.length;
    if (n === 0) return true;
    const first = data[0] as number;
    if (first >>> 0 !== first || first + n - 1 > 0xffffffff) return false;
    // Eight comparisons per branch: a third less of the replay's CPU than one per number (2 cores, 4 GB).
    let i = 1;
    for (; i + 7 < n; i += 8) {
      const f = first + i;
      if (data[i] !== f || data[i + 1] !== f + 1 || data[i + 2] !== f + 2 || data[i + 3] !== f + 3 || data[i + 4] !== f + 4 || data[i + 5] !== f + 5 || data[i + 6] !== f + 6 || data[i + 7] !== f + 7) return false;
    }
    for (; i < n; i++) if (data[i] !== first + i) return false;
    this.addRun(first, n);
    return true;
  }

  /** The same for 64-bit values given as little-endian 32-bit words. */
  private addConsecutiveWords(words: Uint32Array): boolean {
    const n = words.length >>> 1;
    if (n === 0) return true;
    const first = words[0] as number;
    if (first + n - 1 > 0xffffffff) return false;
    for (let i = 0; i < n; i++) if (words[2 * i] !== first + i || words[2 * i + 1] !== 0) return false;
    this.addRun(first, n);
    return true;
  }

  /** first, first+1, ..., first+n-1: n·f + n(n-1)/2 and n·f² + f·n(n-1) + (n-1)n(2n-1)/6. */
  private addRun(first: number, n: number): void {
    const f = BigInt(first);
    const m = BigInt(n);
    this.count += n;
    this.sum += m * f + (m * (m - 1n)) / 2n;
    this.sumOfSquares += m * f * f + f * m * (m - 1n) + ((m - 1n) * m * (2n * m - 1n)) / 6n;
  }

  private addNumbers(data: ArrayLike<number>): void {
    for (let start = 0; start < data.length; ) {
      const end = Math.min(data.length, start + (FOLD_EVERY - this.pending));
      let s = this.s;
      let hh = this.hh;
      let hl = this.hl;
      let ll = this.ll;
      let invalid = 0;
      for (let i = start; i < end; i++) {
        const x = data[i] as number;
        const u = x >>> 0;
        if (u !== x) {
          invalid++;
          continue;
        }
        const hi = u >>> 16;
        const lo = u & 0xffff;
        s += u;
        hh += hi * hi;
        hl += hi * lo;
        ll += lo * lo;
      }
      this.s = s;
      this.hh = hh;
      this.hl = hl;
      this.ll = ll;
      this.invalid += invalid;
      this.take(end - start);
      start = end;
    }
  }

  /** Little-endian 64-bit unsigned values as 32-bit words: [lo0, hi0, lo1, hi1, ...]. */
  private addWords(words: Uint32Array): void {
    const total = words.length >>> 1;
    for (let start = 0; start < total; ) {
      const end = Math.min(total, start + (FOLD_EVERY - this.pending));
      let s = this.s;
      let hh = this.hh;
      let hl = this.hl;
      let ll = this.ll;
      let invalid = 0;
      for (let i = start; i < end; i++) {
        if (words[2 * i + 1] !== 0) {
          invalid++;
          continue;
        }
        const u = words[2 * i] as number;
        const hi = u >>> 16;
        const lo = u & 0xffff;
        s += u;
        hh += hi * hi;
        hl += hi * lo;
        ll += lo * lo;
      }
      this.s = s;
      this.hh = hh;
      this.hl = hl;
      this.ll = ll;
      this.invalid += invalid;
      this.take(end - start);
      start = end;
    }
  }

  private take(n: number): void {
    this.count += n;
    this.pending += n;
    if (this.pending >= FOLD_EVERY) this.fold();
  }

  private fold(): void {
    this.sum += BigInt(this.s);
    this.sumOfSquares += (BigInt(this.hh) << 32n) + (BigInt(this.hl) << 17n) + BigInt(this.ll);
    this.pending = this.s = this.hh = this.hl = this.ll = 0;
  }

  digest(stream: string): StreamDigest {
    this.fold();
    // Invalid elements were counted but not summed; they make the stream fail below.
    return { stream, count: this.count, sum: this.sum, sumOfSquares: this.sumOfSquares, invalid: this.invalid };
  }
}

/** The digest of exactly 0..count-1: n(n-1)/2 and (n-1)n(2n-1)/6. */
export function expectedDigest(stream: string, count: number): StreamDigest {
  const n = BigInt(count);
  return { stream, count, sum: (n * (n - 1n)) / 2n, sumOfSquares: ((n - 1n) * n * (2n * n - 1n)) / 6n, invalid: 0 };
}

/** Some replayed stream did not hold exactly 0..count-1. */
export class StreamContentError extends Error {
  override readonly name = 'StreamContentError';
  constructor(readonly streams: readonly string[], detail: string) {
    super(detail);
  }
}

/**
 * Throws a StreamContentError naming every stream that does not hold exactly 0..count-1. Without
 * `count`, each stream must hold 0..n-1 for its own n, and all of them the same n (capture_send writes
 * the same count into every stream).
 */
export function checkStreams(digests: readonly StreamDigest[], count?: number): void {
  const problems: string[] = [];
  const bad: string[] = [];
  const expectedCount = count ?? digests[0]?.count ?? 0;
  for (const d of digests) {
    const want = expectedDigest(d.stream, expectedCount);
    const wrong: string[] = [];
    if (d.invalid > 0) wrong.push(`${d.invalid} value(s) that are not integers in 0..2^32-1`);
    if (d.count !== want.count) wrong.push(`${d.count} numbers, expected ${want.count}`);
    if (d.sum !== want.sum) wrong.push(`sum ${d.sum}, expected ${want.sum}`);
    if (d.sumOfSquares !== want.sumOfSquares) wrong.push(`sum of squares ${d.sumOfSquares}, expected ${want.sumOfSquares}`);
    if (wrong.length === 0) continue;
    bad.push(d.stream);
    problems.push(`stream "${d.stream}" does not hold exactly the numbers 0..${expectedCount - 1}: ${wrong.join('; ')}`);
  }
  if (problems.length > 0) throw new StreamContentError(bad, problems.join('\n'));
}

/**
 * Digests what replay emits, per stream: `track` wraps each stream's iterator to note which stream an
 * event came from, and `add` digests an event that came out of the replay, so the check covers the
 * transport and replay's forwarding both. One WeakMap entry per event (a batch), nothing per number.
 */
export class ReplayedStreams {
  private readonly origin = new WeakMap<object, NumberDigest>();
  private readonly digests = new Map<string, NumberDigest>();

  track<T>(iterator: EventIterator<T, number>): EventIterator<T, number> {
    const digest = new NumberDigest();
    this.digests.set(iterator.name, digest);
    const origin = this.origin;
    return {
      get name() {
        return iterator.name;
      },
      get present() {
        return iterator.present;
      },
      get ended() {
        return iterator.ended;
      },
      next(): Event<T, number> | undefined {
        const event = iterator.next();
        if (event?.kind === 'messages') origin.set(event, digest);
        return event;
      },
      whenReady: () => iterator.whenReady(),
      close: () => iterator.close(),
    };
  }

  /** Digests a messages event that replay emitted. */
  add(event: Event<unknown, number>): void {
    if (event.kind !== 'messages') return;
    const digest = this.origin.get(event);
    if (!digest) throw new StreamContentError([], 'replay emitted a batch that no tracked stream produced');
    this.origin.delete(event); // so a batch that replay emitted twice is an error, not counted once
    digest.add(event.data);
  }

  results(): StreamDigest[] {
    return [...this.digests].map(([stream, digest]) => digest.digest(stream));
  }
}
