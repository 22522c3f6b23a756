/**
 * Times compared without knowing their Timestamp type, for reports that only see times in transit (the worker
 * mesh's relay, a captured topic read by the CLI): numbers and bigints as numbers, arrays (pairs, products)
 * element by element, anything else only equal to itself. Every built-in timestamp orders this way.
 */

export function timeLessEqual(a: unknown, b: unknown): boolean {
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) return a <= b;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => timeLessEqual(x, b[i]));
  return timeKey(a) === timeKey(b);
}

/** The minimum of a time's shape: 0, 0n, or an array of those. */
export function minimumLike(time: unknown): unknown {
  if (typeof time === 'bigint') return 0n;
  if (Array.isArray(time)) return time.map(minimumLike);
  return 0;
}

/** A stable key for a time (bigints marked, so 1n and 1 differ). */
export function timeKey(time: unknown): string {
  return JSON.stringify(time, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(time);
}

/** The minimal elements of `times` (duplicates kept once). */
export function antichain(times: Iterable<unknown>): unknown[] {
  const all = [...times];
  return all.filter((t, i) => !all.some((u, j) => j !== i && timeLessEqual(u, t) && !(timeLessEqual(t, u) && j > i)));
}

/** Whether a holder with frontier `own` holds `frontier` back (has a time at or below one of its elements). */
export function holdsFrontier(own: readonly unknown[], frontier: readonly unknown[]): boolean {
  return own.some((t) => frontier.some((f) => timeLessEqual(t, f)));
}

/** Counts of times held, keyed by timeKey (a number is its own key: the common case costs no string). */
export class LooseCounts {
  private readonly counts = new Map<string | number, { time: unknown; count: number }>();
  update(time: unknown, delta: number): void {
    const k = typeof time === 'number' ? time : timeKey(time);
    const entry = this.counts.get(k) ?? { time, count: 0 };
    entry.count += delta;
    if (entry.count === 0) this.counts.delete(k);
    else this.counts.set(k, entry);
  }
  /** The times with a positive count. */
  positive(): unknown[] {
    return [...this.counts.values()].filter((e) => e.count > 0).map((e) => e.time);
  }
  frontier(): unknown[] {
    return antichain(this.positive());
  }
}
