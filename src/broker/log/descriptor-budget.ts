/**
 * How many segment files the broker may keep open, derived from the process's descriptor limit
 * (RLIMIT_NOFILE) so that a broker with thousands of partitions never runs out of descriptors for sockets,
 * metadata logs or the short-lived opens of index and checkpoint writes.
 */
import fs from 'node:fs';

/** Assumed when the limit cannot be read (not Linux): the usual soft limit of a Linux login shell. */
export const FALLBACK_OPEN_FILE_LIMIT = 1024;
/**
 * Descriptors kept out of every budget: stdio, libuv's epoll/eventfd/signal descriptors, the metadata logs
 * (catalog, offsets, producer ids), and short-lived opens (index persistence, checkpoint writes, directory
 * fsyncs, recovery) of the few partition operations that run at once.
 */
export const RESERVED_DESCRIPTORS = 64;
/** Never fewer cached segment files than this, however low the limit: below it every read reopens a file. */
const MIN_SEGMENT_FILES = 16;
/** Never more: beyond this, more open files buy nothing but kernel memory. */
const MAX_SEGMENT_FILES = 32_768;

/** The soft "Max open files" limit from /proc/self/limits; undefined if unknown, Infinity if unlimited. */
export function readOpenFileLimit(limitsFile = '/proc/self/limits'): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(limitsFile, 'utf8');
  } catch {
    return undefined;
  }
  const m = /^Max open files\s+(\S+)/m.exec(text);
  if (!m) return undefined;
  if (m[1] === 'unlimited') return Infinity;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

export interface DescriptorBudget {
  /** The process limit it was derived from (or the fallback). */
  limit: number;
  /** Segment files (active and inactive) the handle cache keeps open. */
  segmentFiles: number;
  /** Descriptors left for client connections. */
  sockets: number;
}

/**
 * Splits the limit: a fixed reserve, then sockets (up to `maxConnections`, at most half of the rest), then
 * segment files. With the hard limit at 1,024 and 1,000 allowed connections that is 480 files and 480 sockets.
 */
export function descriptorBudget(limit: number | undefined, maxConnections: number): DescriptorBudget {
  const known = limit ?? FALLBACK_OPEN_FILE_LIMIT;
  const usable = Math.max(0, Math.min(known, Number.MAX_SAFE_INTEGER) - RESERVED_DESCRIPTORS);
  const sockets = Math.min(maxConnections, Math.floor(usable / 2));
  const segmentFiles = Math.min(MAX_SEGMENT_FILES, Math.max(MIN_SEGMENT_FILES, usable - sockets));
  return { limit: known, segmentFiles, sockets };
}
