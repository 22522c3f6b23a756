/**
 * Crash-safe replacement of one segment by its cleaned copy, the way Kafka's LogCleaner and LogLoader do it:
 *   1. the cleaned batches are streamed to `<base>.log.cleaned`, which is fsynced;
 *   2. it is renamed to `<base>.log.swap` (the directory fsynced): from here the clean is committed;
 *   3. the segment's indexes are removed (they describe the old positions);
 *   4. the swap is renamed over `<base>.log`; the indexes are rebuilt from it.
 * Recovery (`completeSwaps`, before segments are discovered) discards every `.cleaned` file (the originals
 * are intact) and finishes every `.swap` (steps 3 and 4); a segment without indexes is then rebuilt by
 * recovery. Each step leaves exactly one copy of every record: old bytes or new bytes, never both.
 */
import fs, { type FileHandle } from 'node:fs/promises';
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

/**
 * Steps 1–2, streamed: batches are appended to `<base>.log.cleaned` through a write buffer of at most
 * `bufferBytes` (half of Kafka's log.cleaner.io.buffer.size goes to writing, as Kafka splits it), then
 * `commit` fsyncs it and renames it to the swap. `discard` removes it (a clean given up on).
 */
export class CleanedFile {
  private readonly pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes written so far (buffered included). */
  size = 0;

  private constructor(
    private readonly dir: string,
    private readonly base: bigint,
    private readonly fh: FileHandle,
    private readonly bufferBytes: number,
    private readonly onWrite: (bytes: number) => Promise<void>,
  ) {}

  static async create(dir: string, base: bigint, bufferBytes: number, onWrite: (bytes: number) => Promise<void>): Promise<CleanedFile> {
    const fh = await fs.open(segmentPaths(dir, base).log + CLEANED_SUFFIX, 'w');
    return new CleanedFile(dir, base, fh, bufferBytes, onWrite);
  }

  /** Appends a batch; `bytes` may be reused by the caller once this resolves. */
  async append(bytes: Buffer): Promise<void> {
    this.size += bytes.length;
    if (bytes.length >= this.bufferBytes) {
      await this.flush();
      await this.write(bytes);
      return;
    }
    // Copied: the caller's buffer is a view of its read buffer, which the next read replaces.
    this.pending.push(Buffer.from(bytes));
    this.pendingBytes += bytes.length;
    if (this.pendingBytes >= this.bufferBytes) await this.flush();
  }

  /** Fsyncs and renames to the swap file: from here the clean of this segment is committed. */
  async commit(): Promise<void> {
    await this.flush();
    try {
      await this.fh.sync();
    } finally {
      await this.fh.close();
    }
    killPoint('cleaned-written');
    const log = segmentPaths(this.dir, this.base).log;
    await fs.rename(log + CLEANED_SUFFIX, log + SWAP_SUFFIX);
    await fsyncDir(this.dir);
    killPoint('swap-renamed');
  }

  async discard(): Promise<void> {
    await this.fh.close().catch(() => undefined);
    await fs.rm(segmentPaths(this.dir, this.base).log + CLEANED_SUFFIX, { force: true });
  }

  private async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const chunk = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending.length = 0;
    this.pendingBytes = 0;
    await this.write(chunk);
  }

  private async write(chunk: Buffer): Promise<void> {
    for (let off = 0; off < chunk.length; ) off += (await this.fh.write(chunk, off, chunk.length - off)).bytesWritten;
    await this.onWrite(chunk.length);
  }
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
