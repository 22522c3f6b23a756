import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogManager } from '../../../src/broker/log/log-manager.js';
import type { LogConfig } from '../../../src/broker/log/log-config.js';
import { batch, decodeAll, namedBatch, readAll, removeDir, tempDir } from './helpers.js';

let dir: string;
const open: LogManager[] = [];

beforeEach(() => {
  dir = tempDir();
});
afterEach(async () => {
  for (const m of open.splice(0)) await m.close().catch(() => undefined);
  removeDir(dir);
});

const small: Partial<LogConfig> = { segmentBytes: 2048, indexIntervalBytes: 128 };

/** Appends `batches` batches of 3 records and "crashes": the manager is dropped without close(). */
async function writeAndCrash(batches: number, config: Partial<LogConfig> = small): Promise<Array<[bigint, string]>> {
  const logs = await LogManager.open(dir, config);
  await logs.createTopic('t', 1);
  const log = logs.partition('t', 0)!;
  for (let i = 0; i < batches; i++) await log.append(namedBatch(`r${i}`, 3, { baseTimestamp: 1000 + i, pad: 10 }));
  const all = await readAll(log, 0n);
  await logs.abandon();
  return all;
}

async function reopen(config: Partial<LogConfig> = small): Promise<LogManager> {
  const logs = await LogManager.open(dir, config);
  open.push(logs);
  return logs;
}

const partDir = (): string => path.join(dir, 't-0');
const logFiles = (): string[] => fs.readdirSync(partDir()).filter((n) => n.endsWith('.log')).sort();
const lastLog = (): string => path.join(partDir(), logFiles().at(-1)!);

function flipByte(file: string, fromEnd: number): void {
  const buf = fs.readFileSync(file);
  const at = buf.length - fromEnd;
  buf.writeUInt8(buf.readUInt8(at) ^ 0x5a, at);
  fs.writeFileSync(file, buf);
}

/** Byte positions of the batches in a log file. */
function batchStarts(file: string): number[] {
  const buf = fs.readFileSync(file);
  const starts: number[] = [];
  for (let pos = 0; pos + 12 <= buf.length; pos += buf.readInt32BE(pos + 8) + 12) starts.push(pos);
  return starts;
}

describe('recovery after a crash', () => {
  it('truncates a torn tail (file cut mid-batch) and appends after it', async () => {
    const before = await writeAndCrash(40);
    const file = lastLog();
    const starts = batchStarts(file);
    const lastStart = starts.at(-1)!;
    fs.truncateSync(file, lastStart + 30);
    const logs = await reopen();
    expect(logs.openedClean).toBe(false);
    const log = logs.partition('t', 0)!;
    expect(log.loadStats.truncatedBytes).toBe(30);
    expect(fs.statSync(file).size).toBe(lastStart);
    const expected = before.slice(0, -3);
    expect(log.highWatermark).toBe(BigInt(expected.length));
    expect(await readAll(log, 0n)).toEqual(expected);
    const r = await log.append(namedBatch('new', 2));
    expect(r.baseOffset).toBe(BigInt(expected.length));
    expect((await readAll(log, 0n)).slice(-2).map(([, v]) => v)).toEqual(['new-0', 'new-1']);
  });

  it('drops a last batch with a corrupt byte instead of serving it', async () => {
    const before = await writeAndCrash(40);
    flipByte(lastLog(), 5);
    const log = (await reopen()).partition('t', 0)!;
    expect(await readAll(log, 0n)).toEqual(before.slice(0, -3));
  });

  it('cuts garbage after the last batch', async () => {
    const before = await writeAndCrash(10);
    fs.appendFileSync(lastLog(), Buffer.from('this is not a record batch, just bytes that landed after one'));
    const log = (await reopen()).partition('t', 0)!;
    expect(await readAll(log, 0n)).toEqual(before);
    expect(log.loadStats.truncatedBytes).toBeGreaterThan(0);
    await log.append(namedBatch('g', 1));
    expect((await readAll(log, 0n)).length).toBe(before.length + 1);
  });

  it('truncates at a corrupt batch in an older segment and deletes every later segment', async () => {
    const before = await writeAndCrash(60);
    const files = logFiles();
    expect(files.length).toBeGreaterThan(3);
    fs.rmSync(path.join(partDir(), 'partition-state.json')); // unknown recovery point: validate everything
    const victim = path.join(partDir(), files[2]!);
    const starts = batchStarts(victim);
    const bad = starts[1]!;
    const buf = fs.readFileSync(victim);
    buf.writeUInt8(buf.readUInt8(bad + 70) ^ 1, bad + 70);
    fs.writeFileSync(victim, buf);
    const firstOffsetOfBad = buf.readBigInt64BE(bad);
    const log = (await reopen()).partition('t', 0)!;
    expect(logFiles()).toEqual(files.slice(0, 3));
    expect(log.highWatermark).toBe(firstOffsetOfBad);
    expect(await readAll(log, 0n)).toEqual(before.slice(0, Number(firstOffsetOfBad)));
  });

  it('rebuilds missing and corrupt indexes, also after a clean shutdown', async () => {
    const logs = await LogManager.open(dir, small);
    await logs.createTopic('t', 1);
    for (let i = 0; i < 80; i++) await logs.partition('t', 0)!.append(batch(['a', 'b'], { baseTimestamp: 1000 + 10 * i, tsDeltas: [0, 5] }));
    const expected = await readAll(logs.partition('t', 0)!, 0n);
    await logs.close();
    const stems = logFiles().map((n) => n.slice(0, -4));
    fs.rmSync(path.join(partDir(), `${stems[1]}.index`));
    fs.writeFileSync(path.join(partDir(), `${stems[2]}.index`), Buffer.alloc(24, 0xff)); // positions past the log
    fs.writeFileSync(path.join(partDir(), `${stems[3]}.timeindex`), Buffer.alloc(30, 0x01)); // not a whole entry count
    const again = await reopen();
    expect(again.openedClean).toBe(true);
    const log = again.partition('t', 0)!;
    expect(log.loadStats.recoveredSegments).toBe(3); // just the three with bad indexes
    expect(await readAll(log, 0n, 100)).toEqual(expected);
    for (let o = 0n; o < log.highWatermark; o += 3n) expect(decodeAll((await log.read(o, 1)).records).some(([x]) => x === o)).toBe(true);
    expect((await log.offsetForTimestamp(1405n))?.offset).toBe(81n);
    expect(fs.statSync(path.join(partDir(), `${stems[1]}.index`)).size % 8).toBe(0);
  });

  it('skips validation after a clean shutdown and validates without the marker', async () => {
    const logs = await LogManager.open(dir, {});
    await logs.createTopic('t', 1);
    for (let i = 0; i < 5; i++) await logs.partition('t', 0)!.append(namedBatch(`c${i}`, 2));
    await logs.close();
    // Damage a record inside the first batch: only a CRC check can notice.
    const file = lastLog();
    const buf = fs.readFileSync(file);
    buf.writeUInt8(buf.readUInt8(65) ^ 0x20, 65);
    fs.writeFileSync(file, buf);
    const clean = await reopen({});
    expect(clean.partition('t', 0)!.loadStats.recoveredSegments).toBe(0);
    expect(clean.partition('t', 0)!.highWatermark).toBe(10n); // served as stored: no validation ran
    // Simulate a crash of this run: no close, so no marker.
    await open.pop()!.abandon();
    const crashed = await reopen({});
    const log = crashed.partition('t', 0)!;
    expect(log.loadStats.recoveredSegments).toBe(1);
    expect(log.highWatermark).toBe(0n);
  });

  it('recovers batches larger than the 8 MiB read block, and cuts a torn one', async () => {
    const cfg = { maxMessageBytes: 20 * 1024 * 1024 };
    const logs = await LogManager.open(dir, cfg);
    await logs.createTopic('t', 1);
    const log = logs.partition('t', 0)!;
    await log.append(namedBatch('s', 2));
    await log.append(batch(['x'.repeat(9 * 1024 * 1024)]));
    await log.append(namedBatch('m', 2));
    await log.append(batch(['y'.repeat(10 * 1024 * 1024)]));
    await logs.abandon();
    fs.truncateSync(lastLog(), fs.statSync(lastLog()).size - 1000);
    const again = (await reopen(cfg)).partition('t', 0)!;
    const got = await readAll(again, 0n, 1024);
    expect(got.map(([o, v]) => `${o}:${v.length}`)).toEqual(['0:3', '1:3', `2:${9 * 1024 * 1024}`, '3:3', '4:3']);
  });

  it('removes an empty data dir leftover state: temp files and orphan indexes', async () => {
    await writeAndCrash(3);
    fs.writeFileSync(path.join(partDir(), '00000000000000099999.index'), Buffer.alloc(8));
    fs.writeFileSync(path.join(partDir(), 'partition-state.json.tmp'), 'x');
    const log = (await reopen()).partition('t', 0)!;
    expect(log.highWatermark).toBe(9n);
    expect(fs.readdirSync(partDir()).filter((n) => n.includes('99999') || n.endsWith('.tmp'))).toEqual([]);
  });
});
