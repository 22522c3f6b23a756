/**
 * The ACL store: durable across reopen, a torn tail cut off, compacted at start, a failed write undone;
 * DescribeAcls/DeleteAcls filters with Kafka's ANY / MATCH semantics; and a model-based property test.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ACLS_FILE, AclStore } from '../../../src/broker/acl/acl-store.js';
import { AclOperation as Op, PatternType, PermissionType, ResourceType, type AclBinding, type AclBindingFilter } from '../../../src/broker/acl/acl-types.js';
import { bindingProblem } from '../../../src/broker/acl/acl-filter.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kq-acl-'));
});
afterEach(() => {
  vi.restoreAllMocks();
  fs.rmSync(dir, { recursive: true, force: true });
});

function acl(fields: Partial<AclBinding>): AclBinding {
  return { resourceType: ResourceType.TOPIC, resourceName: 't', patternType: PatternType.LITERAL, principal: 'User:alice', host: '*', operation: Op.READ, permissionType: PermissionType.ALLOW, ...fields };
}
const ANY: AclBindingFilter = { resourceType: ResourceType.ANY, resourceName: null, patternType: PatternType.ANY, principal: null, host: null, operation: Op.ANY, permissionType: PermissionType.ANY };

const sorted = (list: readonly AclBinding[]) => list.map((b) => JSON.stringify(b)).sort();

describe('AclStore', () => {
  it('keeps ACLs across reopen, drops removed ones, and compacts the log at start', async () => {
    const { store } = AclStore.open(dir);
    await store.add([acl({}), acl({ resourceName: 'u' }), acl({ resourceName: 'v' })]);
    await store.add([acl({})]); // already there: no-op
    const removed = await store.remove([{ ...ANY, resourceName: 'u' }]);
    expect(removed[0]).toEqual([acl({ resourceName: 'u' })]);
    await store.close();
    const sizeBefore = fs.statSync(path.join(dir, ACLS_FILE)).size;
    const { store: again, truncatedBytes } = AclStore.open(dir);
    expect(truncatedBytes).toBe(0);
    expect(sorted(again.list(ANY))).toEqual(sorted([acl({}), acl({ resourceName: 'v' })]));
    expect(fs.statSync(path.join(dir, ACLS_FILE)).size).toBeLessThan(sizeBefore);
    await again.close();
  });

  it('cuts off a torn last frame and keeps what came before', async () => {
    const { store } = AclStore.open(dir);
    await store.add([acl({})]);
    await store.add([acl({ resourceName: 'late' })]);
    await store.close();
    const file = path.join(dir, ACLS_FILE);
    const data = fs.readFileSync(file);
    fs.writeFileSync(file, data.subarray(0, data.length - 5)); // a crash mid-write
    const { store: again, truncatedBytes } = AclStore.open(dir);
    expect(truncatedBytes).toBeGreaterThan(0);
    expect(again.list(ANY)).toEqual([acl({})]);
    await again.close();
  });

  it('undoes an addition whose write failed, so memory never claims what the file lacks', async () => {
    const { store } = AclStore.open(dir);
    await store.add([acl({})]);
    vi.spyOn(fs, 'write').mockImplementation(((...args: unknown[]) => (args.at(-1) as (e: Error) => void)(new Error('ENOSPC: no space left'))) as never);
    await expect(store.add([acl({ resourceName: 'x' })])).rejects.toThrow(/ENOSPC/);
    await expect(store.remove([ANY])).rejects.toThrow(/ENOSPC/);
    vi.restoreAllMocks();
    expect(store.list(ANY)).toEqual([acl({})]);
    expect(store.matching(ResourceType.TOPIC, 'x')).toEqual([]);
    expect(store.matching(ResourceType.TOPIC, 't')).toEqual([acl({})]);
    await store.close();
    expect(AclStore.open(dir).store.list(ANY)).toEqual([acl({})]);
  });

  it('matches filters as Kafka: ANY, exact pattern types, and MATCH (literal, * and prefixes that apply)', async () => {
    const { store } = AclStore.open(dir);
    const lit = acl({ resourceName: 'orders-eu' });
    const star = acl({ resourceName: '*' });
    const pre = acl({ resourceName: 'orders-', patternType: PatternType.PREFIXED });
    const other = acl({ resourceName: 'billing-', patternType: PatternType.PREFIXED, principal: 'User:bob', host: '10.0.0.1', operation: Op.WRITE, permissionType: PermissionType.DENY });
    const group = acl({ resourceType: ResourceType.GROUP, resourceName: 'orders-eu' });
    await store.add([lit, star, pre, other, group]);
    const f = (fields: Partial<AclBindingFilter>) => sorted(store.list({ ...ANY, ...fields }));
    expect(f({})).toEqual(sorted([lit, star, pre, other, group]));
    expect(f({ resourceType: ResourceType.TOPIC, resourceName: 'orders-eu' })).toEqual(sorted([lit]));
    expect(f({ resourceType: ResourceType.TOPIC, resourceName: 'orders-eu', patternType: PatternType.MATCH })).toEqual(sorted([lit, star, pre]));
    expect(f({ patternType: PatternType.PREFIXED })).toEqual(sorted([pre, other]));
    expect(f({ patternType: PatternType.LITERAL, resourceName: 'orders-' })).toEqual([]);
    expect(f({ principal: 'User:bob' })).toEqual(sorted([other]));
    expect(f({ host: '10.0.0.1', operation: Op.WRITE, permissionType: PermissionType.DENY })).toEqual(sorted([other]));
    expect(f({ operation: Op.READ, permissionType: PermissionType.ALLOW, resourceType: ResourceType.GROUP })).toEqual(sorted([group]));
    expect(sorted(store.matching(ResourceType.TOPIC, 'orders-eu'))).toEqual(sorted([lit, star, pre]));
    await store.close();
  });

  it('refuses ACLs Kafka refuses', () => {
    expect(bindingProblem(acl({}))).toBeNull();
    expect(bindingProblem(acl({ patternType: PatternType.MATCH }))).toMatch(/pattern type/);
    expect(bindingProblem(acl({ resourceType: ResourceType.ANY }))).toMatch(/resource type/);
    expect(bindingProblem(acl({ resourceType: ResourceType.CLUSTER, resourceName: 'c' }))).toMatch(/kafka-cluster/);
    expect(bindingProblem(acl({ resourceType: ResourceType.GROUP, operation: Op.WRITE }))).toMatch(/does not apply to GROUP/);
    expect(bindingProblem(acl({ permissionType: PermissionType.ANY }))).toMatch(/permission type/);
    expect(bindingProblem(acl({ principal: 'alice' }))).toMatch(/User:<name>/);
    expect(bindingProblem(acl({ host: '' }))).toMatch(/host/);
    expect(bindingProblem(acl({ resourceName: '' }))).toMatch(/empty/);
  });

  it('property: after any sequence of adds and removes, memory and a reopened store hold the model\'s set', async () => {
    const arbAcl = fc.record({
      resourceType: fc.constantFrom(ResourceType.TOPIC, ResourceType.GROUP),
      resourceName: fc.constantFrom('a', 'ab', '*'),
      patternType: fc.constantFrom(PatternType.LITERAL, PatternType.PREFIXED),
      principal: fc.constantFrom('User:a', 'User:b'),
      host: fc.constantFrom('*', 'h'),
      operation: fc.constantFrom(Op.READ, Op.ALL),
      permissionType: fc.constantFrom(PermissionType.ALLOW, PermissionType.DENY),
    });
    const step = fc.oneof(
      fc.record({ add: fc.array(arbAcl, { maxLength: 4 }) }),
      fc.record({ principal: fc.constantFrom('User:a', 'User:b'), name: fc.constantFrom('a', 'ab', '*', null) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 10 }), async (steps) => {
        const sub = fs.mkdtempSync(path.join(dir, 'p-'));
        const { store } = AclStore.open(sub);
        const model = new Map<string, AclBinding>();
        for (const s of steps) {
          if ('add' in s) {
            await store.add(s.add);
            for (const b of s.add) model.set(JSON.stringify(b), b);
          } else {
            await store.remove([{ ...ANY, principal: s.principal, resourceName: s.name }]);
            for (const [k, b] of model) if (b.principal === s.principal && (s.name === null || b.resourceName === s.name)) model.delete(k);
          }
        }
        expect(sorted(store.list(ANY))).toEqual(sorted([...model.values()]));
        await store.close();
        const again = AclStore.open(sub).store;
        expect(sorted(again.list(ANY))).toEqual(sorted([...model.values()]));
        // Each stored ACL applies to a resource it names: a prefix plus more, any name for the literal *.
        const appliesTo = (b: AclBinding) => (b.patternType === PatternType.PREFIXED ? `${b.resourceName}x` : b.resourceName === '*' ? 'zzz' : b.resourceName);
        for (const b of model.values()) expect(again.matching(b.resourceType, appliesTo(b))).toContainEqual(b);
        await again.close();
      }),
      { numRuns: 60 },
    );
  });
});
