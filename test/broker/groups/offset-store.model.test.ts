/**
 * OffsetStore (src/broker/groups/offset-store.ts) against a plain model: any sequence of commits, deletions
 * and empty marks, with compactions in between, reads back the same after a reopen, also when the file ends
 * in garbage. Written against the public methods only, awaiting each (they may become asynchronous).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OFFSETS_FILE, OffsetStore, type CommittedOffset } from '../../../src/broker/groups/offset-store.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kq-offsets-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

type Op =
  | { kind: 'commit'; group: string; parts: { topic: string; partition: number; offset: number; metadata: string | null }[]; now: number }
  | { kind: 'deleteOffsets'; group: string; parts: { topic: string; partition: number }[] }
  | { kind: 'deleteGroup'; group: string }
  | { kind: 'deleteTopic'; topic: string }
  | { kind: 'markEmptied'; group: string; at: number }
  | { kind: 'compact' };

const group = fc.constantFrom('g', 'h', 'k');
const topic = fc.constantFrom('t', 'u');
const part = fc.record({ topic, partition: fc.nat(3) });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('commit' as const), group, parts: fc.array(fc.record({ topic, partition: fc.nat(3), offset: fc.nat(1e6), metadata: fc.option(fc.string({ maxLength: 8 })) }), { maxLength: 4 }), now: fc.nat(1e9) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('deleteOffsets' as const), group, parts: fc.array(part, { maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteGroup' as const), group }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteTopic' as const), topic }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('markEmptied' as const), group, at: fc.nat(1e9) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'compact' as const }) },
);

/** The model: group → "topic/partition" → committed offset, and each group's empty time. */
interface Model {
  offsets: Map<string, Map<string, CommittedOffset>>;
  emptied: Map<string, number>;
}

function applyModel(m: Model, op: Op): void {
  switch (op.kind) {
    case 'commit': {
      if (op.parts.length === 0) return;
      const g = m.offsets.get(op.group) ?? new Map<string, CommittedOffset>();
      m.offsets.set(op.group, g);
      for (const p of op.parts) g.set(`${p.topic}/${p.partition}`, { offset: BigInt(p.offset), leaderEpoch: 1, metadata: p.metadata, commitTimestamp: op.now });
      return;
    }
    case 'deleteOffsets':
      for (const p of op.parts) m.offsets.get(op.group)?.delete(`${p.topic}/${p.partition}`);
      return;
    case 'deleteGroup':
      m.offsets.delete(op.group);
      m.emptied.delete(op.group);
      return;
    case 'deleteTopic':
      for (const g of m.offsets.values()) for (const k of [...g.keys()]) if (k.startsWith(`${op.topic}/`)) g.delete(k);
      return;
    case 'markEmptied':
      m.emptied.set(op.group, op.at);
      return;
    case 'compact':
      return;
  }
}

async function applyStore(s: OffsetStore, op: Op): Promise<void> {
  switch (op.kind) {
    case 'commit':
      return s.commit(op.group, op.parts.map((p) => ({ topic: p.topic, partition: p.partition, offset: BigInt(p.offset), leaderEpoch: 1, metadata: p.metadata })), op.now);
    case 'deleteOffsets':
      return s.deleteOffsets(op.group, op.parts);
    case 'deleteGroup':
      return s.deleteGroup(op.group);
    case 'deleteTopic':
      return s.deleteTopic(op.topic);
    case 'markEmptied':
      return s.markEmptied(op.group, op.at);
    case 'compact':
      return s.compact();
  }
}

/** What the store shows for every group the model knows, in the model's shape. */
function view(s: OffsetStore): { offsets: Record<string, Record<string, CommittedOffset>>; emptied: Record<string, number | null>; hasOffsets: Record<string, boolean> } {
  const offsets: Record<string, Record<string, CommittedOffset>> = {};
  const emptied: Record<string, number | null> = {};
  const hasOffsets: Record<string, boolean> = {};
  for (const g of ['g', 'h', 'k']) {
    const flat: Record<string, CommittedOffset> = {};
    for (const [t, parts] of s.offsetsOf(g)) for (const [p, c] of parts) flat[`${t}/${p}`] = c;
    for (const key of Object.keys(flat)) {
      const [t, p] = key.split('/') as [string, string];
      expect(s.get(g, t, Number(p))).toEqual(flat[key]);
    }
    offsets[g] = flat;
    emptied[g] = s.emptiedAt(g);
    hasOffsets[g] = s.hasOffsets(g);
  }
  return { offsets, emptied, hasOffsets };
}

function expected(m: Model): ReturnType<typeof view> {
  const offsets: Record<string, Record<string, CommittedOffset>> = {};
  const emptied: Record<string, number | null> = {};
  const hasOffsets: Record<string, boolean> = {};
  for (const g of ['g', 'h', 'k']) {
    offsets[g] = Object.fromEntries(m.offsets.get(g) ?? []);
    emptied[g] = m.emptied.get(g) ?? null;
    hasOffsets[g] = (m.offsets.get(g)?.size ?? 0) > 0;
  }
  return { offsets, emptied, hasOffsets };
}

describe('OffsetStore against a model', () => {
  it('any sequence of operations reads back the same live and after a reopen (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 40 }), fc.boolean(), async (ops, garbageTail) => {
        const at = fs.mkdtempSync(path.join(dir, 'run-'));
        const { store } = await OffsetStore.open(at);
        const model: Model = { offsets: new Map(), emptied: new Map() };
        for (const op of ops) {
          await applyStore(store, op);
          applyModel(model, op);
        }
        expect(view(store)).toEqual(expected(model));
        await store.close();
        if (garbageTail) fs.appendFileSync(path.join(at, OFFSETS_FILE), Buffer.from([0, 0, 0, 9, 1, 2]));
        const { store: again, truncatedBytes } = await OffsetStore.open(at);
        expect(truncatedBytes).toBe(garbageTail ? 6 : 0);
        expect(view(again)).toEqual(expected(model));
        await again.close();
      }),
      { numRuns: 60 },
    );
  });

  it('flush and compact keep every live entry on disk; compacting shrinks a log of overwritten commits', async () => {
    const { store } = await OffsetStore.open(dir);
    for (let i = 0; i < 200; i++) await store.commit('g', [{ topic: 't', partition: i % 4, offset: BigInt(i), leaderEpoch: 3, metadata: `m${i}` }], i);
    await store.markEmptied('g', 77);
    await store.flush();
    const before = store.sizeBytes;
    await store.compact();
    expect(store.sizeBytes).toBeLessThan(before / 10);
    expect(fs.statSync(path.join(dir, OFFSETS_FILE)).size).toBe(store.sizeBytes);
    // The compacted file alone (the store is left open, not closed) holds the live state.
    const { store: copy } = await OffsetStore.open(dir);
    expect([...copy.offsetsOf('g').get('t')!.entries()].sort(([a], [b]) => a - b)).toEqual([
      [0, { offset: 196n, leaderEpoch: 3, metadata: 'm196', commitTimestamp: 196 }],
      [1, { offset: 197n, leaderEpoch: 3, metadata: 'm197', commitTimestamp: 197 }],
      [2, { offset: 198n, leaderEpoch: 3, metadata: 'm198', commitTimestamp: 198 }],
      [3, { offset: 199n, leaderEpoch: 3, metadata: 'm199', commitTimestamp: 199 }],
    ]);
    expect(copy.emptiedAt('g')).toBe(77);
    await copy.close();
    await store.close();
  });
});
