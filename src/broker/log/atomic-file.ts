/** Durable small-file replacement: write a temp file, fsync it, rename over the target, fsync the dir. */
import fs from 'node:fs/promises';
import path from 'node:path';

export async function writeFileAtomic(target: string, data: string | Buffer): Promise<void> {
  const tmp = `${target}.tmp`;
  const fh = await fs.open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.rename(tmp, target);
  await fsyncDir(path.dirname(target));
}

/** Makes a create, rename or unlink in `dir` durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await fs.open(dir, 'r');
  try {
    await fh.sync();
  } catch (e) {
    // Some filesystems refuse fsync on directories; the entry is then as durable as they make it.
    if ((e as NodeJS.ErrnoException).code !== 'EINVAL' && (e as NodeJS.ErrnoException).code !== 'EISDIR') throw e;
  } finally {
    await fh.close();
  }
}
