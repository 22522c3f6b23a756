/**
 * `kafkaesque acls list|add|remove` as a user runs them: a broker started by the real CLI with
 * `--authorizer acl --super-users ANONYMOUS`, the acls command both as the real bin (child process) and
 * in-process with its output captured; exit codes 0 / 1 / 2.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aclsCommand } from '../../../src/cli/acls.js';
import { UsageError } from '../../../src/cli/command.js';
import { collect, runCli, startChildBroker, type ChildBroker } from '../child.js';
import { startTestBroker, tempDir, type TestBroker } from '../helpers.js';

let broker: ChildBroker;
let dataDir: string;
let address: string;
beforeAll(async () => {
  dataDir = tempDir();
  broker = await startChildBroker(['--data-dir', dataDir, '--authorizer', 'acl', '--super-users', 'ANONYMOUS']);
  address = `${broker.host}:${broker.port}`;
});
afterAll(async () => {
  broker?.child.kill('SIGTERM');
  await broker?.exited;
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function bin(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return collect(runCli(['acls', ...args, '--brokers', address]));
}

/** The command in-process, output captured; the exit code the bin would give. */
async function cli(at: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += chunk.toString()), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += chunk.toString()), true)) as typeof process.stderr.write;
  try {
    const code = await aclsCommand.run([...args, '--brokers', at]);
    return { code, stdout, stderr };
  } catch (e) {
    if (e instanceof UsageError) return { code: 2, stdout, stderr: stderr + e.message };
    return { code: 1, stdout, stderr: stderr + (e as Error).message };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

describe('kafkaesque acls', () => {
  it('adds, lists and removes ACLs (the real bin)', async () => {
    const added = await bin('add', '--topic', 'orders-', '--resource-pattern-type', 'prefixed', '--allow-principal', 'alice', '--operation', 'read', '--operation', 'describe');
    expect(added).toMatchObject({ code: 0 });
    expect(added.stdout).toContain('added 2 ACLs');
    expect((await bin('add', '--group', 'g', '--deny-principal', 'User:bob', '--host', '10.0.0.1', '--operation', 'read')).code).toBe(0);

    const listed = await bin('list', '--json');
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([
      { resourceType: 'group', resourceName: 'g', patternType: 'literal', principal: 'User:bob', host: '10.0.0.1', operation: 'read', permission: 'deny' },
      expect.objectContaining({ resourceType: 'topic', resourceName: 'orders-', patternType: 'prefixed', principal: 'User:alice', permission: 'allow' }),
      expect.objectContaining({ resourceType: 'topic', resourceName: 'orders-', patternType: 'prefixed', principal: 'User:alice', permission: 'allow' }),
    ]);
  });

  it('filters the list, matches ACLs that apply to a resource, and removes by filter', async () => {
    await cli(address, 'add', '--topic', 'orders-eu', '--allow-principal', 'carol', '--operation', 'write');
    const table = await cli(address, 'list', '--topic', 'orders-eu', '--resource-pattern-type', 'match');
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^RESOURCE-TYPE\s+NAME\s+PATTERN\s+PRINCIPAL\s+HOST\s+OPERATION\s+PERMISSION$/);
    expect(table.stdout).toContain('User:carol');
    expect(table.stdout).toContain('User:alice'); // the prefixed ACL applies to orders-eu
    const mine = JSON.parse((await cli(address, 'list', '--principal', 'carol', '--json')).stdout);
    expect(mine.map((r: { operation: string }) => r.operation)).toEqual(['write']);

    const removed = await cli(address, 'remove', '--topic', 'orders-', '--resource-pattern-type', 'prefixed', '--allow-principal', 'alice', '--operation', 'read');
    expect(removed).toMatchObject({ code: 0, stdout: 'removed 1 ACL\n' });
    const left = JSON.parse((await cli(address, 'list', '--topic', 'orders-', '--json')).stdout);
    expect(left.map((r: { operation: string }) => r.operation)).toEqual(['describe']);
  });

  it('exits 2 on bad usage, with a message that says what to give', async () => {
    for (const [args, message] of [
      [['add', '--topic', 't', '--operation', 'read'], /--allow-principal or --deny-principal/],
      [['add', '--allow-principal', 'a', '--operation', 'read'], /needs a resource/],
      [['add', '--topic', 't', '--group', 'g', '--allow-principal', 'a', '--operation', 'read'], /one resource/],
      [['add', '--topic', 't', '--allow-principal', 'a', '--operation', 'fly'], /unknown operation "fly"/],
      [['add', '--topic', 't', '--allow-principal', 'Group:a', '--operation', 'read'], /User:NAME/],
      [['remove'], /needs a resource/],
      [['frobnicate'], /unknown action/],
    ] as const) {
      const r = await cli(address, ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    expect((await cli(address, '--help')).stdout).toContain('--allow-principal');
  });

  it('exits 1 with a hint when the broker runs without --authorizer', async () => {
    const plain: TestBroker = await startTestBroker();
    try {
      const r = await cli(plain.address, 'list');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/start it with --authorizer acl/);
    } finally {
      await plain.stop();
    }
  });
});
