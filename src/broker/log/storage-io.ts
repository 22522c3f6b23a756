/**
 * The few file operations the write path performs, behind a seam so tests can inject a full disk or an
 * I/O error at an exact point (e.g. a write that stores half its bytes, then fails with ENOSPC).
 */
import type { FileHandle } from 'node:fs/promises';

export interface StorageIo {
  /** Writes all of `buf` at `position` (looping over short writes). */
  write(fh: FileHandle, buf: Buffer, position: number): Promise<void>;
  truncate(fh: FileHandle, length: number): Promise<void>;
  sync(fh: FileHandle): Promise<void>;
}

export const nodeStorageIo: StorageIo = {
  async write(fh, buf, position) {
    let done = 0;
    while (done < buf.length) {
      const { bytesWritten } = await fh.write(buf, done, buf.length - done, position + done);
      done += bytesWritten;
    }
  },
  truncate: (fh, length) => fh.truncate(length),
  sync: (fh) => fh.datasync(),
};

/**
 * Reads exactly `length` bytes at `position` into a buffer from `allocate` (a new one by default), or fewer if
 * the file ends first.
 */
export async function readExactly(fh: FileHandle, position: number, length: number, allocate: (n: number) => Buffer = Buffer.allocUnsafe): Promise<Buffer> {
  const buf = allocate(length);
  const done = await readInto(fh, buf, position, length);
  return done === length ? buf : buf.subarray(0, done);
}

/** Reads into `buf[0..length)` at `position`; returns the bytes actually read (short at end of file). */
export async function readInto(fh: FileHandle, buf: Buffer, position: number, length: number): Promise<number> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}
