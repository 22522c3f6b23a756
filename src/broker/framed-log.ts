/**
 * A small append-only metadata log: frames of `[int32 length][uint32 crc32c(payload)][payload]`.
 *
 * Used for state that is tiny next to the data logs (the topic catalog, committed offsets, producer ids).
 * Loading (at start-up) is synchronous: it stops at the first frame whose length or CRC is wrong and
 * truncates the file there (a torn tail from a crash).
 *
 * While the broker runs nothing here blocks the event loop: appends are queued and written by the thread
 * pool, and every append queued while a write is in flight goes out with the next single write — and one
 * fsync when any of them asked for it — so a burst of changes costs a few syncs, not one each (group
 * commit). An append's promise resolves once its bytes are in the page cache (and on disk when synced); a
 * failed write (a full disk) is cut off again, so later frames stay readable, and rejects every append it
 * carried. Compaction (`rewrite`) runs in the same queue: it writes the live entries to a temporary file,
 * fsyncs it and renames it over the log, so a crash mid-compaction leaves either the old or the new file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { crc32c } from '@node-rs/crc32';

export const FRAME_HEADER_SIZE = 8;
/** Frames larger than this are treated as corruption rather than trusted (a garbage length field). */
const MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** Looked up on every call (not bound once), so tests can inject a failing write. */
function writeAsync(fd: number, buf: Buffer, offset: number, length: number): Promise<number> {
  return new Promise((resolve, reject) => fs.write(fd, buf, offset, length, null, (err, n) => (err ? reject(err) : resolve(n))));
}
const fsyncAsync = promisify(fs.fsync);
const fdatasyncAsync = promisify(fs.fdatasync);
const ftruncateAsync = promisify(fs.ftruncate);
const closeAsync = promisify(fs.close);
const openAsync = promisify(fs.open) as (file: string, flags: string) => Promise<number>;

export interface FramedLogLoad {
  log: FramedLog;
  /** Payloads of every intact frame, in order (subarrays of one buffer read from disk). */
  payloads: Buffer[];
  /** Bytes dropped from the tail because a frame was torn or corrupt; 0 for a clean file. */
  truncatedBytes: number;
}

export interface FramedLogOptions {
  /** fsync after every append (durable across power loss). Default false: page cache only. */
  fsync?: boolean;
}

/** Appends that go out with one write. */
interface Batch {
  frames: Buffer[];
  sync: boolean;
  waiters: { resolve: () => void; reject: (e: unknown) => void }[];
}

export class FramedLog {
  private fd: number;
  private bytes: number;
  /** Appended since the last fsync. */
  private dirty = false;
  /** Writes, syncs and rewrites, one at a time, in call order. */
  private queue: Promise<void> = Promise.resolve();
  /** The batch later appends join until its write starts. */
  private filling: Batch | undefined;
  /** Writes and fsyncs performed (tests check that bursts are batched). */
  readonly stats = { writes: 0, syncs: 0, rewrites: 0 };

  private constructor(
    readonly file: string,
    fd: number,
    bytes: number,
    private readonly fsyncEvery: boolean,
  ) {
    this.fd = fd;
    this.bytes = bytes;
  }

  /** Opens (creating if needed) the log at `file`, reads every intact frame and truncates a bad tail. */
  static open(file: string, options: FramedLogOptions = {}): FramedLogLoad {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // A leftover temporary file means a compaction died before its rename; the original is still whole.
    fs.rmSync(`${file}.compact`, { force: true });
    const data = fs.existsSync(file) ? fs.readFileSync(file) : Buffer.alloc(0);
    const payloads: Buffer[] = [];
    let pos = 0;
    while (pos + FRAME_HEADER_SIZE <= data.length) {
      const length = data.readInt32BE(pos);
      if (length < 0 || length > MAX_FRAME_BYTES || pos + FRAME_HEADER_SIZE + length > data.length) break;
      const payload = data.subarray(pos + FRAME_HEADER_SIZE, pos + FRAME_HEADER_SIZE + length);
      if ((crc32c(payload) >>> 0) !== data.readUInt32BE(pos + 4)) break;
      payloads.push(payload);
      pos += FRAME_HEADER_SIZE + length;
    }
    const truncatedBytes = data.length - pos;
    if (truncatedBytes > 0) fs.truncateSync(file, pos);
    const fd = fs.openSync(file, 'a');
    return { log: new FramedLog(file, fd, pos, options.fsync ?? false), payloads, truncatedBytes };
  }

  /** Size of the file in bytes (appends still queued not counted). */
  get sizeBytes(): number {
    return this.bytes;
  }

  /**
   * Queues one frame per payload; resolves once they are written (and fsynced when `sync`, or when the log
   * was opened with fsync). Appends made while a write is in flight share the next write and fsync.
   */
  append(payloads: Buffer | readonly Buffer[], sync = this.fsyncEvery): Promise<void> {
    if (this.fd < 0) return Promise.reject(new Error(`${this.file} is closed`));
    const list = Buffer.isBuffer(payloads) ? [payloads] : payloads;
    let batch = this.filling;
    if (batch === undefined) {
      const fresh: Batch = { frames: [], sync: false, waiters: [] };
      batch = this.filling = fresh;
      this.enqueue(() => this.writeBatch(fresh));
    }
    for (const p of list) batch.frames.push(frame(p));
    batch.sync ||= sync;
    return new Promise((resolve, reject) => batch.waiters.push({ resolve, reject }));
  }

  /**
   * Replaces the whole log with the payloads `live()` returns when the rewrite runs, after every append
   * queued before it (so `live` must describe the state those appends already produced). Appends made after
   * this call go to the new file.
   */
  rewrite(live: () => Buffer[]): Promise<void> {
    this.filling = undefined;
    return this.enqueue(async () => {
      const buf = Buffer.concat(live().map(frame));
      const tmp = `${this.file}.compact`;
      const tfd = await openAsync(tmp, 'w');
      try {
        await writeFully(tfd, buf);
        await fsyncAsync(tfd);
      } finally {
        await closeAsync(tfd);
      }
      await fs.promises.rename(tmp, this.file);
      await syncDirectory(path.dirname(this.file));
      const old = this.fd;
      this.fd = await openAsync(this.file, 'a');
      await closeAsync(old).catch(() => undefined);
      this.bytes = buf.length;
      this.dirty = false;
      this.stats.rewrites++;
    });
  }

  /** Synchronous rewrite, for start-up and shutdown only (nothing else is queued then). */
  rewriteSync(payloads: readonly Buffer[]): void {
    const buf = Buffer.concat(payloads.map(frame));
    const tmp = `${this.file}.compact`;
    const tfd = fs.openSync(tmp, 'w');
    try {
      let written = 0;
      while (written < buf.length) written += fs.writeSync(tfd, buf, written, buf.length - written);
      fs.fsyncSync(tfd);
    } finally {
      fs.closeSync(tfd);
    }
    fs.closeSync(this.fd);
    fs.renameSync(tmp, this.file);
    syncDirectorySync(path.dirname(this.file));
    this.fd = fs.openSync(this.file, 'a');
    this.bytes = buf.length;
    this.dirty = false;
  }

  /** fsync if anything was appended since the last one (after the appends queued so far). */
  flush(): Promise<void> {
    return this.enqueue(async () => {
      if (!this.dirty || this.fd < 0) return;
      this.dirty = false;
      await fdatasyncAsync(this.fd);
      this.stats.syncs++;
    });
  }

  /** Writes what is queued, fsyncs and closes. Appends after this are refused. */
  close(): Promise<void> {
    this.filling = undefined;
    const done = this.enqueue(async () => {
      if (this.fd < 0) return;
      const fd = this.fd;
      this.fd = -1;
      try {
        await fsyncAsync(fd);
      } finally {
        await closeAsync(fd);
      }
    });
    return done;
  }

  /** Synchronous close, for start-up and shutdown only (nothing queued). */
  closeSync(): void {
    if (this.fd < 0) return;
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.fd = -1;
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.queue.then(step);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async writeBatch(batch: Batch): Promise<void> {
    if (this.filling === batch) this.filling = undefined;
    const buf = batch.frames.length === 1 ? batch.frames[0]! : Buffer.concat(batch.frames);
    try {
      if (this.fd < 0) throw new Error(`${this.file} is closed`);
      try {
        await writeFully(this.fd, buf);
        this.stats.writes++;
      } catch (error) {
        // A torn frame left in place would end every later load there, losing the frames appended after it.
        await ftruncateAsync(this.fd, this.bytes).catch(() => undefined); // else the next open truncates it
        throw error;
      }
      this.bytes += buf.length;
      this.dirty = true;
      if (batch.sync) {
        this.dirty = false;
        await fdatasyncAsync(this.fd);
        this.stats.syncs++;
      }
    } catch (error) {
      for (const w of batch.waiters) w.reject(error);
      return;
    }
    for (const w of batch.waiters) w.resolve();
  }
}

async function writeFully(fd: number, buf: Buffer): Promise<void> {
  let written = 0;
  while (written < buf.length) written += await writeAsync(fd, buf, written, buf.length - written);
}

function frame(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_SIZE + payload.length);
  out.writeInt32BE(payload.length, 0);
  out.writeUInt32BE(crc32c(payload) >>> 0, 4);
  payload.copy(out, FRAME_HEADER_SIZE);
  return out;
}

async function syncDirectory(dir: string): Promise<void> {
  try {
    const dfd = await openAsync(dir, 'r');
    try {
      await fsyncAsync(dfd);
    } finally {
      await closeAsync(dfd);
    }
  } catch {
    // Some platforms cannot fsync a directory; the rename itself is still atomic.
  }
}

function syncDirectorySync(dir: string): void {
  try {
    const dfd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  } catch {
    // Some platforms cannot fsync a directory; the rename itself is still atomic.
  }
}
