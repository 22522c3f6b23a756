/**
 * Where the last clean of a partition ended (Kafka's cleaner-offset-checkpoint, kept per partition
 * directory here): segments below it count as clean for min.cleanable.dirty.ratio, so a restart does not
 * make the whole log dirty again. Losing the file only costs one extra clean.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';

export const CLEANER_CHECKPOINT_FILE = 'cleaner-offset-checkpoint.json';

export async function readCleanerCheckpoint(dir: string): Promise<bigint> {
  try {
    const parsed = JSON.parse(await fs.readFile(path.join(dir, CLEANER_CHECKPOINT_FILE), 'utf8')) as { cleanedUpTo?: unknown };
    return typeof parsed.cleanedUpTo === 'string' && /^\d+$/.test(parsed.cleanedUpTo) ? BigInt(parsed.cleanedUpTo) : 0n;
  } catch {
    return 0n; // missing or unreadable: everything is dirty, which is safe
  }
}

export async function writeCleanerCheckpoint(dir: string, cleanedUpTo: bigint): Promise<void> {
  await writeFileAtomic(path.join(dir, CLEANER_CHECKPOINT_FILE), JSON.stringify({ cleanedUpTo: cleanedUpTo.toString() }));
}
