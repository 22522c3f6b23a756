/**
 * A small append-only file of framed entries `[int32 length][uint32 crc32c][payload]`, for broker metadata
 * (the topic catalog, committed group offsets). On load, frames are read up to the first one that is torn
 * or fails its CRC, and the file is truncated there (a crash mid-append loses only that entry). `rewrite`
 * compacts it atomically: temp file, fsync, rename, fsync the directory.
 */
import fs from 'node:fs/promises';
import { crc32c } from '@node-rs/crc32';
import { fsyncDir, writeFileAtomic } from './log/atomic-file.js';
import path from 'node:path';

const FRAME_HEADER = 8;

export function encodeFrame(payload: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER + payload.length);
  frame.writeInt32BE(payload.length, 0);
  frame.writeUInt32BE(crc32c(payload) >>> 0, 4);
  payload.copy(frame, FRAME_HEADER);
  return frame;
}

/** The payloads of the valid frames at the start of `data`, and where they end. */
export function decodeFrames(data: Buffer): { payloads: Buffer[]; validLength: number } {
  const payloads: Buffer[] = [];
  let pos = 0;
  while (data.length - pos >= FRAME_HEADER) {
    const length = data.readInt32BE(pos);
    if (length < 0 || pos + FRAME_HEADER + length > data.length) break;
    const payload = data.subarray(pos + FRAME_HEADER, pos + FRAME_HEADER + length);
    if ((crc32c(payload) >>> 0) !== data.readUInt32BE(pos + 4)) break;
    payloads.push(payload);
    pos += FRAME_HEADER + length;
  }
  return { payloads, validLength: pos };
}

export class FramedLog {
  private constructor(
    readonly path: string,
    private fh: fs.FileHandle,
    private size: number,
  ) {}

  /** Opens (creating) the file; returns the valid entries and truncates anything after them. */
  static async open(file: string): Promise<{ log: FramedLog; entries: Buffer[]; truncatedBytes: number }> {
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.rm(`${file}.tmp`, { force: true });
    let data: Buffer;
    try {
      data = await fs.readFile(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      data = Buffer.alloc(0);
    }
    const { payloads, validLength } = decodeFrames(data);
    const fh = await fs.open(file, data.length === 0 ? 'w+' : 'r+');
    if (validLength < data.length) {
      await fh.truncate(validLength);
      await fh.sync();
    }
    if (data.length === 0) await fsyncDir(path.dirname(file));
    return { log: new FramedLog(file, fh, validLength), entries: payloads.map((p) => Buffer.from(p)), truncatedBytes: data.length - validLength };
  }

  /** Appends one entry durably (fsync before resolving). */
  async append(payload: Buffer): Promise<void> {
    const frame = encodeFrame(payload);
    let done = 0;
    try {
      while (done < frame.length) done += (await this.fh.write(frame, done, frame.length - done, this.size + done)).bytesWritten;
      await this.fh.sync();
    } catch (e) {
      await this.fh.truncate(this.size).catch(() => undefined);
      throw e;
    }
    this.size += frame.length;
  }

  /** Replaces the whole file with `payloads`, atomically. */
  async rewrite(payloads: readonly Buffer[]): Promise<void> {
    await this.fh.close();
    await writeFileAtomic(this.path, Buffer.concat(payloads.map(encodeFrame)));
    this.fh = await fs.open(this.path, 'r+');
    this.size = (await this.fh.stat()).size;
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}
