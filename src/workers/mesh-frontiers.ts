/**
 * The frontier of every process of a multi-process run, per progress exchange (issue 14): the main thread of
 * each process relays every worker's progress messages (its own workers' out, the others' in), so it can sum
 * them per worker and tell which process holds an exchange's frontier. Only built when asked for (execute's
 * `onMeshStall` or `meshFrontiers`): the relay then spends one map update per change it forwards.
 *
 * A replaying worker's first message is its adjustment of the implicit capabilities at the minimum (replay.ts:
 * `streams - 1` there, beside the one every worker assumes per worker), so that message's first time is where
 * the worker's own implicit capability is counted.
 */
import { antichain, holdsFrontier, LooseCounts } from '../replay/loose-time.js';
import type { ExchangeMessage } from './mesh-frames.js';

export interface ProcessFrontier {
  process: number;
  address: string;
  /** The times this process's workers still hold in this exchange (empty: all of them are done). */
  frontier: unknown[];
  /** No progress of some of its workers was seen yet: they hold the minimum implicitly. */
  silentWorkers: number;
  /** Epoch ms when this process's frontier last changed (the latest of its workers' messages by then). */
  since: number;
}

export interface ExchangeFrontier {
  exchange: string;
  /** The exchange's global frontier (what every replaying worker's output frontier is). */
  frontier: unknown[];
  processes: ProcessFrontier[];
  /** The processes that hold that frontier back. */
  holding: number[];
  /** Epoch ms when the exchange's frontier last changed. */
  since: number;
}

export interface MeshStallReport {
  stalledForMs: number;
  exchanges: ExchangeFrontier[];
  message: string;
}

function show(times: readonly unknown[]): string {
  return times.length === 0 ? '(empty)' : times.map((t) => (typeof t === 'bigint' ? `${t}n` : JSON.stringify(t))).join(', ');
}

export class MeshFrontiers {
  /** exchange → worker index → its counts. */
  private readonly exchanges = new Map<string, Map<number, LooseCounts>>();
  /** exchange → process → when one of its workers' messages last arrived (one clock read per message). */
  private readonly heardAt = new Map<string, number[]>();
  /** exchange → [its key, then each process's key] and when each last changed, as of the last snapshot. */
  private readonly seen = new Map<string, { keys: string[]; since: number[] }>();

  constructor(private readonly hosts: readonly string[], private readonly workersPerProcess: number, private readonly processes: number) {}

  observe(message: ExchangeMessage): void {
    let workers = this.exchanges.get(message.name);
    if (!workers) this.exchanges.set(message.name, (workers = new Map()));
    let counts = workers.get(message.from);
    if (!counts) {
      workers.set(message.from, (counts = new LooseCounts()));
      const first = message.changes[0];
      if (first) counts.update(first[0], 1);
    }
    for (const [time, delta] of message.changes) counts.update(time, delta);
    let heard = this.heardAt.get(message.name);
    // A process not heard from yet has held its (implicit) frontier since the exchange began.
    if (!heard) this.heardAt.set(message.name, (heard = new Array<number>(this.processes).fill(Date.now())));
    heard[Math.floor(message.from / this.workersPerProcess)] = Date.now();
  }

  snapshot(): ExchangeFrontier[] {
    const result: ExchangeFrontier[] = [];
    for (const [exchange, workers] of this.exchanges) {
      const processes: ProcessFrontier[] = [];
      for (let p = 0; p < this.processes; p++) {
        const times: unknown[] = [];
        let silent = 0;
        for (let w = p * this.workersPerProcess; w < (p + 1) * this.workersPerProcess; w++) {
          const counts = workers.get(w);
          if (counts) times.push(...counts.positive());
          else silent++;
        }
        processes.push({ process: p, address: this.hosts[p] ?? '?', frontier: antichain(times), silentWorkers: silent, since: 0 });
      }
      const frontier = antichain(processes.flatMap((p) => p.frontier));
      const holding = processes.filter((p) => p.silentWorkers > 0 || holdsFrontier(p.frontier, frontier)).map((p) => p.process);
      const since = this.changeTimes(exchange, frontier, processes);
      result.push({ exchange, frontier, processes, holding: frontier.length === 0 && processes.every((p) => p.silentWorkers === 0) ? [] : holding, since });
    }
    return result;
  }

  /**
   * Fills each process's `since` and returns the exchange's: a frontier that differs from the previous
   * snapshot's changed when the latest message that could have changed it arrived (the exchange's: the
   * latest of any process), one that is the same keeps its time. Exact when snapshots are taken often.
   */
  private changeTimes(exchange: string, frontier: unknown[], processes: ProcessFrontier[]): number {
    const heard = this.heardAt.get(exchange) ?? [];
    const keys = [show(frontier), ...processes.map((p) => `${show(p.frontier)}/${p.silentWorkers}`)];
    const times = [Math.max(0, ...heard), ...processes.map((p) => heard[p.process] ?? 0)];
    const before = this.seen.get(exchange);
    const since = keys.map((key, i) => (before && before.keys[i] === key ? before.since[i]! : times[i]!));
    this.seen.set(exchange, { keys, since });
    processes.forEach((p, i) => (p.since = since[i + 1]!));
    return since[0]!;
  }

  /** The snapshot's key: unchanged key, unchanged frontiers. */
  static key(snapshot: readonly ExchangeFrontier[]): string {
    return JSON.stringify(snapshot.map((e) => [e.exchange, show(e.frontier), e.processes.map((p) => [show(p.frontier), p.silentWorkers])]));
  }

  static report(snapshot: readonly ExchangeFrontier[], stalledForMs: number): MeshStallReport {
    const parts = snapshot
      .filter((e) => e.holding.length > 0)
      .map((e) => {
        const holders = e.holding.map((p) => {
          const pf = e.processes[p]!;
          return `process ${p} (${pf.address}) at ${show(pf.frontier)}${pf.silentWorkers > 0 ? `, ${pf.silentWorkers} worker(s) not heard from yet` : ''}`;
        });
        return `exchange "${e.exchange}" stuck at ${show(e.frontier)}, held by ${holders.join('; ')}`;
      });
    return { stalledForMs, exchanges: [...snapshot], message: `mesh frontier has not moved for ${stalledForMs} ms: ${parts.join('. ')}` };
  }
}

/**
 * Reports a mesh whose frontiers have not changed for `afterMs`: one unref'd timer, armed when progress is
 * observed and re-armed at each check while any exchange is unfinished; it compares snapshots, so a stall is
 * seen between one and two windows after the last change.
 */
export class MeshStallWatch {
  private timer: NodeJS.Timeout | undefined;
  private lastKey = '';
  private changedAt = Date.now();
  private stopped = false;

  constructor(private readonly frontiers: MeshFrontiers, private readonly afterMs: number, private readonly onStall: (report: MeshStallReport) => void) {
    if (!(afterMs > 0)) throw new RangeError(`meshStallAfterMs must be positive, got ${afterMs}`);
  }

  /** Progress was observed: make sure a check is coming. */
  poke(): void {
    if (this.timer === undefined && !this.stopped) this.arm();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    this.timer = setTimeout(() => this.check(), this.afterMs);
    this.timer.unref();
  }

  private check(): void {
    this.timer = undefined;
    const snapshot = this.frontiers.snapshot();
    const key = MeshFrontiers.key(snapshot);
    const now = Date.now();
    if (key !== this.lastKey) {
      this.lastKey = key;
      this.changedAt = now;
    } else if (now - this.changedAt >= this.afterMs && snapshot.some((e) => e.holding.length > 0)) {
      this.onStall(MeshFrontiers.report(snapshot, now - this.changedAt));
    }
    if (snapshot.some((e) => e.holding.length > 0)) this.arm();
  }
}
