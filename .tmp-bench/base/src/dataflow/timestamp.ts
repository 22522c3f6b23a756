/**
 * Timestamps: the partially ordered times that data and progress are measured in.
 *
 * A timestamp type is described by a small order object rather than by methods on the values, so plain
 * numbers and plain tuples (which survive msgpackr round trips unchanged) can be times.
 */

/** A stable identity for a time: equal times have equal keys, so keys can index Maps. */
export type TimeKey = string | number;

export interface Timestamp<T> {
  /** The least time; every stream implicitly starts holding it. */
  readonly minimum: T;
  /** The partial order: `a ≤ b`. Must be reflexive, antisymmetric and transitive. */
  lessEqual(a: T, b: T): boolean;
  /** A stable key: `key(a) === key(b)` exactly when `a` and `b` are the same time. */
  key(t: T): TimeKey;
  /**
   * Optional total order that extends `lessEqual` (a linear extension: `a ≤ b` implies `compare(a, b) <= 0`)
   * and returns 0 only for equal times. Used to sort change batches and to find frontiers quickly; without it
   * the library falls back to a (slower) topological sort.
   */
  compare?(a: T, b: T): number;
  /** True when `lessEqual` is itself total (numbers): frontiers then hold at most one element. */
  readonly totalOrder?: boolean;
  /** A name for error messages. */
  readonly name?: string;
}

/** Non-negative numbers (integers in practice) in their usual order; the default timestamp. */
export const numberTimestamp: Timestamp<number> = {
  minimum: 0,
  lessEqual: (a, b) => a <= b,
  key: (t) => t,
  compare: (a, b) => a - b,
  totalOrder: true,
  name: 'number',
};

export type Pair<A, B> = readonly [A, B];

/**
 * The product order of two timestamp types: `(a1, b1) ≤ (a2, b2)` iff `a1 ≤ a2` and `b1 ≤ b2`.
 * The lexicographic order of the components' `compare` is a linear extension of it.
 */
export function productTimestamp<A, B>(first: Timestamp<A>, second: Timestamp<B>): Timestamp<Pair<A, B>> {
  const cmpA = first.compare;
  const cmpB = second.compare;
  return {
    minimum: [first.minimum, second.minimum] as const,
    lessEqual: (x, y) => first.lessEqual(x[0], y[0]) && second.lessEqual(x[1], y[1]),
    key: (t) => `${String(first.key(t[0]))},${String(second.key(t[1]))}`,
    ...(cmpA && cmpB ? { compare: (x: Pair<A, B>, y: Pair<A, B>) => cmpA.call(first, x[0], y[0]) || cmpB.call(second, x[1], y[1]) } : {}),
    totalOrder: false,
    name: `(${first.name ?? '?'}, ${second.name ?? '?'})`,
  };
}

/** Pairs of numbers in the product order, e.g. (epoch, iteration) as in Timely's nested scopes. */
export const pairTimestamp: Timestamp<Pair<number, number>> = {
  minimum: [0, 0] as const,
  lessEqual: (x, y) => x[0] <= y[0] && x[1] <= y[1],
  key: (t) => `${t[0]},${t[1]}`,
  compare: (x, y) => x[0] - y[0] || x[1] - y[1],
  totalOrder: false,
  name: 'pair',
};

/** `a < b` in the partial order. */
export function lessThan<T>(order: Timestamp<T>, a: T, b: T): boolean {
  return order.lessEqual(a, b) && order.key(a) !== order.key(b);
}

function compareKeys(a: TimeKey, b: TimeKey): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/**
 * Sorts `items` in place so that `lessEqual(time(a), time(b))` implies `a` comes first, using `compare` when
 * the order has one and a key-ordered topological sort otherwise (quadratic; progress batches are small).
 */
export function sortByTime<T, X>(order: Timestamp<T>, items: X[], time: (x: X) => T): X[] {
  const compare = order.compare;
  if (compare) return items.sort((a, b) => compare.call(order, time(a), time(b)));
  items.sort((a, b) => compareKeys(order.key(time(a)), order.key(time(b))));
  // Repeatedly take the first item that no remaining item strictly precedes.
  const rest = items.splice(0, items.length);
  while (rest.length > 0) {
    let pick = 0;
    for (let i = 0; i < rest.length; i++) {
      const t = time(rest[i] as X);
      let minimal = true;
      for (let j = 0; j < rest.length && minimal; j++) {
        if (j !== i && lessThan(order, time(rest[j] as X), t)) minimal = false;
      }
      if (minimal) {
        pick = i;
        break;
      }
    }
    items.push(rest.splice(pick, 1)[0] as X);
  }
  return items;
}
