/**
 * The frontier of a source read from several partitions (issue 15): each partition has its own watermark,
 * `max time seen − maxOutOfOrderness`; the source's frontier is the meet (minimum) of the watermarks of the
 * partitions that are not idle. A partition is idle after `idleTimeoutMs` without records; one that gets
 * records again holds the frontier once more (from where it is: the frontier never goes back). When every
 * partition is idle, the frontier moves past every time seen (`max time seen + 1`), as `fromTimestamped`'s
 * idleness does for one source.
 */
export class PartitionFrontier {
  private readonly partitions = new Map<string, { maxSeen: number; lastRecordAt: number }>();
  private current: number;

  /** `start`: the frontier to begin at (a resumed source continues where its committed stream stood). */
  constructor(private readonly maxOutOfOrderness: number, private readonly idleTimeoutMs?: number, start = 0) {
    if (!Number.isFinite(start) || start < 0) throw new RangeError(`the start frontier must be a finite time ≥ 0, got ${start}`);
    this.current = start;
    if (!(maxOutOfOrderness >= 0)) throw new RangeError(`maxOutOfOrderness must be ≥ 0, got ${maxOutOfOrderness}`);
    if (idleTimeoutMs !== undefined && !(idleTimeoutMs > 0)) throw new RangeError(`idleTimeoutMs must be > 0, got ${idleTimeoutMs}`);
  }

  /** The frontier: times before it are complete. */
  get frontier(): number {
    return this.current;
  }

  /** The partitions read now; a new one starts active (it holds the frontier until records or idleness). */
  assign(keys: readonly string[], now: number): void {
    const keep = new Set(keys);
    for (const key of [...this.partitions.keys()]) if (!keep.has(key)) this.partitions.delete(key);
    for (const key of keys) if (!this.partitions.has(key)) this.partitions.set(key, { maxSeen: -Infinity, lastRecordAt: now });
  }

  /** A record at `time` from `key`: true if it is late (before the frontier). Unknown partitions are added. */
  observe(key: string, time: number, now: number): boolean {
    let p = this.partitions.get(key);
    if (p === undefined) this.partitions.set(key, (p = { maxSeen: -Infinity, lastRecordAt: now }));
    p.lastRecordAt = now;
    if (!(time >= this.current) || !Number.isFinite(time)) return true;
    if (time > p.maxSeen) p.maxSeen = time;
    return false;
  }

  /** Recomputes the frontier at `now`; returns it (never less than before). */
  advance(now: number): number {
    let meet = Infinity;
    let maxSeen = -Infinity;
    for (const p of this.partitions.values()) {
      if (p.maxSeen > maxSeen) maxSeen = p.maxSeen;
      if (this.isIdle(p.lastRecordAt, now)) continue;
      const watermark = p.maxSeen - this.maxOutOfOrderness;
      if (watermark < meet) meet = watermark;
    }
    const candidate = meet === Infinity ? (this.partitions.size > 0 ? maxSeen + 1 : -Infinity) : meet;
    if (Number.isFinite(candidate) && candidate > this.current) this.current = candidate;
    return this.current;
  }

  /** When the next partition turns idle (for a timer), or undefined if none will. */
  nextIdleAt(now: number): number | undefined {
    if (this.idleTimeoutMs === undefined) return undefined;
    let next: number | undefined;
    for (const p of this.partitions.values()) {
      const at = p.lastRecordAt + this.idleTimeoutMs;
      if (at > now && (next === undefined || at < next)) next = at;
    }
    return next;
  }

  private isIdle(lastRecordAt: number, now: number): boolean {
    return this.idleTimeoutMs !== undefined && now - lastRecordAt >= this.idleTimeoutMs;
  }
}
