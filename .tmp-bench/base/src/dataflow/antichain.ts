import { lessThan as strictlyLess, numberTimestamp, type Timestamp } from './timestamp.js';

/**
 * A set of mutually incomparable times: the minimal elements of some set. A frontier is an antichain; it
 * "allows" a time `t` when some element is `≤ t`. The empty antichain allows nothing (a finished stream).
 */
export class Antichain<T> {
  private readonly items: T[] = [];

  constructor(
    readonly order: Timestamp<T> = numberTimestamp as unknown as Timestamp<T>,
    elements: Iterable<T> = [],
  ) {
    for (const t of elements) this.insert(t);
  }

  /** The antichain holding only `order.minimum`: the frontier every stream starts from. */
  static minimum<T>(order: Timestamp<T>): Antichain<T> {
    return new Antichain(order, [order.minimum]);
  }

  /**
   * Adds `t` unless an element is already `≤ t`; drops the elements `t` is `≤` to.
   * Returns whether `t` was added.
   */
  insert(t: T): boolean {
    const order = this.order;
    if (this.items.some((e) => order.lessEqual(e, t))) return false;
    for (let i = this.items.length - 1; i >= 0; i--) {
      if (order.lessEqual(t, this.items[i] as T)) this.items.splice(i, 1);
    }
    this.items.push(t);
    return true;
  }

  /** Some element is `≤ t`: data at `t` may still appear. */
  lessEqual(t: T): boolean {
    const order = this.order;
    return this.items.some((e) => order.lessEqual(e, t));
  }

  /** Some element is `< t`: times before `t` may still appear, so `t` is not yet complete "from below". */
  lessThan(t: T): boolean {
    const order = this.order;
    return this.items.some((e) => strictlyLess(order, e, t));
  }

  /** Every element of `other` is `≥` some element of this one (this frontier is at or behind `other`). */
  dominates(other: Antichain<T>): boolean {
    return other.items.every((t) => this.lessEqual(t));
  }

  equals(other: Antichain<T>): boolean {
    return this.dominates(other) && other.dominates(this);
  }

  get elements(): readonly T[] {
    return this.items;
  }

  get length(): number {
    return this.items.length;
  }

  isEmpty(): boolean {
    return this.items.length === 0;
  }

  [Symbol.iterator](): Iterator<T> {
    return this.items[Symbol.iterator]();
  }
}
