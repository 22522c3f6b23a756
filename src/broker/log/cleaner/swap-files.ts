/**
 * Crash-safe replacement of one segment by its cleaned copy, the way Kafka's LogCleaner and LogLoader do it:
 *   1. the cleaned bytes go to `<base>.log.cleaned` and are fsynced;
 *   2. it is renamed to `<base>.log.swap` (the directory fsynced): from here the clean is committed;
 *   3. the segment's indexes are removed (they describe the old positions);
 *   4. the swap is renamed over `<base>.log`; the indexes are rebuilt from it.
 * Recovery (`completeSwaps`, before segments are discovered) discards every `.cleaned` file (the originals
 * are intact) and finishes every `.swap` (steps 3 and 4); a segment without indexes is then rebuilt by
 * recovery. Each step leaves exactly one copy of every record: old bytes or new bytes, never both.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { fsyncDir } from '../atomic-file.js';
import { LOG_SUFFIX, segmentPaths } from '../file-names.js';

export const CLEANED_SUFFIX = '.cleaned';
export const SWAP_SUFFIX = '.swap';

/** Test hook: the process SIGKILLs itself right after the named phase of a clean. */
export const CLEANER_KILL_ENV = 'KAFKAESQUE_TEST_CLEANER_KILL_AT';
export type CleanPhase = 'cleaned-written' | 'swap-renamed' | 'indexes-removed' | 'log-replaced';

function killPoint(phase: CleanPhase): void {
  if (process.env[CLEANER_KILL_ENV] === phase) process.kill(process.pid, 'SIGKILL');
}

/** Steps 1–2: the cleaned bytes of the segment at `base`, durable as its swap file. */
export async function writeSwap(dir: string, base: bigint, bytes: Buffer): Promise<string> {
  const log = segmentPaths(dir, base).log;
  const cleaned = log + CLEANED_SUFFIX;
  const fh = await fs.open(cleaned, 'w');
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
  killPoint('cleaned-written');
  const swap = log + SWAP_SUFFIX;
  await fs.rename(cleaned, swap);
  await fsyncDir(dir);
  killPoint('swap-renamed');
  return swap;
}

/** Steps 3–4: the swap replaces the segment's log; its indexes are gone (the caller rebuilds them). */
export async function installSwap(dir: string, base: bigint): Promise<void> {
  const p = segmentPaths(dir, base);
  await fs.rm(p.index, { force: true });
  await fs.rm(p.timeIndex, { force: true });
  await fsyncDir(dir);
  killPoint('indexes-removed');
  await fs.rename(p.log + SWAP_SUFFIX, p.log);
  await fsyncDir(dir);
  killPoint('log-replaced');
}

/** Removes the swap of a clean given up on (its segment went away meanwhile). */
export async function discardSwap(dir: string, base: bigint): Promise<void> {
  await fs.rm(segmentPaths(dir, base).log + SWAP_SUFFIX, { force: true });
  await fs.rm(segmentPaths(dir, base).log + CLEANED_SUFFIX, { force: true });
}

/** At load: discards `.cleaned` files and completes `.swap` files. Returns how many swaps were completed. */
export async function completeSwaps(dir: string): Promise<number> {
  let completed = 0;
  for (const name of await fs.readdir(dir)) {
    if (name.endsWith(LOG_SUFFIX + CLEANED_SUFFIX)) await fs.rm(path.join(dir, name), { force: true });
    else if (name.endsWith(LOG_SUFFIX + SWAP_SUFFIX)) {
      const stem = name.slice(0, -(LOG_SUFFIX + SWAP_SUFFIX).length);
      if (!/^\d{20}$/.test(stem)) continue;
      await installSwap(dir, BigInt(stem));
      completed++;
    }
  }
  return completed;
}
