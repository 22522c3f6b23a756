/**
 * `/api/streams` and `/api/streams/{name}`: captured streams grouped by name (`numbat-0` … `numbat-4` form
 * the group `numbat`, as replay reads them), each with its events, bytes, frontier and whether it finished;
 * for the group, the frontier a replay of all of them would have (the minimal times over every stream) and
 * which streams hold it there. Reading is bounded by `maxBytes` per request (see stream-scanner.ts).
 */
import { lessThan, numberTimestamp, pairTimestamp, type Timestamp } from '../../../dataflow/timestamp.js';
import type { LogManager } from '../../log/log-manager.js';
import { ApiError, intParam } from './api-error.js';
import type { ReadGate } from './read-gate.js';
import { parseStreamTopic, streamView, type StreamScanner, type StreamView } from './stream-scanner.js';
import { ALL_VISIBLE_VIEWER, type Viewer } from './visibility.js';

export interface HoldingStream {
  topic: string;
  frontier: unknown[] | null;
  /** Time of its last progress event (ms since the epoch): the frontier has not moved since. */
  lastProgressAt: number | null;
}

export interface StreamGroupView {
  name: string;
  streams: StreamView[];
  /** Indices below the highest one that have no topic: a replay of the group waits for them forever. */
  missing: number[];
  /** Minimal times over the streams' frontiers; [] when every stream is complete, null when unknown. */
  frontier: unknown[] | null;
  complete: boolean;
  /** The streams whose frontier is at the group's frontier: they hold a replay back. */
  holdingBack: HoldingStream[];
  /** Every stream has been read up to its high watermark. */
  caughtUp: boolean;
}

export interface StreamsAnswer {
  /** Bytes of records read to answer (the scan goes on where it stopped at the next request). */
  bytesRead: number;
  caughtUp: boolean;
  groups: StreamGroupView[];
}

export interface StreamLimits {
  maxBytes: number;
}

export async function readStreams(logs: LogManager, scanner: StreamScanner, gate: ReadGate, url: URL, limits: StreamLimits, only?: string, who: Viewer = ALL_VISIBLE_VIEWER): Promise<StreamsAnswer> {
  const limit = intParam(url, 'limit', 100, 1, 10_000);
  const maxBytes = intParam(url, 'maxBytes', limits.maxBytes, 1024, limits.maxBytes);
  scanner.prune();
  const byName = new Map<string, string[]>();
  for (const topic of scanner.candidates()) {
    const { name } = parseStreamTopic(topic)!;
    if (only !== undefined && name !== only) continue;
    // A stream's events and frontiers are read from its records: Kafka's Read on the topic.
    if (!who.sees('records', topic)) continue;
    let list = byName.get(name);
    if (!list) byName.set(name, (list = []));
    list.push(topic);
  }
  const names = [...byName.keys()].sort().slice(0, limit);
  const topics = names.flatMap((n) => byName.get(n)!);

  // Read on in each stream within the budget, starting one further along at each request so that one long
  // stream does not take every request's budget from the others.
  let bytesRead = 0;
  await gate.run(async () => {
    const start = topics.length === 0 ? 0 : scanner.nextRotation() % topics.length;
    for (let k = 0; k < topics.length && bytesRead < maxBytes; k++) {
      bytesRead += await scanner.advance(topics[(start + k) % topics.length]!, maxBytes - bytesRead, bytesRead === 0);
    }
  });

  const groups: StreamGroupView[] = [];
  for (const name of names) {
    const views: StreamView[] = [];
    for (const topic of byName.get(name)!) {
      const state = scanner.state(topic);
      const view = state && streamView(logs, state);
      if (view) views.push(view);
    }
    views.sort((a, b) => a.index - b.index);
    // A lone empty "x-1" topic is not a captured stream; a group needs one stream with events.
    if (!views.some((v) => v.records > 0)) continue;
    groups.push(groupView(name, views));
  }
  if (only !== undefined && groups.length === 0) throw new ApiError(404, `no captured streams named ${JSON.stringify(only)} (topics ${only}-0, ${only}-1, …)`);
  return { bytesRead, caughtUp: groups.every((g) => g.caughtUp), groups };
}

export function groupView(name: string, streams: StreamView[]): StreamGroupView {
  const present = new Set(streams.map((s) => s.index));
  const highest = Math.max(...streams.map((s) => s.index));
  const missing: number[] = [];
  for (let i = 0; i <= highest; i++) if (!present.has(i)) missing.push(i);

  const order = orderOf(streams);
  const known = streams.every((s) => s.frontier !== null) && order !== undefined;
  let frontier: unknown[] | null = null;
  let holdingBack: HoldingStream[] = [];
  if (known) {
    // A stream that has not appeared holds the minimum, as in replay.
    const all = streams.flatMap((s) => s.frontier!);
    if (missing.length > 0) all.push(order.minimum);
    frontier = minimal(order, all);
    const atFrontier = new Set(frontier.map((t) => order.key(t)));
    holdingBack = streams
      .filter((s) => s.frontier!.some((t) => atFrontier.has(order.key(t))))
      .map((s) => ({ topic: s.topic, frontier: s.frontier, lastProgressAt: s.lastProgressAt }));
  }
  return {
    name,
    streams,
    missing,
    frontier,
    complete: frontier !== null && frontier.length === 0 && missing.length === 0,
    holdingBack,
    caughtUp: streams.every((s) => s.caughtUp),
  };
}

function orderOf(streams: readonly StreamView[]): Timestamp<unknown> | undefined {
  const sample = streams.flatMap((s) => s.frontier ?? [])[0];
  if (sample === undefined || typeof sample === 'number') return numberTimestamp as Timestamp<unknown>;
  if (Array.isArray(sample) && sample.length === 2) return pairTimestamp as unknown as Timestamp<unknown>;
  return undefined;
}

/** The minimal elements of `times`, without duplicates. */
function minimal(order: Timestamp<unknown>, times: readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  const seen = new Set<unknown>();
  for (const t of times) {
    const key = order.key(t);
    if (seen.has(key)) continue;
    if (times.some((u) => lessThan(order, u, t))) continue;
    seen.add(key);
    out.push(t);
  }
  return out;
}
