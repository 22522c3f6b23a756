/**
 * Names on disk, as Kafka lays them out: `<topic>-<partition>/` directories holding
 * `<20-digit base offset>.log`, `.index` and `.timeindex` per segment.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
/** Directories of deleted topics are renamed with this suffix, then removed (also after a crash). */
export const DELETED_DIR_SUFFIX = '-delete';
/** Partition directories the catalog does not know are renamed with this suffix and kept (as Kafka does). */
export const STRAY_DIR_SUFFIX = '-stray';
/** The longest file name most filesystems allow (NAME_MAX). */
const NAME_MAX = 255;
/** Per-partition recovery point and log start offset. */
export const PARTITION_STATE_FILE = 'partition-state.json';
/** Present only while the data dir is closed cleanly; its presence lets open skip recovery. */
export const CLEAN_SHUTDOWN_FILE = '.kafkaesque-clean-shutdown';

export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/**
 * A unique name for `<dirName>` marked for deletion or set aside: `<dirName>.<32 hex>-delete`. Like Kafka, the
 * topic part is shortened when needed, so the name fits NAME_MAX even for a 249-character topic.
 */
export function deletedDirName(dirName: string, suffix: string = DELETED_DIR_SUFFIX): string {
  const tail = `.${randomUUID().replace(/-/g, '')}${suffix}`;
  return dirName.slice(0, NAME_MAX - tail.length) + tail;
}

/** `<topic>-<partition>` split back, or undefined for any other name. */
export function parsePartitionDirName(name: string): { topic: string; partition: number } | undefined {
  const m = /^(.+)-(\d{1,9})$/.exec(name);
  return m ? { topic: m[1]!, partition: Number(m[2]) } : undefined;
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
