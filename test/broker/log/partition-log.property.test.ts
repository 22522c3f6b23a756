/** Random sequences of appends, reads, DeleteRecords, retention and restarts (clean or crashed) vs a model. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LogManager } from '../../../src/broker/log/log-manager.js';
import type { LogConfig } from '../../../src/broker/log/log-config.js';
import { StorageError } from '../../../src/broker/log/errors.js';
import { batch, decodeAll, removeDir, tempDir } from './helpers.js';

type Cmd =
  | { kind: 'append'; batches: Array<{ count: number; pad: number }> }
  | { kind: 'read'; at: number; maxBytes: number }
  | { kind: 'deleteRecords'; at: number }
  | { kind: 'retention' }
  | { kind: 'reopen'; clean: boolean };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('append' as const), batches: fc.array(fc.record({ count: fc.integer({ min: 1, max: 4 }), pad: fc.integer({ min: 0, max: 200 }) }), { minLength: 1, maxLength: 3 }) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('read' as const), at: fc.double({ min: -0.1, max: 1.1, noNaN: true }), maxBytes: fc.integer({ min: 1, max: 3000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteRecords' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'retention' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reopen' as const), clean: fc.boolean() }) },
);

const config: Partial<LogConfig> = { segmentBytes: 4096, indexIntervalBytes: 200, retentionBytes: 12000, retentionMs: -1 };

describe('PartitionLog vs a model', () => {
  it('serves exactly what was acknowledged, from the log start on', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(cmd, { minLength: 1, maxLength: 40 }), async (cmds) => {
        const dir = tempDir();
        let logs = await LogManager.open(dir, config);
        try {
          await logs.createTopic('p', 1);
          const model: string[] = [];
          let lso = 0n;
          let n = 0;
          for (const c of cmds) {
            const log = logs.partition('p', 0)!;
            switch (c.kind) {
              case 'append': {
                const values = c.batches.map((b) => Array.from({ length: b.count }, () => `v${n++}${'.'.repeat(b.pad)}`));
                const r = await log.append(Buffer.concat(values.map((v) => batch(v))));
                expect(r.baseOffset).toBe(BigInt(model.length));
                model.push(...values.flat());
                expect(r.lastOffset).toBe(BigInt(model.length - 1));
                break;
              }
              case 'read': {
                const hw = BigInt(model.length);
                const offset = BigInt(Math.floor(c.at * (model.length + 1)));
                if (offset < lso || offset > hw) {
                  const e = await log.read(offset, c.maxBytes).catch((err: unknown) => err);
                  expect((e as StorageError).code).toBe(1);
                  break;
                }
                const { records, highWatermark, logStartOffset } = await log.read(offset, c.maxBytes);
                expect(highWatermark).toBe(hw);
                expect(logStartOffset).toBe(lso);
                if (offset === hw) {
                  expect(records).toBeNull();
                  break;
                }
                const got = decodeAll(records);
                expect(got[0]![0] <= offset).toBe(true);
                got.forEach(([o, v], i) => {
                  expect(o).toBe(got[0]![0] + BigInt(i));
                  expect(v).toBe(model[Number(o)]);
                });
                expect(got.at(-1)![0] >= offset).toBe(true);
                break;
              }
              case 'deleteRecords': {
                const target = lso + BigInt(Math.floor(c.at * Number(BigInt(model.length) - lso)));
                lso = await log.deleteRecordsBefore(target);
                expect(lso).toBe(target > lso ? target : lso);
                break;
              }
              case 'retention': {
                await log.runRetention(Date.now());
                expect(log.logStartOffset >= lso).toBe(true);
                lso = log.logStartOffset;
                expect(log.sizeInBytes).toBeLessThanOrEqual(12000 + 4096);
                break;
              }
              case 'reopen': {
                if (c.clean) await logs.close();
                else await logs.abandon();
                logs = await LogManager.open(dir, config);
                const again = logs.partition('p', 0)!;
                expect(again.highWatermark).toBe(BigInt(model.length));
                expect(again.logStartOffset).toBe(lso);
                break;
              }
            }
          }
        } finally {
          await logs.close().catch(() => undefined);
          removeDir(dir);
        }
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});
