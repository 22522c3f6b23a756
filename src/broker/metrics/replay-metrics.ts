/**
 * A multi-process replay's frontiers as Prometheus gauges (issue 14: which process holds a stuck frontier).
 * The broker layer knows nothing of workers: the view below is what the worker mesh's snapshot
 * (workers/mesh-frontiers.ts) already looks like, read at scrape time, so nothing is counted on a hot path.
 */
import type { Registry } from 'prom-client';
import { scrapeMetric, type Sample } from './scrape-metric.js';

export interface ReplayProcessView {
  process: number;
  address: string;
  /** The times this process's workers still hold (empty: done). */
  frontier: readonly unknown[];
  /** Workers not heard from yet (they hold the minimum implicitly). */
  silentWorkers: number;
  /** Epoch ms when this process's frontier last changed. */
  since: number;
}

export interface ReplayExchangeView {
  exchange: string;
  frontier: readonly unknown[];
  processes: readonly ReplayProcessView[];
  /** The processes holding the exchange's frontier back (empty: the exchange is done). */
  holding: readonly number[];
  /** Epoch ms when the exchange's frontier last changed. */
  since: number;
}

/** Reads the current frontiers (called per scrape and per /api/replay request). */
export type ReplayFrontierSource = () => readonly ReplayExchangeView[];

/**
 * The smallest time of a frontier as a number, when its times are numbers (or bigints); +Inf for an empty
 * (finished) frontier; null when the times are not numeric (tuples, strings: /api/replay still shows them).
 */
export function numericFrontier(frontier: readonly unknown[]): number | null {
  if (frontier.length === 0) return Infinity;
  let min = Infinity;
  for (const t of frontier) {
    if (typeof t === 'number') min = Math.min(min, t);
    else if (typeof t === 'bigint') min = Math.min(min, Number(t));
    else return null;
  }
  return min;
}

/** Registers the replay gauges into `registry` (the one /metrics serves). */
export function registerReplayMetrics(registry: Registry, read: ReplayFrontierSource): void {
  scrapeMetric(registry, 'kafkaesque_replay_frontier', "Smallest time of each process's replay frontier, per progress exchange (+Inf: done; absent when times are not numbers)", 'gauge', () => {
    const out: Sample[] = [];
    for (const e of read()) {
      for (const p of e.processes) {
        const value = numericFrontier(p.frontier);
        if (value !== null) out.push({ labels: { exchange: e.exchange, process: p.process }, value });
      }
    }
    return out;
  });
  scrapeMetric(registry, 'kafkaesque_replay_holding', 'Whether the process holds the exchange\'s frontier back (1) or not (0)', 'gauge', () =>
    read().flatMap((e) => e.processes.map((p) => ({ labels: { exchange: e.exchange, process: p.process }, value: e.holding.includes(p.process) ? 1 : 0 }))),
  );
  scrapeMetric(registry, 'kafkaesque_replay_stalled_seconds', "Seconds since the exchange's frontier last moved while some process holds it (0 when done)", 'gauge', () => {
    const now = Date.now();
    return read().map((e) => ({ labels: { exchange: e.exchange }, value: e.holding.length > 0 ? Math.max(0, now - e.since) / 1000 : 0 }));
  });
}
