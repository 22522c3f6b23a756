/**
 * Which old segments retention removes: a prefix of whole segments (never the active one) that is older
 * than `retention.ms`, keeps the partition above `retention.bytes`, or lies wholly below the log start
 * offset (after DeleteRecords). Kafka's rules from UnifiedLog.deleteOldSegments, as one pure function.
 */
export interface RetentionView {
  readonly size: number;
  /** Newest record timestamp in the segment (ms), or the file's mtime when it has none. */
  readonly largestTimestampMs: number;
  readonly nextOffset: bigint;
}

export function retentionPrefix(
  segments: readonly RetentionView[],
  config: { retentionMs: number; retentionBytes: number },
  nowMs: number,
  logStartOffset: bigint,
): number {
  let remaining = 0;
  for (const s of segments) remaining += s.size;
  let count = 0;
  // The last segment is the active one: never deleted.
  for (let i = 0; i < segments.length - 1; i++) {
    const s = segments[i]!;
    const belowStart = s.nextOffset <= logStartOffset;
    const tooOld = config.retentionMs >= 0 && nowMs - s.largestTimestampMs > config.retentionMs;
    const tooBig = config.retentionBytes >= 0 && remaining - s.size >= config.retentionBytes;
    if (!belowStart && !tooOld && !tooBig) break;
    remaining -= s.size;
    count++;
  }
  return count;
}
