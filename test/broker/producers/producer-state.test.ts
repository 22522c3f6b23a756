import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { IdempotenceGuard } from '../../../src/broker/producers/idempotence-guard.js';
import { PRODUCER_ID_BLOCK, ProducerIdManager } from '../../../src/broker/producers/producer-ids.js';
import { PartitionProducerState, lastSequence } from '../../../src/broker/producers/producer-state.js';
import { BATCH_OFFSET } from '../../../src/protocol/batch-header.js';
import { ErrorCode } from '../../../src/protocol/errors.js';

const b = (baseSequence: number, records = 1, producerEpoch = 0, producerId = 7n) => ({
  producerId,
  producerEpoch,
  baseSequence,
  lastOffsetDelta: records - 1,
});

describe('PartitionProducerState', () => {
  it('accepts consecutive batches and returns the original offset for a retried one', () => {
    const s = new PartitionProducerState();
    expect(s.check(b(0, 3))).toEqual({ kind: 'append' });
    s.begin(b(0, 3));
    expect(s.check(b(0, 3))).toEqual({ kind: 'in-flight' });
    s.complete(b(0, 3), 100n);
    expect(s.check(b(3, 2)).kind).toBe('append');
    s.begin(b(3, 2));
    s.complete(b(3, 2), 103n);
    expect(s.check(b(0, 3))).toEqual({ kind: 'duplicate', baseOffset: 100n });
    expect(s.check(b(3, 2))).toEqual({ kind: 'duplicate', baseOffset: 103n });
  });

  it('rejects a gap, a stale epoch and a new epoch not starting at 0', () => {
    const s = new PartitionProducerState();
    s.begin(b(0, 2, 1));
    expect(s.check(b(5, 1, 1))).toMatchObject({ kind: 'reject', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(s.check(b(2, 1, 0))).toMatchObject({ kind: 'reject', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH });
    expect(s.check(b(4, 1, 2))).toMatchObject({ kind: 'reject', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(s.check(b(0, 1, 2)).kind).toBe('append');
  });

  it('remembers only the last five batches', () => {
    const s = new PartitionProducerState();
    for (let i = 0; i < 6; i++) {
      s.begin(b(i));
      s.complete(b(i), BigInt(i));
    }
    expect(s.check(b(0)).kind).toBe('reject');
    expect(s.check(b(1))).toEqual({ kind: 'duplicate', baseOffset: 1n });
  });

  it('accepts any sequence from a producer it has never seen, and forgets a failed append', () => {
    const s = new PartitionProducerState();
    expect(s.check(b(42)).kind).toBe('append');
    s.begin(b(42));
    s.abort(b(42));
    expect(s.check(b(42)).kind).toBe('append');
  });

  it('forgets producers silent past the expiration', () => {
    const s = new PartitionProducerState(1000);
    s.begin(b(0));
    s.complete(b(0), 0n);
    s.expire(Date.now() + 500);
    expect(s.producerCount).toBe(1);
    s.expire(Date.now() + 1500);
    expect(s.producerCount).toBe(0);
    expect(s.check(b(7)).kind).toBe('append');
  });

  it('wraps sequences at 2^31-1', () => {
    expect(lastSequence(0x7fffffff - 1, 3)).toBe(1);
    const s = new PartitionProducerState();
    s.replay(b(0x7fffffff - 1, 2), 0n);
    expect(s.check(b(0)).kind).toBe('append');
  });
});

describe('IdempotenceGuard', () => {
  function header(producerId: bigint, epoch: number, seq: number, records: number, baseOffset = 0n): Buffer {
    const buf = Buffer.alloc(61 + 10);
    buf.writeBigInt64BE(baseOffset, BATCH_OFFSET.baseOffset);
    buf.writeInt32BE(buf.length - 12, BATCH_OFFSET.batchLength);
    buf.writeInt8(2, BATCH_OFFSET.magic);
    buf.writeInt32BE(records - 1, BATCH_OFFSET.lastOffsetDelta);
    buf.writeBigInt64BE(producerId, BATCH_OFFSET.producerId);
    buf.writeInt16BE(epoch, BATCH_OFFSET.producerEpoch);
    buf.writeInt32BE(seq, BATCH_OFFSET.baseSequence);
    buf.writeInt32BE(records, BATCH_OFFSET.recordCount);
    return buf;
  }

  it('judges batches by header and rebuilds state from logged batches', () => {
    const log = {};
    const guard = new IdempotenceGuard(() => log);
    expect(guard.beforeAppend('t', 0, header(-1n, -1, -1, 1))).toBeNull();
    expect(guard.beforeAppend('t', 0, header(5n, 0, 0, 2))).toBeNull();
    guard.afterAppend('t', 0, header(5n, 0, 0, 2), 10n);
    expect(guard.beforeAppend('t', 0, header(5n, 0, 0, 2))).toEqual({ duplicateOf: 10n });
    expect(guard.beforeAppend('t', 0, header(5n, 0, 3, 1))).toMatchObject({ errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(guard.beforeAppend('t', 0, Buffer.concat([header(5n, 0, 2, 1), header(5n, 0, 3, 1)]))).toMatchObject({ errorCode: ErrorCode.INVALID_RECORD });

    const recovered = new IdempotenceGuard(() => log);
    const max = recovered.replay(log, Buffer.concat([header(5n, 0, 0, 2, 10n), header(9n, 1, 0, 1, 12n)]));
    expect(max).toBe(9n);
    expect(recovered.beforeAppend('t', 0, header(5n, 0, 0, 2))).toEqual({ duplicateOf: 10n });
    expect(recovered.beforeAppend('t', 0, header(9n, 0, 1, 1))).toMatchObject({ errorCode: ErrorCode.INVALID_PRODUCER_EPOCH });
  });
});

describe('ProducerIdManager', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('never hands out an id twice across restarts', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kq-'));
    dirs.push(dir);
    let m = ProducerIdManager.open(dir);
    const first = [await m.nextProducerId(), await m.nextProducerId()];
    expect(first).toEqual([0n, 1n]);
    // No close: as after kill -9 (writes are in the page cache already).
    m = ProducerIdManager.open(dir);
    const after = await m.nextProducerId();
    expect(after).toBeGreaterThanOrEqual(PRODUCER_ID_BLOCK);
    m.observe(5000n);
    expect(await m.nextProducerId()).toBe(5001n);
    await m.close();
    expect(await ProducerIdManager.open(dir).nextProducerId()).toBeGreaterThan(5001n);
  });

  it('bumps the epoch of a transactional id and fences a stale caller', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kq-'));
    dirs.push(dir);
    const m = ProducerIdManager.open(dir);
    const a = await m.initProducerId('tx', 60_000);
    const b2 = await m.initProducerId('tx', 60_000);
    expect(b2).toEqual({ producerId: (a as { producerId: bigint }).producerId, producerEpoch: 1 });
    expect(await m.initProducerId('tx', 60_000, { producerId: 999n, producerEpoch: 0 })).toEqual({ errorCode: ErrorCode.PRODUCER_FENCED });
    expect(await m.initProducerId('tx', 0)).toEqual({ errorCode: ErrorCode.INVALID_TRANSACTION_TIMEOUT });
    await m.close();
    expect(ProducerIdManager.open(dir).transactionalState('tx')).toEqual({ producerId: (a as { producerId: bigint }).producerId, producerEpoch: 1 });
  });
});
