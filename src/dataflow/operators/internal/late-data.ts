import type { Batch } from '../../event.js';
import { LateDataError } from '../../errors.js';
import type { LateOutput } from '../late-output.js';

/** The option every windowed, per-time and keyed operator takes for its late records. */
export interface LateOptions<T, D> {
  /** Where late records go (and are counted); without it, late data fails the output with `LateDataError`. */
  late?: LateOutput<T, D>;
}

/**
 * The one place operators hand late records to: divert them to the side output when there is one, otherwise
 * fail with a {@link LateDataError} (thrown, so the event operator turns it into the output's error). Called
 * only on the late path, so it adds nothing to the cost of on-time records.
 */
export function handleLate<T, D>(
  sink: LateOutput<T, D> | undefined,
  operator: string,
  time: T,
  batch: Batch<D>,
  frontier: readonly T[],
  start = 0,
  end = batch.length,
): void {
  if (end <= start) return;
  if (sink === undefined) throw new LateDataError(operator, time, frontier.slice(), end - start);
  sink.divert(operator, time, batch, frontier, start, end);
}
