/**
 * Names on disk, as Kafka lays them out: `<topic>-<partition>/` directories holding
 * `<20-digit base offset>.log`, `.index` and `.timeindex` per segment.
 */
import path from 'node:path';

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
/** Directories of deleted topics are renamed with this suffix, then removed (also after a crash). */
export const DELETED_DIR_SUFFIX = '-delete';
/** Per-partition recovery point and log start offset. */
export const PARTITION_STATE_FILE = 'partition-state.json';
/** Present only while the data dir is closed cleanly; its presence lets open skip recovery. */
export const CLEAN_SHUTDOWN_FILE = '.kafkaesque-clean-shutdown';

export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

export function segmentFileStem(baseOffset: bigint): string {
  return baseOffset.toString().padStart(20, '0');
}

export function segmentPaths(dir: string, baseOffset: bigint): { log: string; index: string; timeIndex: string } {
  const stem = path.join(dir, segmentFileStem(baseOffset));
  return { log: stem + LOG_SUFFIX, index: stem + INDEX_SUFFIX, timeIndex: stem + TIME_INDEX_SUFFIX };
}

/** The base offset of a `<20 digits>.log` file name, or undefined for anything else. */
export function parseSegmentLogName(name: string): bigint | undefined {
  if (!name.endsWith(LOG_SUFFIX)) return undefined;
  const stem = name.slice(0, -LOG_SUFFIX.length);
  return /^\d{20}$/.test(stem) ? BigInt(stem) : undefined;
}
