import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogManager } from '../../../src/broker/log/log-manager.js';
import { nodeStorageIo, type StorageIo } from '../../../src/broker/log/storage-io.js';
import { namedBatch, removeDir, tempDir } from './helpers.js';
import { until } from '../../until.js';

let dir: string;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => removeDir(dir));

/** The real io, except that the first fsync after `hold()` waits until `release()`. */
function gatedSync() {
  let armed = false;
  let entered = false;
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const io: StorageIo = {
    ...nodeStorageIo,
    async sync(fh) {
      if (armed) {
        armed = false;
        entered = true;
        await gate;
      }
      return nodeStorageIo.sync(fh);
    },
  };
  return { io, hold: () => (armed = true), entered: () => entered, release: () => open() };
}

describe('retention while a rolled segment is still being sealed', () => {
  it('deletes the segment only after its background seal, so close reports no error and no file comes back', async () => {
    const { io, hold, entered, release } = gatedSync();
    const logs = await LogManager.open(dir, { segmentBytes: 4096 }, { io });
    await logs.createTopic('t', 1);
    const log = logs.partition('t', 0)!;
    await log.append(namedBatch('a', 4, { pad: 700 }));
    hold();
    // This append does not fit: the segment rolls and the old one is sealed in the background (held at fsync).
    await log.append(namedBatch('b', 4, { pad: 700 }));
    await until(() => entered(), 'the background seal to reach its fsync');
    // Another roll: the second segment's seal queues behind the held one.
    await log.append(namedBatch('c', 4, { pad: 700 }));
    const deleting = log.deleteRecordsBefore(8n);
    release();
    expect(await deleting).toBe(8n);
    await log.close();
    const files = fs.readdirSync(path.join(dir, 't-0')).filter((f) => /^0+[04]\./.test(f));
    expect(files).toEqual([]);
    await logs.close();
  });
});
