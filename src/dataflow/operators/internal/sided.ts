import type { Stream } from '../../event.js';
import type { TimestampOptions } from '../../progress-tracker.js';
import { mapData } from '../map-data.js';
import { merge } from '../merge.js';

/** A record of a binary operator's input, tagged with the side it came from (also what its late output holds). */
export type Sided<L, R> = { readonly side: 'left'; readonly value: L } | { readonly side: 'right'; readonly value: R };

/**
 * The two inputs of a join as one stream of tagged records whose frontier is the meet of theirs (`merge`),
 * so a binary operator can be a unary one over it.
 */
export function mergeSides<T, L, R>(left: Stream<T, L>, right: Stream<T, R>, options?: TimestampOptions<T>): Stream<T, Sided<L, R>> {
  return merge<T, Sided<L, R>>(
    [
      left.pipe(mapData((value: L): Sided<L, R> => ({ side: 'left', value }))),
      right.pipe(mapData((value: R): Sided<L, R> => ({ side: 'right', value }))),
    ],
    options,
  );
}
