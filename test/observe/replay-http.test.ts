/**
 * A stuck two-process replay, seen over HTTP (issue 14): process 1's stream never releases time 0, process
 * 0's is done. Process 0 serves the frontiers on its embedded broker's endpoint (beside the broker's own
 * metrics), process 1 on an endpoint of its own (a process without a broker, as with --brokers). Both must
 * name process 1 on /api/replay and in the kafkaesque_replay_* gauges, parsed by a Prometheus text parser.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { MeshFrontiers } from '../../src/workers/mesh-frontiers.js';
import { numericFrontier } from '../../src/broker/metrics/replay-metrics.js';
import { freeHosts } from '../workers/free-ports.js';
import { scrape } from './prom-text.js';
import { chromium } from 'playwright-core';
import { CHROMIUM, hasChromium } from './console-helpers.js';

const main = new URL('./fixtures/replay-http-main.ts', import.meta.url).pathname;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kq-replay-http-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

function startProcess(spec: Record<string, unknown>) {
  const child = spawn(process.execPath, ['--import', 'tsx', main, JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const http = new Promise<{ host: string; port: number }>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^http (\S+):(\d+)$/m.exec(out);
      if (m) resolve({ host: m[1]!, port: Number(m[2]) });
    });
    child.on('exit', (code) => reject(new Error(`exited (${code}) before serving HTTP:\n${out}`)));
  });
  http.catch(() => {});
  return { child, http, output: () => out };
}

interface ReplayJson {
  exchanges: { exchange: string; frontier: unknown[]; holding: number[]; since: number; stalledSeconds: number; processes: { process: number; frontier: unknown[]; holding: boolean; silentWorkers: number; since: number }[] }[];
}

async function getReplay(http: { host: string; port: number }): Promise<ReplayJson> {
  const res = await fetch(`http://${http.host}:${http.port}/api/replay`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return (await res.json()) as ReplayJson;
}

/** Polls /api/replay until `done` holds (bounded: the processes may be slow to connect on a loaded machine). */
async function replayUntil(http: { host: string; port: number }, done: (r: ReplayJson) => boolean, what: string, output: () => string): Promise<ReplayJson> {
  const deadline = Date.now() + 60_000;
  let last: ReplayJson | undefined;
  while (Date.now() < deadline) {
    last = await getReplay(http);
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`/api/replay never showed ${what} in 60 s; last: ${JSON.stringify(last)}\nprocess output:\n${output()}`);
}

/** Opens the Captured streams page in chromium and waits for process 1 marked holding (no console errors). */
async function consoleShowsHolder(http: { host: string; port: number }): Promise<void> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    await page.goto(`http://${http.host}:${http.port}/#/streams`);
    const holder = page.locator('[data-replay-exchange="hold"] tr[data-replay-process="1"]');
    await holder.waitFor({ timeout: 30_000 });
    expect(await holder.getAttribute('class')).toBe('holding');
    expect(await holder.textContent()).toContain('holding');
    expect(await page.locator('[data-replay-exchange="hold"] tr[data-replay-process="0"]').textContent()).toContain('done');
    expect(problems).toEqual([]);
  } finally {
    await browser.close();
  }
}

describe('replay frontiers over HTTP', { timeout: 120_000 }, () => {
  it('a stuck two-process replay names the process holding the frontier on /api/replay and /metrics', async () => {
    const hosts = await freeHosts(2);
    const runs = [
      startProcess({ process: 0, processes: 2, workers: 1, hosts, dataDir }),
      startProcess({ process: 1, processes: 2, workers: 1, hosts }),
    ];
    try {
      const endpoints = await Promise.all(runs.map((r) => r.http));
      for (const [i, http] of endpoints.entries()) {
        const started = Date.now();
        const replay = await replayUntil(http, (r) => r.exchanges.some((e) => e.exchange === 'hold' && e.processes.every((p) => p.silentWorkers === 0) && e.processes.some((p) => p.process === 0 && p.frontier.length === 0)), 'every worker of exchange "hold", and process 0 done', runs[i]!.output);
        const hold = replay.exchanges.find((e) => e.exchange === 'hold')!;
        expect(hold.frontier).toEqual([0]);
        expect(hold.holding).toEqual([1]);
        expect(hold.processes.map((p) => [p.process, p.frontier, p.holding])).toEqual([[0, [], false], [1, [0], true]]);
        expect(hold.since).toBeLessThanOrEqual(Date.now());
        expect(hold.processes[1]!.since).toBeGreaterThan(Date.now() - 120_000);

        // The frontier is stuck: its `since` stays while the stalled time grows.
        await new Promise((r) => setTimeout(r, 300));
        const later = (await getReplay(http)).exchanges.find((e) => e.exchange === 'hold')!;
        expect(later.since).toBe(hold.since);
        expect(later.processes[1]!.since).toBe(hold.processes[1]!.since);
        expect(later.stalledSeconds).toBeGreaterThanOrEqual(0.3);

        const metrics = await scrape(http);
        expect(metrics.value('kafkaesque_replay_holding', { exchange: 'hold', process: 1 })).toBe(1);
        expect(metrics.value('kafkaesque_replay_holding', { exchange: 'hold', process: 0 })).toBe(0);
        expect(metrics.value('kafkaesque_replay_frontier', { exchange: 'hold', process: 1 })).toBe(0);
        // Process 0 is done: its frontier is empty, written as Prometheus's +Inf.
        expect(metrics.samples('kafkaesque_replay_frontier', { exchange: 'hold', process: 0 }).map((s) => s.value)).toEqual(['+Inf']);
        const stalled = metrics.value('kafkaesque_replay_stalled_seconds', { exchange: 'hold' });
        expect(stalled).toBeGreaterThanOrEqual(0.3);
        expect(stalled).toBeLessThanOrEqual((Date.now() - started) / 1000 + 120);
        // Process 0's gauges are in the broker's own registry: its /metrics also has the broker's metrics.
        if (i === 0) expect(metrics.families.some((f) => f.name === 'kafkaesque_requests_total')).toBe(true);
        else expect(metrics.families.some((f) => f.name === 'kafkaesque_requests_total')).toBe(false);
      }
      // The console of process 0's broker shows the mesh on the Captured streams page.
      if (hasChromium()) await consoleShowsHolder(endpoints[0]!);
    } finally {
      for (const r of runs) r.child.kill('SIGKILL');
    }
  });

  it("`since`: when a frontier last changed, not when its process last sent progress", () => {
    vi.useFakeTimers({ now: 1_000 });
    try {
      const frontiers = new MeshFrontiers(['a:1', 'b:1'], 1, 2);
      frontiers.observe({ name: 'x', from: 0, changes: [[0, 0]] });
      vi.setSystemTime(2_000);
      frontiers.observe({ name: 'x', from: 1, changes: [[0, 0]] });
      let [x] = frontiers.snapshot();
      expect(x!.processes.map((p) => p.since)).toEqual([1_000, 2_000]);
      expect(x!.since).toBe(2_000);
      // Process 1 sends progress that leaves its frontier where it was: its `since` stays.
      vi.setSystemTime(5_000);
      frontiers.observe({ name: 'x', from: 1, changes: [[0, -1], [0, 1]] });
      [x] = frontiers.snapshot();
      expect(x!.processes.map((p) => p.since)).toEqual([1_000, 2_000]);
      expect(x!.since).toBe(2_000);
      // Process 0 finishes: its frontier and the exchange's change.
      vi.setSystemTime(7_000);
      frontiers.observe({ name: 'x', from: 0, changes: [[0, -1]] });
      [x] = frontiers.snapshot();
      expect(x!.processes.map((p) => [p.frontier, p.since])).toEqual([[[], 7_000], [[0], 2_000]]);
      expect(x!.holding).toEqual([1]);
      expect(x!.since).toBe(2_000); // still stuck at 0
    } finally {
      vi.useRealTimers();
    }
  });

  it('numeric frontiers: the smallest time, +Inf when done, none for non-numeric times', () => {
    expect(numericFrontier([])).toBe(Infinity);
    expect(numericFrontier([7, 3])).toBe(3);
    expect(numericFrontier([5n])).toBe(5);
    expect(numericFrontier([[1, 2]])).toBeNull();
  });
});
