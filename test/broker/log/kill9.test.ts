import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogManager } from '../../../src/broker/log/log-manager.js';
import { readAll, removeDir, tempDir } from './helpers.js';

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'append-until-killed.ts');

let dir: string;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => removeDir(dir));

interface Ack {
  base: bigint;
  last: bigint;
  name: string;
}

/** Runs the appender until it acknowledged `minAcks` appends, then SIGKILLs it mid-stream. */
function appendThenKill(prefix: string, minAcks: number): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, dir, prefix], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acks: Ack[] = [];
    let pending = '';
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      pending += d.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const [kind, base, last, name] = line.split(' ');
        if (kind === 'ack') acks.push({ base: BigInt(base!), last: BigInt(last!), name: name! });
      }
      if (!killed && acks.length >= minAcks) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acks);
      else reject(new Error(`appender exited with ${code}: ${stderr}`));
    });
  });
}

describe('kill -9 while appending', () => {
  it('keeps every acknowledged record exactly once across repeated crashes', async () => {
    const acked: Ack[] = [];
    for (const round of ['one', 'two', 'three']) {
      acked.push(...(await appendThenKill(round, 300 + Math.floor(Math.random() * 300))));
      const logs = await LogManager.open(dir, { segmentBytes: 64 * 1024, indexIntervalBytes: 1024 });
      expect(logs.openedClean).toBe(false);
      const log = logs.partition('t', 0)!;
      const records = await readAll(log, 0n, 256 * 1024);
      // offsets are dense and unique
      records.forEach(([o], i) => expect(o).toBe(BigInt(i)));
      const byOffset = new Map(records.map(([o, v]) => [o, v]));
      for (const a of acked) {
        for (let o = a.base, k = 0; o <= a.last; o++, k++) {
          const v = byOffset.get(o);
          expect(v?.startsWith(`${a.name}-${k}-`), `offset ${o} should hold ${a.name}-${k}`).toBe(true);
        }
      }
      const names = records.map(([, v]) => v.split('-').slice(0, 3).join('-'));
      expect(new Set(names).size).toBe(names.length);
      await logs.abandon(); // crash again without a clean shutdown
    }
  }, 60_000);
});
