/**
 * Partition directories the catalog does not know, found at start-up: what a creation that died before
 * its catalog record, or a deletion whose rename failed, leaves behind. Empty ones (no record bytes) are
 * removed; ones holding records are renamed `<dir>.<id>-stray` and kept for an operator to inspect, as
 * Kafka does with stray logs. Either way the broker never serves them, and a new topic of the name starts
 * empty.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { TopicRecord } from '../catalog.js';
import { fsyncDir } from './atomic-file.js';
import { deletedDirName, LOG_SUFFIX, parsePartitionDirName, STRAY_DIR_SUFFIX } from './file-names.js';

export interface StrayDir {
  /** The directory's name in the data dir. */
  dir: string;
  /** Bytes of `.log` files in it. */
  bytes: number;
  /** Where it was moved (a name in the data dir), or null when it was empty and removed. */
  movedTo: string | null;
}

export async function quarantineStrayDirs(dataDir: string, topics: readonly TopicRecord[]): Promise<StrayDir[]> {
  const known = new Map(topics.map((t) => [t.name, t.partitions]));
  const found: StrayDir[] = [];
  for (const entry of await fs.readdir(dataDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const parsed = parsePartitionDirName(entry.name);
    if (!parsed) continue;
    const partitions = known.get(parsed.topic);
    if (partitions !== undefined && parsed.partition < partitions) continue;
    const full = path.join(dataDir, entry.name);
    const bytes = await logBytes(full);
    if (bytes === 0) {
      await fs.rm(full, { recursive: true, force: true });
      found.push({ dir: entry.name, bytes, movedTo: null });
    } else {
      const movedTo = deletedDirName(entry.name, STRAY_DIR_SUFFIX);
      await fs.rename(full, path.join(dataDir, movedTo));
      found.push({ dir: entry.name, bytes, movedTo });
    }
  }
  if (found.length > 0) await fsyncDir(dataDir);
  return found;
}

async function logBytes(dir: string): Promise<number> {
  let bytes = 0;
  for (const name of await fs.readdir(dir)) {
    if (name.endsWith(LOG_SUFFIX)) bytes += (await fs.stat(path.join(dir, name))).size;
  }
  return bytes;
}
