import { TimeHeap } from '../../time-heap.js';

/** A record one side of an interval join holds. */
export interface Held<D> {
  readonly time: number;
  readonly value: D;
  alive: boolean;
}

/** One input's records still able to match, by key, with a heap of when each stops being able to. */
export class IntervalSide<K, D> {
  private held = 0;

  readonly byKey = new Map<K, Held<D>[]>();
  private readonly expiries = new TimeHeap<{ at: number; key: K; held: Held<D> }>((a, b) => a.at - b.at);
  private readonly dead = new Map<K, number>();

  add(key: K, held: Held<D>, expiresAt: number): void {
    const list = this.byKey.get(key);
    if (list === undefined) this.byKey.set(key, [held]);
    else list.push(held);
    this.expiries.push({ at: expiresAt, key, held });
    this.held++;
  }

  /** How many records are held (alive). */
  get size(): number {
    return this.held;
  }

  /** Drops the records that expire before `frontier`; a key's list is compacted once half of it is dead. */
  release(frontier: number): void {
    while (this.expiries.size > 0 && (this.expiries.peek() as { at: number }).at < frontier) {
      const { key, held } = this.expiries.pop() as { key: K; held: Held<D> };
      held.alive = false;
      this.held--;
      const list = this.byKey.get(key) as Held<D>[];
      const dead = (this.dead.get(key) ?? 0) + 1;
      if (dead === list.length) {
        this.byKey.delete(key);
        this.dead.delete(key);
      } else if (dead * 2 > list.length) {
        this.byKey.set(key, list.filter((h) => h.alive));
        this.dead.delete(key);
      } else {
        this.dead.set(key, dead);
      }
    }
  }
}
