import { InvalidTimeError } from '../../errors.js';
import type { LateOptions } from './late-data.js';

/** A window's bounds in event time: it holds the times `t` with `start ≤ t < end`. */
export interface WindowBounds {
  readonly start: number;
  readonly end: number;
}

/** What every windowed operator emits: one record per window and key, at the window's start time. */
export interface WindowResult<K, V> {
  readonly window: WindowBounds;
  readonly key: K;
  readonly value: V;
}

/** Options every windowed operator takes. */
export interface WindowOptions<D, K> extends LateOptions<number, D> {
  /** Groups records within a window; every record has key `undefined` when omitted. */
  key?: (record: D) => K;
  /**
   * How far behind the input frontier a record may arrive and still count (default 0). A window's result
   * waits until the frontier has passed its end plus this much; records further behind are late.
   */
  allowedLateness?: number;
}

/** Folds a window's records into a value, as `aggregatePerTime` does per time. */
export interface WindowAggregation<D, K, A> {
  /** Folds one record into the accumulator. */
  aggregate: (accumulator: A, record: D, time: number) => A;
  /** The accumulator of a key's first record in a window (a value, or a function of key and window). */
  seed: A | ((key: K, window: WindowBounds) => A);
}

/** How an operator turns a window's records into its value: create, add, finish. */
export interface Folder<D, K, S, V> {
  create(key: K, window: WindowBounds): S;
  add(state: S, record: D, time: number): S;
  finish(state: S): V;
}

/** The folder for `options`: its aggregation when given one, otherwise the records in arrival order. */
export function folderOf<D, K, V>(options: Partial<WindowAggregation<D, K, unknown>> | undefined): Folder<D, K, unknown, V> {
  const aggregate = options?.aggregate;
  if (aggregate === undefined) {
    return {
      create: () => [] as D[],
      add: (records, record) => {
        (records as D[]).push(record);
        return records;
      },
      finish: (records) => records as V,
    };
  }
  const seed = options?.seed;
  const create = typeof seed === 'function' ? (seed as (key: K, window: WindowBounds) => unknown) : () => seed;
  return { create, add: aggregate, finish: (acc) => acc as V };
}

/** Checks a window length (size, slide, gap): positive and finite. */
export function checkLength(operator: string, what: string, value: number): void {
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new InvalidTimeError(`${operator} ${what} must be a positive finite number, got ${value}`);
  }
}

/** The allowed lateness of `options`: 0 by default, otherwise non-negative and finite. */
export function allowedLatenessOf(operator: string, options: { allowedLateness?: number } | undefined): number {
  const lateness = options?.allowedLateness ?? 0;
  if (!(lateness >= 0) || !Number.isFinite(lateness)) {
    throw new InvalidTimeError(`${operator} allowedLateness must be a non-negative finite number, got ${lateness}`);
  }
  return lateness;
}

/** A number frontier as one number: its only element, or `Infinity` once it is empty (the input finished). */
export function frontierValue(frontier: readonly number[]): number {
  return frontier.length === 0 ? Infinity : (frontier[0] as number);
}
