/**
 * Binary search over ascending keys, shared by the index files (entries) and the partition log (segments).
 */

/** Index of the last of `count` ascending keys that is <= `target` (< when `strict`), or -1 if there is none. */
export function lastAtOrBefore<K extends number | bigint>(count: number, keyAt: (i: number) => K, target: K, strict = false): number {
  let lo = 0;
  let hi = count - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const k = keyAt(mid);
    if (strict ? k < target : k <= target) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
