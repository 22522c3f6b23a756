/**
 * capture_recv says on stderr why it is stuck (issue 14): one captured stream of two exists, so the replay's
 * frontier stays at 0, and after --stall-report-ms the worker names the missing stream. Real processes: the
 * capture with capture_send, then capture_recv, each over the embedded broker in the same data dir.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kq-recv-stall-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

describe('capture_recv stall report', { timeout: 120_000 }, () => {
  it('prints which stream holds the frontier on stderr when stuck', async () => {
    const send = spawnSync(process.execPath, ['--import', 'tsx', 'examples/capture_send.ts', 'numbat', '100', '-w', '1', '--data-dir', dataDir], { cwd: root, encoding: 'utf8', timeout: 90_000 });
    expect(send.status, send.stderr).toBe(0);

    const recv = spawn(process.execPath, ['--import', 'tsx', 'examples/capture_recv.ts', 'numbat', '2', '--data-dir', dataDir, '--stall-report-ms', '700'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    recv.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => recv.on('exit', (code) => resolve(code)));
    const line = await new Promise<string>((resolve, reject) => {
      recv.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        const found = stderr.split('\n').find((l) => l.startsWith('capture_recv: worker'));
        if (found) resolve(found);
      });
      void exited.then((code) => reject(new Error(`capture_recv exited (${code}) without a stall report:\n${stderr}\n${stdout}`)));
    });
    recv.kill('SIGKILL');
    await exited;
    expect(line).toMatch(/^capture_recv: worker 0: replay frontier stuck at 0 for \d+ ms: held by "numbat-1" at 0: missing \(its topic does not exist\), 0 event\(s\), no event yet$/);
    // numbat-0 is complete: it holds nothing, so it is not named.
    expect(line).not.toContain('numbat-0');
  });
});
