/**
 * The PartitionLog methods that partition-log.test.ts reaches only through others: the ListOffsets bounds,
 * topic config changes, flush, and the three ways a partition's files are let go (close, abandon as a crash
 * would, deleteFiles for topic deletion). Real files in a temp dir, reopened through LogManager.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogManager } from '../../../src/broker/log/log-manager.js';
import { within } from '../../until.js';
import { namedBatch, readAll, removeDir, tempDir } from './helpers.js';

let dir: string;
let managers: LogManager[] = [];
beforeEach(() => {
  dir = tempDir();
});
afterEach(async () => {
  for (const m of managers) await m.close().catch(() => undefined);
  managers = [];
  removeDir(dir);
});

async function open(config: Parameters<typeof LogManager.open>[1] = {}): Promise<LogManager> {
  const logs = await LogManager.open(dir, config);
  managers.push(logs);
  return logs;
}

async function openTopic(config: Parameters<typeof LogManager.open>[1] = {}) {
  const logs = await open(config);
  await logs.createTopic('t', 1);
  return { logs, log: logs.partition('t', 0)! };
}

// A partition that has never moved its recovery point has no state file yet: that reads as recovery point 0.
const recoveryPoint = (): string => {
  const file = path.join(dir, 't-0', 'partition-state.json');
  if (!fs.existsSync(file)) return '0';
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { recoveryPoint: string }).recoveryPoint;
};

describe('PartitionLog bounds and lifecycle', () => {
  it('earliestOffset, latestOffset and logEndOffset follow appends and DeleteRecords', async () => {
    const { log } = await openTopic({ segmentBytes: 300 });
    expect([log.earliestOffset(), log.latestOffset(), log.logEndOffset]).toEqual([0n, 0n, 0n]);
    for (let i = 0; i < 10; i++) await log.append(namedBatch(`b${i}`, 2, { pad: 20 }));
    expect([log.earliestOffset(), log.latestOffset(), log.logEndOffset]).toEqual([0n, 20n, 20n]);
    await log.deleteRecordsBefore(7n);
    expect([log.earliestOffset(), log.latestOffset(), log.logEndOffset]).toEqual([7n, 20n, 20n]);
    expect(log.logStartOffset).toBe(7n);
  });

  it('setConfig applies to the next append: a smaller segment.bytes rolls at once', async () => {
    const { log } = await openTopic();
    for (let i = 0; i < 4; i++) await log.append(namedBatch(`a${i}`, 1, { pad: 100 }));
    expect(log.segmentCount).toBe(1);
    log.setConfig({ ...log.config, segmentBytes: 200 });
    expect(log.config.segmentBytes).toBe(200);
    await log.append(namedBatch('small', 1, { pad: 100 }));
    await log.append(namedBatch('small2', 1, { pad: 100 }));
    expect(log.segmentCount).toBeGreaterThanOrEqual(2);
    expect((await readAll(log, 0n)).map(([o]) => o)).toEqual([0n, 1n, 2n, 3n, 4n, 5n]);
  });

  it('flush moves the recovery point to the end, and the data survives a crash after it', async () => {
    const { logs, log } = await openTopic();
    for (let i = 0; i < 5; i++) await log.append(namedBatch(`f${i}`, 2));
    expect(recoveryPoint()).toBe('0');
    await log.flush();
    expect(recoveryPoint()).toBe('10');
    await logs.abandon();
    const again = (await open()).partition('t', 0)!;
    expect(again.highWatermark).toBe(10n);
    expect((await readAll(again, 0n)).length).toBe(10);
  });

  it('abandon, like a crash, leaves the recovery point behind: the next open recovers every appended batch', async () => {
    const { logs, log } = await openTopic();
    for (let i = 0; i < 5; i++) await log.append(namedBatch(`c${i}`, 2));
    const waiting = log.waitForData(10n); // nothing will come: abandoning must release it
    await log.abandon();
    await within(waiting, 'abandon to release a parked waitForData');
    expect(recoveryPoint()).toBe('0');
    await logs.abandon();
    const again = (await open()).partition('t', 0)!;
    expect(again.loadStats.recoveredSegments).toBe(1);
    expect((await readAll(again, 0n)).map(([, v]) => v)).toEqual([0, 1, 2, 3, 4].flatMap((i) => [`c${i}-0`, `c${i}-1`]));
  });

  it('close releases waiters, checkpoints the end and can be called twice', async () => {
    const { log } = await openTopic();
    await log.append(namedBatch('x', 3));
    const waiting = log.waitForData(3n);
    await log.close();
    await within(waiting, 'close to release a parked waitForData');
    await log.close();
    expect(recoveryPoint()).toBe('3');
  });

  it('closeForDeletion closes the files and releases waiters, leaving removal to the log manager', async () => {
    const { log } = await openTopic();
    await log.append(namedBatch('d', 3));
    const waiting = log.waitForData(3n);
    await log.closeForDeletion();
    await within(waiting, 'closeForDeletion to release a parked waitForData');
    await expect(log.append(namedBatch('e', 1))).rejects.toThrow();
  });
});
