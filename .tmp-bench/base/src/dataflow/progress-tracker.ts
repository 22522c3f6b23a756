import { compactUpdates, type Update } from './change-batch.js';
import { TimestampMismatchError } from './errors.js';
import { MutableAntichain } from './mutable-antichain.js';
import { numberTimestamp, type Timestamp } from './timestamp.js';

/** Options every progress-aware operator accepts. */
export interface TimestampOptions<T> {
  /** How times are ordered; numbers when omitted. */
  timestamp?: Timestamp<T>;
}

/** The operator's order, plus whether it is the number default (then times are checked to be numbers). */
export function resolveOrder<T>(options?: TimestampOptions<T>): { order: Timestamp<T>; assumeNumbers: boolean } {
  const given = options?.timestamp;
  return given
    ? { order: given, assumeNumbers: false }
    : { order: numberTimestamp as unknown as Timestamp<T>, assumeNumbers: true };
}

/** Throws a {@link TimestampMismatchError} unless `t` is a number (used when an operator defaulted to numbers). */
export function assertNumberTime(t: unknown): void {
  if (typeof t !== 'number') throw new TimestampMismatchError(t, 'numbers');
}

export interface ProgressTrackerOptions<T> {
  /** Number of input streams whose frontier changes are summed (each starts holding the minimum). */
  inputs?: number;
  /**
   * The operator holds capabilities for output it has not produced yet ({@link hold}/{@link release}), so
   * its output frontier is the meet of the input frontier and those capabilities.
   */
  capabilities?: boolean;
  /**
   * A monotone map from input times to output times (e.g. a window's start) applied to the input frontier
   * before it becomes the output frontier.
   */
  mapTime?: (t: T) => T;
}

/**
 * The frontier bookkeeping shared by every progress-aware operator. The input side sums the frontier
 * changes of all inputs (as Timely sums pointstamp counts); the output side counts the (mapped) input
 * frontier plus the capabilities the operator holds for pending output. Output changes are queued and
 * applied atomically by {@link takeOutputChanges}, after the operator has emitted the data they release:
 * an output progress event can never release a time before its data.
 */
export class ProgressTracker<T> {
  readonly input: MutableAntichain<T>;
  private readonly output: MutableAntichain<T> | undefined;
  private readonly mapTime: ((t: T) => T) | undefined;
  private queued: [T, number][] = [];

  constructor(readonly order: Timestamp<T>, options: ProgressTrackerOptions<T> = {}) {
    const inputs = options.inputs ?? 1;
    this.input = MutableAntichain.withMinimum(order, inputs);
    this.mapTime = options.mapTime;
    if (options.capabilities || options.mapTime) {
      // The output starts like any stream: holding the (mapped) minimum once, if any input exists.
      const start = this.mapTime ? this.mapTime(order.minimum) : order.minimum;
      this.output = new MutableAntichain(order, inputs > 0 ? [[start, 1]] : []);
    }
  }

  /**
   * Applies one input progress event and returns the input frontier's changes. They are also queued for
   * the output, to be applied by the next {@link takeOutputChanges}.
   */
  applyInput(updates: ReadonlyArray<Update<T>>): [T, number][] {
    const changes = this.input.updateIter(updates);
    if (changes.length > 0) {
      if (this.output === undefined) {
        // Without an output side the input's changes are the output's; several batches need compacting.
        this.queued = this.queued.length === 0 ? changes : compactUpdates(this.order, this.queued.concat(changes));
      }
      else if (this.mapTime === undefined) for (const c of changes) this.queued.push(c);
      else for (const [t, d] of changes) this.queued.push([this.mapTime(t), d]);
    }
    return changes;
  }

  /** Treats the inputs as finished (their Observables completed): releases whatever they still hold. */
  closeInputs(): [T, number][] {
    const release: [T, number][] = [];
    for (const [t, c] of this.input.entries()) if (c !== 0) release.push([t, -c]);
    return this.applyInput(release);
  }

  /** Holds a capability at `t` for output the operator will produce later. */
  hold(t: T): void {
    this.queued.push([t, 1]);
  }

  /** Releases a capability taken with {@link hold}, once the output at `t` has been emitted. */
  release(t: T): void {
    this.queued.push([t, -1]);
  }

  /** Applies all queued changes atomically; returns the output frontier's changes (`[]` if it did not move). */
  takeOutputChanges(): [T, number][] {
    const queued = this.queued;
    if (queued.length === 0) return queued;
    this.queued = [];
    return this.output === undefined ? queued : this.output.updateIter(queued);
  }

  /** Whether the output frontier allows time `t` (data may be emitted at `t`). */
  outputAllows(t: T): boolean {
    return (this.output ?? this.input).lessEqual(t);
  }

  /** The output frontier (after the last {@link takeOutputChanges}). */
  get outputFrontier(): readonly T[] {
    return (this.output ?? this.input).frontier;
  }
}
