/**
 * `kafkaesque broker` with several listeners: one ready line per listener with its protocol, and SIGHUP
 * reloads the certificates without stopping the process (Node's default for SIGHUP would exit).
 */
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../broker/child.js';
import { tempDir } from '../broker/helpers.js';
import { until } from '../until.js';
import { hasOpenssl, makeCerts, type TestCerts } from './certs.js';

const available = hasOpenssl();
let dir: string;
let certs: TestCerts;
beforeAll(() => {
  if (!available) return;
  dir = tempDir();
  certs = makeCerts(dir);
  fs.writeFileSync(path.join(dir, 'users.json'), JSON.stringify({ alice: 'alice-secret' }));
}, 60_000);
afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!available)('kafkaesque broker with listeners', () => {
  it('prints one ready line per listener, and survives SIGHUP with the certificates reloaded', async () => {
    const child = runCli(['broker', '--listeners', 'PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0', '--ssl-cert', certs.serverCert, '--ssl-key', certs.serverKey, '--users', path.join(dir, 'users.json'), '--data-dir', path.join(dir, 'data'), '--log-level', 'info']);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await until(() => stdout.split('\n').length >= 3, `two ready lines (stdout: ${stdout}, stderr: ${stderr})`, 30_000);
      const lines = stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^kafkaesque broker listening on 127\.0\.0\.1:\d+ \(PLAINTEXT\)$/);
      expect(lines[1]).toMatch(/^kafkaesque broker listening on 127\.0\.0\.1:\d+ \(SASL_SSL\)$/);
      const port = Number(/:(\d+) \(SASL_SSL\)/.exec(lines[1]!)![1]);
      child.kill('SIGHUP');
      await until(() => stderr.includes('TLS certificates reloaded'), 'the reload log line', 20_000).catch((err: Error) => {
        throw new Error(`${err.message}; the broker's stderr: ${stderr.slice(-2000)}`);
      });
      const s = tls.connect({ host: '127.0.0.1', port, ca: fs.readFileSync(certs.caCert), servername: 'localhost' });
      await new Promise((resolve, reject) => s.once('secureConnect', resolve).once('error', reject));
      s.destroy();
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 60_000);
});
