/**
 * A sparse index of fixed-size entries, kept in memory while its segment is in use and persisted to its
 * file on flush, roll and close. Both Kafka indexes (`.index`, `.timeindex`) are built on it.
 *
 * Entries only ever append, except after a reset (recovery rebuilds an index from the log), which rewrites
 * the whole file. An index whose entries are all on disk can be unloaded to bound memory and is read back
 * on the next lookup.
 */
import fs from 'node:fs/promises';
import { lastAtOrBefore } from './last-at-or-before.js';

export abstract class IndexFile {
  /** Entries in memory; undefined while unloaded (the file holds all `count` entries then). */
  protected entries: Buffer | undefined = Buffer.alloc(0);
  protected count = 0;
  /** Entries [0, persisted) are in the file. */
  private persisted = 0;
  /** After a reset the file may hold stale entries past `count`: truncate it on the next persist. */
  private needsTruncate = false;
  private loading: Promise<void> | undefined;

  constructor(
    readonly path: string,
    readonly entrySize: number,
    readonly maxBytes: number,
  ) {}

  get entryCount(): number {
    return this.count;
  }

  /** No room for another entry: the segment must roll (Kafka's "index full"). */
  get isFull(): boolean {
    return !this.hasRoomFor(1);
  }

  /** Room for `entries` more entries. */
  hasRoomFor(entries: number): boolean {
    return (this.count + entries) * this.entrySize <= this.maxBytes;
  }

  get isLoaded(): boolean {
    return this.entries !== undefined;
  }

  /** Bytes held in memory. */
  get residentBytes(): number {
    return this.entries?.length ?? 0;
  }

  get isPersisted(): boolean {
    return this.persisted === this.count && !this.needsTruncate;
  }

  /** Forgets every entry (recovery is about to rebuild them from the log). */
  reset(): void {
    this.entries = Buffer.alloc(Math.min(this.maxBytes, 64 * this.entrySize));
    this.count = 0;
    this.persisted = 0;
    this.needsTruncate = true;
  }

  /** Drops the entries from memory if they are all on disk. */
  unload(): boolean {
    if (!this.isPersisted || this.entries === undefined) return false;
    this.entries = undefined;
    return true;
  }

  /**
   * Loads the file (all of it: indexes are small, ~0.2% of the log). Returns false if it is missing or
   * fails the check: the caller rebuilds it from the log.
   */
  async load(logSize: number): Promise<boolean> {
    let data: Buffer;
    try {
      data = await fs.readFile(this.path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      this.reset();
      return false;
    }
    const whole = Math.floor(data.length / this.entrySize);
    this.entries = data;
    this.count = whole;
    this.persisted = whole;
    this.needsTruncate = data.length !== whole * this.entrySize;
    return !this.needsTruncate && this.isSane(logSize);
  }

  /** Loads unloaded entries before a lookup; a no-op when resident. */
  async ensureLoaded(): Promise<void> {
    if (this.entries !== undefined) return;
    this.loading ??= fs
      .readFile(this.path)
      .then((data) => {
        this.entries = data;
      })
      .finally(() => {
        this.loading = undefined;
      });
    await this.loading;
  }

  /** Writes the entries not yet on disk; `sync` also fsyncs the file. */
  async persist(sync: boolean): Promise<void> {
    if (this.isPersisted && !sync) return;
    const entries = this.entries;
    const count = this.count;
    const fh = await openForWrite(this.path);
    try {
      if (entries !== undefined && count > this.persisted) {
        const from = this.persisted * this.entrySize;
        const to = count * this.entrySize;
        let done = from;
        while (done < to) done += (await fh.write(entries, done, to - done, done)).bytesWritten;
      }
      if (this.needsTruncate) await fh.truncate(count * this.entrySize);
      if (sync) await fh.datasync();
      this.persisted = Math.max(this.persisted, count);
      this.needsTruncate = false;
    } finally {
      await fh.close();
    }
  }

  async remove(): Promise<void> {
    await fs.rm(this.path, { force: true });
    this.entries = Buffer.alloc(0);
    this.count = 0;
    this.persisted = 0;
    this.needsTruncate = false;
  }

  /** Room for one more entry; returns its byte position in `entries`. */
  protected claimEntry(): { buf: Buffer; at: number } {
    let buf = this.entries;
    if (buf === undefined) throw new Error(`index ${this.path} appended while unloaded`);
    const at = this.count * this.entrySize;
    if (at + this.entrySize > buf.length) {
      const grown = Buffer.alloc(Math.min(this.maxBytes, Math.max(64 * this.entrySize, buf.length * 2)));
      buf.copy(grown, 0, 0, at);
      this.entries = buf = grown;
    }
    this.count++;
    return { buf, at };
  }

  protected requireEntries(): Buffer {
    if (this.entries === undefined) throw new Error(`index ${this.path} used while unloaded`);
    return this.entries;
  }

  /** Entry-level consistency against the log it indexes (Kafka's sanityCheck). */
  protected abstract isSane(logSize: number): boolean;

  /** Index of the last entry whose key is <= (or < when `strict`) the target, or -1. */
  protected search(keyAt: (entry: number) => number | bigint, target: number | bigint, strict: boolean): number {
    return lastAtOrBefore(this.count, keyAt, target, strict);
  }
}

async function openForWrite(path: string): Promise<fs.FileHandle> {
  try {
    return await fs.open(path, 'r+');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    return await fs.open(path, 'w+');
  }
}
