import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { coalescedAppend } from '../../src/broker/append-coalescer.js';
import { LogManager } from '../../src/broker/log/log-manager.js';
import { decodeRecordBatches, encodeRecordBatch } from '../../src/protocol/records.js';
import { tempDir } from './helpers.js';

let logs: LogManager | undefined;
let dir: string | undefined;
afterEach(async () => {
  await logs?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function partition() {
  dir = tempDir();
  logs = await LogManager.open(dir, {});
  await logs.createTopic('t', 1, {});
  return logs.partition('t', 0)!;
}

const batch = (values: string[]) => encodeRecordBatch({ records: values.map((v) => ({ key: null, value: Buffer.from(v) })) });

describe('coalescedAppend', () => {
  it('appends concurrent requests in arrival order, each with its own offsets', async () => {
    const log = await partition();
    const requests = Array.from({ length: 30 }, (_, i) => batch(Array.from({ length: (i % 3) + 1 }, (_, j) => `${i}.${j}`)));
    let writes = 0;
    const begin = log.beginAppend.bind(log);
    log.beginAppend = (b, o) => (writes++, begin(b, o));
    const results = await Promise.all(requests.map((r) => coalescedAppend(log, r)));
    expect(writes).toBe(3); // the first two alone (two writes in flight), the 28 that queued behind them as one group
    let next = 0n;
    results.forEach((r, i) => {
      const count = BigInt((i % 3) + 1);
      expect(r.baseOffset).toBe(next);
      expect(r.lastOffset).toBe(next + count - 1n);
      next += count;
    });
    const read = await log.read(0n, 1 << 20);
    const values = decodeRecordBatches(read.records!).flatMap((b) => b.records.map((x) => x.value!.toString()));
    expect(values).toEqual(requests.flatMap((_, i) => Array.from({ length: (i % 3) + 1 }, (_, j) => `${i}.${j}`)));
  });

  it('a bad batch in a group fails alone; the others are appended in order', async () => {
    const log = await partition();
    const bad = batch(['bad']);
    bad[bad.length - 1]! ^= 0xff;
    const inputs = [batch(['a']), batch(['b']), bad, batch(['c']), batch(['d'])];
    const settled = await Promise.allSettled(inputs.map((r) => coalescedAppend(log, r)));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((settled[2] as PromiseRejectedResult).reason.code).toBe(2);
    expect(settled.filter((s) => s.status === 'fulfilled').map((s) => (s as PromiseFulfilledResult<{ baseOffset: bigint }>).value.baseOffset)).toEqual([0n, 1n, 2n, 3n]);
    const read = await log.read(0n, 1 << 20);
    expect(decodeRecordBatches(read.records!).map((b) => b.records[0]!.value!.toString())).toEqual(['a', 'b', 'c', 'd']);
  });
});
