/**
 * Topic names and deletion (issue 10): names are limited to 249 characters as in Kafka, so that
 * `<topic>-<partition>` and its deletion name always fit a file name; deletion renames first, a failed
 * rename is an error (never ignored), and a recreated topic never reuses old data.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { DeleteTopics } from '../../../src/protocol/messages/delete-topics.js';
import { LogManager } from '../../../src/broker/log/log-manager.js';
import type { ChildBroker } from '../child.js';
import { RawClient, assertServes, produceRaw, readAll, tempDir } from '../helpers.js';
import { namedBatch } from '../log/helpers.js';
import { createTopics, openDescriptors, startLimitedBroker, stopChild } from './limited-child.js';

const dirs: string[] = [];
let child: ChildBroker | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  if (child) await stopChild(child);
  child = undefined;
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function dataDir(): string {
  const d = tempDir();
  dirs.push(d);
  return d;
}

describe('topic names', () => {
  it('serves, deletes and recreates a 249-character topic; refuses 250 characters', async () => {
    const dir = dataDir();
    child = await startLimitedBroker(1024, ['--data-dir', dir]);
    const longest = 'n'.repeat(249);
    const c = await RawClient.connect(child);
    try {
      const [tooLong] = await createTopics(c, ['n'.repeat(250)]);
      expect(tooLong!.errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
      expect(tooLong!.errorMessage).toMatch(/250 characters; the limit is 249/);
      expect((await createTopics(c, [longest], 12))[0]!.errorCode).toBe(0);
      expect((await produceRaw(c, longest, 11, ['old data'])).errorCode).toBe(0);
      const del = await c.request(DeleteTopics, 4, { topicNames: [longest], topics: [], timeoutMs: 5000 });
      expect(del.responses[0]!.errorCode).toBe(0);
      expect(fs.readdirSync(dir).filter((n) => n.startsWith('nnnn'))).toEqual([]);
      expect((await createTopics(c, [longest], 12))[0]!.errorCode).toBe(0);
      expect(await readAll(child, longest, 11)).toEqual([]);
    } finally {
      c.close();
    }
    expect(await assertServes(child)).toEqual([longest]);
    expect(openDescriptors(child.child.pid!)).toBeLessThan(100);
  }, 60_000);
});

describe('deletion', () => {
  it('reports a failed rename as an error and never lets a recreated topic reuse the old data', async () => {
    const dir = dataDir();
    const logs = await LogManager.open(dir);
    try {
      await logs.createTopic('t', 1);
      await logs.partition('t', 0)!.append(namedBatch('old', 3));
      const rename = vi.spyOn(fsp, 'rename').mockRejectedValue(Object.assign(new Error('EBUSY: resource busy'), { code: 'EBUSY' }));
      await expect(logs.deleteTopic('t')).rejects.toMatchObject({ code: ErrorCode.KAFKA_STORAGE_ERROR, message: expect.stringMatching(/t-0 \(EBUSY\) could not be renamed/) });
      expect(logs.topic('t')).toBeUndefined();
      // The old directory is still there; a new topic of the name must not pick it up.
      expect(fs.existsSync(path.join(dir, 't-0', '00000000000000000000.log'))).toBe(true);
      await expect(logs.createTopic('t', 1)).rejects.toMatchObject({ code: ErrorCode.KAFKA_STORAGE_ERROR });
      expect(logs.topic('t')).toBeUndefined();
      rename.mockRestore();
      await logs.createTopic('t', 1);
      expect(logs.partition('t', 0)!.highWatermark).toBe(0n);
      expect(fs.statSync(path.join(dir, 't-0', '00000000000000000000.log')).size).toBe(0);
    } finally {
      await logs.close();
    }
  });
});
