/**
 * Bounds the memory held by loaded segment indexes: the least recently used inactive segments unload
 * theirs (they are on disk and load again on the next lookup), so memory does not grow with the amount
 * stored. Active segments are pinned by their log.
 */
export interface IndexHolder {
  readonly indexBytes: number;
  /** Drops the indexes from memory; false if they cannot go now (active, or not yet on disk). */
  unloadIndexes(): boolean;
}

export class IndexResidency {
  /** Insertion order is recency; the value is the size last seen. */
  private readonly holders = new Map<IndexHolder, number>();
  private total = 0;

  constructor(readonly budgetBytes: number = 64 * 1024 * 1024) {}

  touch(holder: IndexHolder): void {
    const before = this.holders.get(holder);
    if (before !== undefined) {
      this.holders.delete(holder);
      this.total -= before;
    }
    const now = holder.indexBytes;
    this.holders.set(holder, now);
    this.total += now;
    if (this.total > this.budgetBytes) this.evict(holder);
  }

  forget(holder: IndexHolder): void {
    const before = this.holders.get(holder);
    if (before === undefined) return;
    this.holders.delete(holder);
    this.total -= before;
  }

  get residentBytes(): number {
    return this.total;
  }

  private evict(keep: IndexHolder): void {
    for (const [holder, bytes] of this.holders) {
      if (this.total <= this.budgetBytes) return;
      if (holder === keep || !holder.unloadIndexes()) continue;
      this.holders.delete(holder);
      this.total -= bytes;
    }
  }
}
