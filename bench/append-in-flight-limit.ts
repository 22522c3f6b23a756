/**
 * The "two writes in flight" file-append limit: what one partition's log can do on this machine when it
 * keeps two positional writes queued on the thread pool, as the broker's log does (src/broker/log/
 * partition-log.ts, MAX_WRITES_IN_FLIGHT). The single-producer broker produce row is compared with it.
 *
 * Same shape as the broker's append path: one file, 1 MiB chunks at consecutive reserved positions, the
 * next write started as soon as one of the two completes, no fsync. The chunk memory is allocated and
 * touched before timing starts, so the figure is the write path, not first-touch page faults on our side.
 * The written file's pages are the page cache's: whether they are cold (memory the VM's balloon took back)
 * or warm is the caller's to arrange (bench/limits.ts measures both).
 *
 *   tsx bench/append-in-flight-limit.ts [MiB]   prints one JSON line (a quick look; default 512 MiB)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MiB = 1024 * 1024;

export interface AppendLimit {
  /** Megabytes (10^6 bytes) per second of wall time. */
  mbps: number;
  /** CPU seconds (user + system, every thread of this process: the thread pool's writes included). */
  cpuSeconds: number;
  /** Bytes written. */
  bytes: number;
  /** Writes in flight at once. */
  inFlight: number;
}

/**
 * Appends `totalBytes` to a fresh file in `dir` with `inFlight` (default 2) positional writes of
 * `chunkBytes` (default 1 MiB) in flight, then removes the file.
 */
export async function measureAppendTwoInFlight(dir: string, totalBytes = 1024 * MiB, options: { chunkBytes?: number; inFlight?: number } = {}): Promise<AppendLimit> {
  const chunkBytes = options.chunkBytes ?? MiB;
  const inFlight = options.inFlight ?? 2;
  const file = path.join(dir, `append-in-flight-${process.pid}.tmp`);
  // One buffer per write in flight, as the broker holds one request's memory per write.
  const chunks = Array.from({ length: inFlight }, (_, i) => Buffer.alloc(chunkBytes, 7 + i));
  const fh = await fs.promises.open(file, 'w');
  try {
    const cpuBefore = process.cpuUsage();
    const started = process.hrtime.bigint();
    let next = 0;
    const writer = async (chunk: Buffer): Promise<void> => {
      // Reserve the position synchronously, then write there: the order of reservations is the file's order.
      for (let position = next; position < totalBytes; position = next) {
        const length = Math.min(chunk.length, totalBytes - position);
        next = position + length;
        let done = 0;
        while (done < length) done += (await fh.write(chunk, done, length - done, position + done)).bytesWritten;
      }
    };
    await Promise.all(chunks.map((chunk) => writer(chunk)));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpuBefore);
    return { mbps: totalBytes / 1e6 / seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, bytes: totalBytes, inFlight };
  } finally {
    await fh.close();
    await fs.promises.rm(file, { force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const mib = Number(process.argv[2] ?? 512);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kq-append-'));
  try {
    const two = await measureAppendTwoInFlight(dir, mib * MiB);
    const one = await measureAppendTwoInFlight(dir, mib * MiB, { inFlight: 1 });
    console.log(JSON.stringify({ twoInFlight: two, oneInFlight: one }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
