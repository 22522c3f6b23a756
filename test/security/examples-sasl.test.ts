/**
 * capture_send and capture_recv against a SASL_SSL broker with kcat-like flags, the password in
 * KAFKAESQUE_SASL_PASSWORD (run through tsx, as the examples' sources). A bare --sasl-password is refused.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../broker/child.js';
import { startTestBroker, tempDir, type TestBroker } from '../broker/helpers.js';
import { hasOpenssl, makeCerts, type TestCerts } from './certs.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const available = hasOpenssl();
let broker: TestBroker;
let certs: TestCerts;
let dir: string;

beforeAll(async () => {
  if (!available) return;
  dir = tempDir();
  certs = makeCerts(dir);
  fs.writeFileSync(path.join(dir, 'users.json'), JSON.stringify({ alice: 'alice-secret' }));
  broker = await startTestBroker({ listeners: 'SASL_SSL://127.0.0.1:0', sslCert: certs.serverCert, sslKey: certs.serverKey, usersFile: path.join(dir, 'users.json') });
}, 60_000);
afterAll(async () => {
  await broker?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function example(name: string, args: string[], env: Record<string, string> = {}) {
  return spawn(process.execPath, ['--import', 'tsx', path.join(root, 'examples', `${name}.ts`), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
}

describe.skipIf(!available)('examples with TLS and SASL flags', () => {
  it('capture_send then capture_recv over SASL_SSL with SCRAM-SHA-256', async () => {
    const flags = ['--brokers', `127.0.0.1:${broker.port}`, '--security-protocol', 'SASL_SSL', '--sasl-mechanism', 'SCRAM-SHA-256', '--sasl-username', 'alice', '--ssl-ca', certs.caCert];
    const env = { KAFKAESQUE_SASL_PASSWORD: 'alice-secret' };
    const sent = await collect(example('capture_send', ['sec', '20000', '-w', '2', ...flags], env));
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    const received = await collect(example('capture_recv', ['sec', '2', '--count', '20000', '-w', '1', ...flags], env));
    expect(received.code, received.stderr).toBe(0);
    expect(received.stdout).toMatch(/40,000|40000/);
  }, 120_000);

  it('a bare --sasl-password is refused, and so is a missing password', async () => {
    const flags = ['--brokers', `127.0.0.1:${broker.port}`, '--security-protocol', 'SASL_SSL', '--sasl-username', 'alice', '--ssl-ca', certs.caCert];
    const bare = await collect(example('capture_send', ['sec2', '10', ...flags, '--sasl-password', 'alice-secret']));
    expect(bare.code).not.toBe(0);
    expect(bare.stderr).toMatch(/--sasl-password is not accepted/);
    const missing = await collect(example('capture_send', ['sec2', '10', ...flags], { KAFKAESQUE_SASL_PASSWORD: '' }));
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/KAFKAESQUE_SASL_PASSWORD/);
  }, 60_000);
});
