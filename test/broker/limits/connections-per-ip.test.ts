/**
 * max.connections.per.ip (issue 10): connections from one address beyond the limit are closed at accept,
 * before anything is read or allocated for them, while the address's other connections and everyone else
 * are served. The default leaves room for a test suite's hundreds of connections from 127.0.0.1.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiVersions } from '../../../src/protocol/messages/api-versions.js';
import { DEFAULT_CONFIG } from '../../../src/broker/config.js';
import { startChildBroker, type ChildBroker } from '../child.js';
import { assertServes, RawClient, startTestBroker, tempDir } from '../helpers.js';
import { descriptorsOf } from './proc.js';

const LIMIT = 5;
const versions = { clientSoftwareName: 'limits', clientSoftwareVersion: '1' };

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Connects and asks ApiVersions: true when answered, false when the broker closed the connection. */
async function served(b: { host: string; port: number }): Promise<{ ok: boolean; client: RawClient }> {
  const client = await RawClient.connect(b);
  const ok = await client.request(ApiVersions, 0, versions).then(
    () => true,
    () => false,
  );
  return { ok, client };
}

let broker: ChildBroker;
let dir: string;
beforeAll(async () => {
  dir = tempDir();
  broker = await startChildBroker(['--data-dir', dir, '--max-connections-per-ip', String(LIMIT)]);
});
afterAll(async () => {
  broker?.child.kill('SIGTERM');
  await broker?.exited;
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('max.connections.per.ip', () => {
  it('closes connections from an address beyond its limit at accept; the others stay served', async () => {
    const pid = broker.child.pid!;
    const idleFds = descriptorsOf(pid);
    const open: RawClient[] = [];
    for (let i = 0; i < LIMIT; i++) {
      const { ok, client } = await served(broker);
      expect(ok).toBe(true);
      open.push(client);
    }
    // One more from the same address: closed without an answer, and the broker keeps no descriptor for it.
    const refused = await served(broker);
    expect(refused.ok).toBe(false);
    expect(refused.client.closed).toBe(true);
    const fds = descriptorsOf(pid);
    console.log(`descriptors: ${idleFds} idle, ${fds} with ${LIMIT} connections open and one refused`);
    expect(fds).toBeLessThanOrEqual(idleFds + LIMIT);
    // The connections within the limit are still served.
    for (const c of open) expect((await c.request(ApiVersions, 0, versions)).errorCode).toBe(0);
    // Once one closes, a new connection is taken again (as soon as the broker has seen the close).
    open.pop()!.close();
    await until(async () => {
      const again = await served(broker);
      if (again.ok) open.push(again.client);
      else again.client.close();
      return again.ok;
    }, 'a connection is accepted again after one closed');
    for (const c of open) c.close();
    await until(() => descriptorsOf(pid) <= idleFds, `the broker's descriptors are back to ${idleFds}`);
    expect(await assertServes(broker)).toBeInstanceOf(Array);
  });

  it('by default lets one address open hundreds of connections', async () => {
    expect(DEFAULT_CONFIG.maxConnectionsPerIp).toBeGreaterThanOrEqual(500);
    const local = await startTestBroker();
    try {
      const clients = await Promise.all(Array.from({ length: 300 }, () => served(local)));
      expect(clients.filter((c) => c.ok)).toHaveLength(300);
      for (const c of clients) c.client.close();
    } finally {
      await local.stop();
    }
  });
});
