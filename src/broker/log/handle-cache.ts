/**
 * The one bounded set of open segment files of a LogManager, least recently used first out: read handles of
 * inactive segments and the write handles of active ones alike, so the broker's descriptors stay bounded
 * however many partitions exist. An idle partition's active segment is closed like any other file and
 * reopened on its next append or read.
 *
 * Users borrow a handle (`acquire` → `release`); an evicted or invalidated handle is closed only once no
 * borrower holds it, so eviction, retention or topic deletion never closes a file under an in-flight read or
 * write (on POSIX an unlinked file stays readable through an open handle). While every cached handle is
 * borrowed the set may briefly exceed its bound by the number of operations in flight.
 */
import fs from 'node:fs/promises';

interface Entry {
  path: string;
  handle: Promise<fs.FileHandle>;
  /** Opened read-write (an active segment's appends need it; reads can use either). */
  writable: boolean;
  borrowers: number;
  retired: boolean;
}

export interface BorrowedHandle {
  fh: fs.FileHandle;
  release(): void;
}

export class HandleCache {
  /** Insertion order is recency order: re-inserted on every use. */
  private readonly entries = new Map<string, Entry>();
  /** Retired handles still borrowed (open until released). */
  private lingering = 0;
  /** Files opened since start (tests and the log line that reports reopen churn). */
  opens = 0;

  constructor(readonly maxOpen: number = 256) {}

  /** Borrows the file at `path`, opening it if not cached; `writable` opens it read-write (`r+`). */
  acquire(path: string, writable = false): Promise<BorrowedHandle> {
    let entry = this.entries.get(path);
    if (entry && writable && !entry.writable) {
      this.entries.delete(path);
      this.retire(entry);
      entry = undefined;
    }
    if (entry) this.entries.delete(path);
    else entry = this.open(path, writable ? 'r+' : 'r');
    return this.lend(entry);
  }

  /** Creates (or truncates) the file at `path`, opened read-write, and borrows it. */
  create(path: string): Promise<BorrowedHandle> {
    const old = this.entries.get(path);
    if (old) {
      this.entries.delete(path);
      this.retire(old);
    }
    return this.lend(this.open(path, 'w+'));
  }

  /** Closes the handle of a file being deleted or truncated (after its current borrowers finish). */
  invalidate(path: string): void {
    const entry = this.entries.get(path);
    if (!entry) return;
    this.entries.delete(path);
    this.retire(entry);
  }

  async close(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    for (const e of all) this.retire(e);
  }

  /** Cached handles (open or opening). */
  get size(): number {
    return this.entries.size;
  }

  /** Descriptors this cache holds now: cached plus retired ones still borrowed. */
  get openCount(): number {
    return this.entries.size + this.lingering;
  }

  private open(path: string, flags: 'r' | 'r+' | 'w+'): Entry {
    this.opens++;
    const created: Entry = { path, handle: fs.open(path, flags), writable: flags !== 'r', borrowers: 0, retired: false };
    created.handle.catch(() => {
      if (this.entries.get(path) === created) this.entries.delete(path);
    });
    return created;
  }

  private async lend(entry: Entry): Promise<BorrowedHandle> {
    this.entries.set(entry.path, entry);
    entry.borrowers++;
    this.evictOverflow();
    let fh: fs.FileHandle;
    try {
      fh = await entry.handle;
    } catch (e) {
      this.giveBack(entry);
      throw e;
    }
    let released = false;
    return {
      fh,
      release: () => {
        if (released) return;
        released = true;
        this.giveBack(entry);
      },
    };
  }

  private giveBack(entry: Entry): void {
    entry.borrowers--;
    if (entry.retired && entry.borrowers === 0) {
      this.lingering--;
      closeQuietly(entry);
    }
  }

  private evictOverflow(): void {
    for (const entry of this.entries.values()) {
      if (this.entries.size <= this.maxOpen) return;
      this.entries.delete(entry.path);
      this.retire(entry);
    }
  }

  private retire(entry: Entry): void {
    if (entry.retired) return;
    entry.retired = true;
    if (entry.borrowers === 0) closeQuietly(entry);
    else this.lingering++;
  }
}

function closeQuietly(entry: Entry): void {
  entry.handle.then((fh) => fh.close()).catch(() => undefined);
}
