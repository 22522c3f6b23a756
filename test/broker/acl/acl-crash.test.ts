/**
 * An acknowledged ACL change survives a broker killed with SIGKILL (no clean shutdown): a child broker
 * started by the real CLI, ACLs created and deleted through kafkajs admin, kill -9, restart on the same data
 * dir, and the ACLs are exactly the acknowledged ones.
 */
import fs from 'node:fs';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { startChildBroker, type ChildBroker } from '../child.js';
import { kafkaClient, tempDir } from '../helpers.js';

const dataDir = tempDir();
const children: ChildBroker[] = [];
afterAll(async () => {
  for (const c of children) {
    c.child.kill('SIGKILL');
    await c.exited;
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function start(): Promise<ChildBroker> {
  const c = await startChildBroker(['--data-dir', dataDir, '--authorizer', 'acl', '--super-users', 'ANONYMOUS']);
  children.push(c);
  return c;
}

const ANY_FILTER = { resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY };
const entry = (name: string) => ({ resourceType: AclResourceTypes.TOPIC, resourceName: name, resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:alice', host: '*', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW });

describe('ACL store under kill -9', () => {
  it('keeps every acknowledged create and delete', async () => {
    const first = await start();
    const admin = kafkaClient(first).admin();
    await admin.connect();
    for (let i = 0; i < 20; i++) await admin.createAcls({ acl: [entry(`t${i}`)] });
    await admin.deleteAcls({ filters: [{ ...ANY_FILTER, resourceType: AclResourceTypes.TOPIC, resourceName: 't7' }] });
    await admin.disconnect().catch(() => undefined);
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');

    const second = await start();
    const admin2 = kafkaClient(second).admin();
    await admin2.connect();
    try {
      const { resources } = await admin2.describeAcls(ANY_FILTER);
      const expected = Array.from({ length: 20 }, (_, i) => `t${i}`).filter((n) => n !== 't7').sort();
      expect(resources.map((r) => r.resourceName).sort()).toEqual(expected);
    } finally {
      await admin2.disconnect();
    }
  });
});
