/**
 * A stuck multi-process replay names the process that holds its frontier (issue 14): two real processes replay
 * with one exchange; process 1's stream never releases time 0, process 0's is done. Each process's relay sees
 * every worker's progress, so both report process 1, at 0. The wait is on the report line itself.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { MeshFrontiers } from '../../src/workers/mesh-frontiers.js';
import type { MeshStallReport } from '../../src/workers/mesh-frontiers.js';
import { freeHosts } from './free-ports.js';

const main = new URL('./fixtures/mesh-main.ts', import.meta.url).pathname;

function startProcess(spec: Record<string, unknown>) {
  const child = spawn(process.execPath, ['--import', 'tsx', main, JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const report = new Promise<MeshStallReport>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('meshstall '));
      if (line) resolve(JSON.parse(line.slice('meshstall '.length)) as MeshStallReport);
    });
    child.on('exit', (code) => reject(new Error(`exited (${code}) without a mesh stall report:\n${out}`)));
  });
  report.catch(() => {});
  return { child, report };
}

describe('mesh frontiers', { timeout: 90_000 }, () => {
  it('a stuck two-process replay reports the process that holds the frontier', async () => {
    const hosts = await freeHosts(2);
    const spec = (p: number) => ({ process: p, processes: 2, workers: 1, hosts, job: 'holdOnProcess1', args: {}, meshStallAfterMs: 300 });
    const runs = [startProcess(spec(0)), startProcess(spec(1))];
    try {
      const reports = await Promise.all(runs.map((r) => r.report));
      for (const report of reports) {
        expect(report.stalledForMs).toBeGreaterThanOrEqual(300);
        const hold = report.exchanges.find((e) => e.exchange === 'hold')!;
        expect(hold.frontier).toEqual([0]);
        expect(hold.holding).toEqual([1]);
        expect(hold.processes.map((p) => [p.process, p.frontier])).toEqual([[0, []], [1, [0]]]);
        expect(report.message).toContain(`exchange "hold" stuck at 0, held by process 1 (${hosts[1]}) at 0`);
      }
    } finally {
      for (const r of runs) r.child.kill('SIGKILL');
    }
  });

  it('sums progress per worker: implicit capability at the first time, then every change', () => {
    const frontiers = new MeshFrontiers(['a:1', 'b:1'], 2, 2);
    // Workers 0..3; worker 0 replays two streams, worker 3 none, workers 1 and 2 one each.
    frontiers.observe({ name: 'x', from: 0, changes: [[0, 1]] });
    frontiers.observe({ name: 'x', from: 1, changes: [[0, 0]] });
    frontiers.observe({ name: 'x', from: 3, changes: [[0, -1]] });
    let [x] = frontiers.snapshot();
    expect(x!.holding).toEqual([0, 1]); // worker 2 unheard: process 1 holds implicitly
    frontiers.observe({ name: 'x', from: 2, changes: [[0, 0]] });
    frontiers.observe({ name: 'x', from: 0, changes: [[0, -2], [5, 2]] });
    frontiers.observe({ name: 'x', from: 1, changes: [[0, -1], [3, 1]] });
    frontiers.observe({ name: 'x', from: 2, changes: [[0, -1], [4, 1]] });
    [x] = frontiers.snapshot();
    expect(x!.frontier).toEqual([3]);
    expect(x!.processes.map((p) => p.frontier)).toEqual([[3], [4]]);
    expect(x!.holding).toEqual([0]);
    frontiers.observe({ name: 'x', from: 1, changes: [[3, -1]] });
    frontiers.observe({ name: 'x', from: 2, changes: [[4, -1]] });
    frontiers.observe({ name: 'x', from: 0, changes: [[5, -2]] });
    [x] = frontiers.snapshot();
    expect(x!.frontier).toEqual([]);
    expect(x!.holding).toEqual([]);
  });
});
