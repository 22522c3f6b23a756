/**
 * PartitionProducerState (src/broker/producers/producer-state.ts) against a model of Kafka's rules for one
 * idempotent producer: the next batch appends, a retry of one of the last five batches is a duplicate with its
 * first offset, anything else out of order is refused, a new epoch starts at sequence 0, and sequences wrap at
 * 2^31-1. Also: a snapshot restores to a state that judges every batch the same way. Public methods only.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CACHED_BATCHES, PartitionProducerState, type ProducerBatch } from '../../../src/broker/producers/producer-state.js';
import { ErrorCode } from '../../../src/protocol/errors.js';

const INT32_MAX = 0x7fffffff;
const wrap = (seq: number) => (seq > INT32_MAX ? seq - INT32_MAX - 1 : seq);

type Action = { kind: 'next'; records: number } | { kind: 'retry'; back: number } | { kind: 'gap'; skip: number } | { kind: 'bump' } | { kind: 'fail'; records: number };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('next' as const), records: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('retry' as const), back: fc.nat(CACHED_BATCHES + 2) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('gap' as const), skip: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'bump' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('fail' as const), records: fc.integer({ min: 1, max: 4 }) }) },
);

const batch = (epoch: number, baseSequence: number, records: number): ProducerBatch => ({ producerId: 9n, producerEpoch: epoch, baseSequence, lastOffsetDelta: records - 1 });

describe('PartitionProducerState against a model', () => {
  it('judges appends, retries, gaps and epoch bumps as Kafka does, across the sequence wrap (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(0, INT32_MAX - 6), fc.array(actionArb, { maxLength: 40 }), (start, actions) => {
        const state = new PartitionProducerState();
        let epoch = 0;
        let nextSeq = start;
        let nextOffset = 1000n;
        /** The model: this epoch's appended batches, oldest first, with their first offsets. */
        let appended: { batch: ProducerBatch; offset: bigint }[] = [];
        const append = (b: ProducerBatch) => {
          state.begin(b);
          expect(state.check(b)).toEqual({ kind: 'in-flight' });
          state.complete(b, nextOffset);
          appended.push({ batch: b, offset: nextOffset });
          nextOffset += BigInt(b.lastOffsetDelta + 1);
          nextSeq = wrap(b.baseSequence + b.lastOffsetDelta + 1);
        };
        for (const a of actions) {
          if (a.kind === 'next') {
            const b = batch(epoch, nextSeq, a.records);
            expect(state.check(b)).toEqual({ kind: 'append' });
            append(b);
          } else if (a.kind === 'fail') {
            // An append that fails is forgotten: the same batch is then judged afresh.
            const b = batch(epoch, nextSeq, a.records);
            expect(state.check(b)).toEqual({ kind: 'append' });
            state.begin(b);
            state.abort(b);
            expect(state.check(b)).toEqual({ kind: 'append' });
          } else if (a.kind === 'retry') {
            const target = appended[appended.length - 1 - a.back];
            if (target === undefined) continue;
            const verdict = state.check(target.batch);
            if (a.back < CACHED_BATCHES) expect(verdict).toEqual({ kind: 'duplicate', baseOffset: target.offset });
            else expect(verdict).toMatchObject({ kind: 'reject', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
          } else if (a.kind === 'gap') {
            const verdict = state.check(batch(epoch, wrap(nextSeq + a.skip), 1));
            // A producer the state has not seen yet may start anywhere.
            if (appended.length === 0) expect(verdict).toEqual({ kind: 'append' });
            else expect(verdict).toMatchObject({ kind: 'reject', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
          } else {
            if (appended.length === 0) continue;
            expect(state.check(batch(epoch + 1, 1, 1))).toMatchObject({ kind: 'reject', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
            epoch++;
            nextSeq = 0;
            appended = [];
            append(batch(epoch, 0, 1));
            expect(state.check(batch(epoch - 1, nextSeq, 1))).toMatchObject({ kind: 'reject', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH });
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('a failed append does not push an appended batch out of the last five: its retry is still a duplicate', () => {
    // The property's counterexample from a CI run (seed -819422986): five appends, one that fails, a retry.
    const state = new PartitionProducerState();
    for (let seq = 0; seq < 5; seq++) {
      state.begin(batch(0, seq, 1));
      state.complete(batch(0, seq, 1), 1000n + BigInt(seq));
    }
    state.begin(batch(0, 5, 1));
    state.abort(batch(0, 5, 1));
    expect(state.check(batch(0, 0, 1))).toEqual({ kind: 'duplicate', baseOffset: 1000n });
    expect(state.check(batch(0, 5, 1))).toEqual({ kind: 'append' });
  });

  it('a snapshot restores to a state that gives every batch the same verdict; failed appends are not in it (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ producer: fc.nat(2), records: fc.integer({ min: 1, max: 3 }), inFlight: fc.boolean() }), { maxLength: 30 }),
        (appends) => {
          const state = new PartitionProducerState();
          const next = [0, 0, 0];
          let offset = 0n;
          const pending: ProducerBatch[] = [];
          for (const a of appends) {
            const b: ProducerBatch = { producerId: BigInt(a.producer), producerEpoch: 0, baseSequence: next[a.producer]!, lastOffsetDelta: a.records - 1 };
            if (state.check(b).kind !== 'append') continue;
            state.begin(b);
            next[a.producer]! += a.records;
            if (a.inFlight) pending.push(b);
            else state.complete(b, (offset += 10n));
          }
          // A snapshot is taken once nothing is in flight; here the pending appends failed.
          for (const b of pending.reverse()) state.abort(b);
          const restored = PartitionProducerState.fromSnapshot(state.snapshot());
          expect(restored.producerCount).toBe(state.producerCount);
          const probes: ProducerBatch[] = [];
          for (let p = 0; p < 3; p++) {
            for (let seq = 0; seq <= next[p]! + 1; seq++) {
              for (const records of [1, 2, 3]) for (const epoch of [0, 1]) probes.push({ producerId: BigInt(p), producerEpoch: epoch, baseSequence: seq, lastOffsetDelta: records - 1 });
            }
          }
          for (const probe of probes) expect(restored.check(probe)).toEqual(state.check(probe));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('leaves an append still in flight out of the snapshot: it is not in the log', () => {
    const state = new PartitionProducerState();
    state.begin(batch(0, 0, 2));
    state.complete(batch(0, 0, 2), 50n);
    state.begin(batch(0, 2, 1));
    expect(state.snapshot()).toEqual([{ producerId: 9n, epoch: 0, lastUsed: expect.any(Number), batches: [{ firstSeq: 0, lastSeq: 1, baseOffset: 50n }] }]);
    const restored = PartitionProducerState.fromSnapshot(state.snapshot());
    expect(restored.check(batch(0, 2, 1))).toEqual({ kind: 'append' });
    expect(restored.check(batch(0, 0, 2))).toEqual({ kind: 'duplicate', baseOffset: 50n });
  });
});
