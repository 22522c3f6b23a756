/**
 * A bounded set of open read-only file handles for inactive segments, least recently used first out.
 *
 * Reads borrow a handle (`acquire` → `release`); an evicted or invalidated handle is closed only once no
 * read holds it, so retention or topic deletion never closes a file under an in-flight read (on POSIX an
 * unlinked file stays readable through an open handle).
 */
import fs from 'node:fs/promises';

interface Entry {
  path: string;
  handle: Promise<fs.FileHandle>;
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

  constructor(readonly maxOpen: number = 256) {}

  async acquire(path: string): Promise<BorrowedHandle> {
    let entry = this.entries.get(path);
    if (entry) {
      this.entries.delete(path);
    } else {
      const created: Entry = { path, handle: fs.open(path, 'r'), borrowers: 0, retired: false };
      created.handle.catch(() => {
        if (this.entries.get(path) === created) this.entries.delete(path);
      });
      entry = created;
    }
    this.entries.set(path, entry);
    entry.borrowers++;
    this.evictOverflow();
    const held = entry;
    let fh: fs.FileHandle;
    try {
      fh = await held.handle;
    } catch (e) {
      held.borrowers--;
      throw e;
    }
    let released = false;
    return {
      fh,
      release: () => {
        if (released) return;
        released = true;
        held.borrowers--;
        if (held.retired && held.borrowers === 0) closeQuietly(held);
      },
    };
  }

  /** Closes the handle of a file being deleted or truncated (after its current readers finish). */
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

  get size(): number {
    return this.entries.size;
  }

  private evictOverflow(): void {
    for (const entry of this.entries.values()) {
      if (this.entries.size <= this.maxOpen) return;
      this.entries.delete(entry.path);
      this.retire(entry);
    }
  }

  private retire(entry: Entry): void {
    entry.retired = true;
    if (entry.borrowers === 0) closeQuietly(entry);
  }
}

function closeQuietly(entry: Entry): void {
  entry.handle.then((fh) => fh.close()).catch(() => undefined);
}
