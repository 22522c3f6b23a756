/** Typed errors of the dataflow layer. Each says what was wrong and what to do about it. */

/** What rule of the progress protocol a stream broke. */
export type ProtocolViolation =
  /** Messages at a time the stream's frontier no longer covers (the time was already released). */
  | 'uncovered-data'
  /** A progress event drove a time's cumulative count below zero (e.g. a duplicated or reused stream). */
  | 'negative-count'
  /** A progress event added a count at a time no held capability is ≤ to: the frontier went backwards. */
  | 'frontier-regression'
  /** The Observable completed while the frontier still held times (a truncated stream). */
  | 'incomplete'
  /** A progress event that is not compacted and sorted (only checked in strict mode). */
  | 'not-compacted';

/** A stream broke the progress protocol; `validate()` raises it, naming the event and the offending time. */
export class ProgressProtocolError extends Error {
  override readonly name = 'ProgressProtocolError';
  constructor(
    readonly violation: ProtocolViolation,
    message: string,
    /** Zero-based index of the offending event in the stream. */
    readonly eventIndex: number,
    readonly time?: unknown,
  ) {
    super(message);
  }
}

/**
 * A batch of count changes would drive a time's count below zero: more capabilities released than held
 * (`MutableAntichain.updateNonNegative`, used per stream by capture and replay, which name the stream).
 */
export class NegativeCountError extends Error {
  override readonly name = 'NegativeCountError';
  constructor(readonly time: unknown, readonly count: number) {
    super(`the count at time ${JSON.stringify(time)} would drop to ${count}`);
  }
}

/** A time of the wrong shape reached an operator (e.g. a pair while the operator assumed numbers). */
export class TimestampMismatchError extends Error {
  override readonly name = 'TimestampMismatchError';
  constructor(readonly time: unknown, readonly expected: string) {
    super(
      `received time ${describe(time)} but the operator orders times as ${expected}; ` +
        `pass { timestamp } (e.g. pairTimestamp) to the operator`,
    );
  }
}

/** An operator's time function broke its contract (e.g. `delay` moved data to an earlier time). */
export class InvalidTimeError extends Error {
  override readonly name = 'InvalidTimeError';
  constructor(message: string, readonly time?: unknown) {
    super(message);
  }
}

/**
 * Records reached an operator after the time their result belongs to was completed (behind the input
 * frontier, less any `allowedLateness`), and the operator was given no `late` side output to divert them to.
 * A stream that follows the progress protocol never does this; a source whose frontier is a heuristic
 * watermark may.
 */
export class LateDataError extends Error {
  override readonly name = 'LateDataError';
  constructor(
    readonly operator: string,
    readonly time: unknown,
    readonly frontier: readonly unknown[],
    readonly records: number,
  ) {
    super(
      `${operator} received ${records} record(s) at time ${describe(time)} after the frontier ${describe(frontier)} ` +
        `had completed it; pass { late: lateOutput() } to the operator to divert and count late records ` +
        `instead of failing (or raise allowedLateness on windowed operators)`,
    );
  }
}

/** Misuse of an `InputHandle` (sending after close, advancing backwards). */
export class InputHandleError extends Error {
  override readonly name = 'InputHandleError';
}

export function describe(value: unknown): string {
  try {
    return typeof value === 'bigint' ? `${value}n` : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}
