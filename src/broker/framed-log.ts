/**
 * A small append-only metadata log: frames of `[int32 length][uint32 crc32c(payload)][payload]`.
 *
 * Used for state that is tiny next to the data logs (the topic catalog, committed offsets, producer ids).
 * Writes are synchronous
 * `write(2)` calls into the page cache, so an acknowledged entry survives a killed process; `fsync: true`
 * also forces it to disk. A failed append (a full disk) is cut off again, so later frames stay readable. Loading stops at the first frame whose length or CRC is wrong and truncates the
 * file there (a torn tail from a crash). Compaction rewrites the live entries to a temporary file, fsyncs
 * it and renames it over the log, so a crash mid-compaction leaves either the old or the new file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { crc32c } from '@node-rs/crc32';

export const FRAME_HEADER_SIZE = 8;
/** Frames larger than this are treated as corruption rather than trusted (a garbage length field). */
const MAX_FRAME_BYTES = 64 * 1024 * 1024;

export interface FramedLogLoad {
  log: FramedLog;
  /** Payloads of every intact frame, in order (subarrays of one buffer read from disk). */
  payloads: Buffer[];
  /** Bytes dropped from the tail because a frame was torn or corrupt; 0 for a clean file. */
  truncatedBytes: number;
}

export interface FramedLogOptions {
  /** fsync after every append (durable across power loss, slower). Default false: page cache only. */
  fsync?: boolean;
}

export class FramedLog {
  private fd: number;
  private bytes: number;
  /** Appended since the last fsync. */
  private dirty = false;

  private constructor(
    readonly file: string,
    fd: number,
    bytes: number,
    private readonly fsync: boolean,
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

  /** Size of the file in bytes. */
  get sizeBytes(): number {
    return this.bytes;
  }

  /** Appends one frame per payload with a single write; returns once the bytes are in the page cache. */
  append(...payloads: Buffer[]): void {
    const chunks = payloads.map(frame);
    const buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    try {
      let written = 0;
      while (written < buf.length) written += fs.writeSync(this.fd, buf, written, buf.length - written);
      if (this.fsync) fs.fsyncSync(this.fd);
    } catch (error) {
      // A torn frame left in place would end every later load there, losing the frames appended after it.
      try {
        fs.ftruncateSync(this.fd, this.bytes);
      } catch {
        // the next open truncates the torn frame instead
      }
      throw error;
    }
    this.bytes += buf.length;
    if (!this.fsync) this.dirty = true;
  }

  /** Replaces the whole log with `payloads` (compaction): temp file, fsync, rename, fsync the directory. */
  rewrite(payloads: Buffer[]): void {
    const tmp = `${this.file}.compact`;
    const chunks = payloads.map(frame);
    const buf = Buffer.concat(chunks);
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
    syncDirectory(path.dirname(this.file));
    this.fd = fs.openSync(this.file, 'a');
    this.bytes = buf.length;
    this.dirty = false;
  }

  /** fsync if anything was appended since the last one. */
  flush(): void {
    if (!this.dirty || this.fd < 0) return;
    fs.fsyncSync(this.fd);
    this.dirty = false;
  }

  close(): void {
    if (this.fd < 0) return;
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.fd = -1;
  }
}

function frame(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_SIZE + payload.length);
  out.writeInt32BE(payload.length, 0);
  out.writeUInt32BE(crc32c(payload) >>> 0, 4);
  payload.copy(out, FRAME_HEADER_SIZE);
  return out;
}

function syncDirectory(dir: string): void {
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
