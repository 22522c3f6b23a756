/**
 * `/api/replay` and the replay gauges on an HTTP endpoint (issue 14): a multi-process replay (the worker mesh)
 * shows per exchange and per process its frontier, whether it holds the exchange back, and since when. Served
 * by the embedded broker's endpoint (`startBroker({ httpPort })`), or, with no broker in the process
 * (`--brokers`), by `startReplayEndpoint`, the same HTTP server with only these routes and /metrics.
 */
import { Registry } from 'prom-client';
import type { Logger } from 'pino';
import { registerReplayMetrics, type ReplayExchangeView, type ReplayFrontierSource } from '../metrics/replay-metrics.js';
import type { HttpRouteInstaller } from './route-installer.js';
import { HttpServer, json, type HttpServerOptions } from './server.js';

/** JSON for a time: bigints as strings with an `n` (JSON has no bigint), everything else as is. */
function jsonTime(t: unknown): unknown {
  return typeof t === 'bigint' ? `${t}n` : t;
}

/** The /api/replay body: times in ms since the epoch (as the rest of /api), and the stall in seconds. */
export function replayBody(exchanges: readonly ReplayExchangeView[], now = Date.now()): unknown {
  return {
    exchanges: exchanges.map((e) => ({
      exchange: e.exchange,
      frontier: e.frontier.map(jsonTime),
      holding: e.holding,
      since: e.since,
      stalledSeconds: e.holding.length > 0 ? Math.max(0, now - e.since) / 1000 : 0,
      processes: e.processes.map((p) => ({
        process: p.process,
        address: p.address,
        frontier: p.frontier.map(jsonTime),
        holding: e.holding.includes(p.process),
        silentWorkers: p.silentWorkers,
        since: p.since,
      })),
    })),
  };
}

/**
 * Serves the replay frontiers on `server` and in `registry` (the registry /metrics serves). `read` may be
 * given later through the returned setter (execute hands it over once the mesh starts); until then the
 * replay is empty.
 */
export function serveReplay(server: HttpServer, registry: Registry | null): (read: ReplayFrontierSource) => void {
  let source: ReplayFrontierSource = () => [];
  const read = (): readonly ReplayExchangeView[] => source();
  server.registerRoute('GET', '/api/replay', (_req, res) => json(res, 200, replayBody(read())));
  if (registry) registerReplayMetrics(registry, read);
  return (given) => {
    source = given;
  };
}

/** The broker endpoints' setters (installReplayRoute), so in-process code hands over its replay's reader. */
const brokerSources = new WeakMap<HttpServer, (read: ReplayFrontierSource) => void>();

/**
 * The broker's /api/replay (empty until a replay in this process hands over its frontiers with
 * `replaySourceOn(broker.httpServer)`), so the console can always ask for it; the gauges join /metrics.
 */
export const installReplayRoute: HttpRouteInstaller = (http, broker) => {
  brokerSources.set(http, serveReplay(http, broker.services.metrics?.registry ?? null));
};

/** Where a replay in this process hands its frontiers to the broker's endpoint (null: no replay route there). */
export function replaySourceOn(server: HttpServer): ((read: ReplayFrontierSource) => void) | null {
  return brokerSources.get(server) ?? null;
}

export interface ReplayEndpoint {
  readonly address: { host: string; port: number };
  /** Hands over the frontiers' reader (execute's `meshFrontiers`). */
  setSource(read: ReplayFrontierSource): void;
  close(): Promise<void>;
}

/**
 * A standalone endpoint for a process without a broker: /api/replay and /metrics (the replay gauges only,
 * no process metrics: the broker's endpoint has those). Same limits and security hook as the broker's.
 */
export async function startReplayEndpoint(options: Omit<HttpServerOptions, 'logger'> & { logger: Logger }): Promise<ReplayEndpoint> {
  const server = new HttpServer(options);
  const registry = new Registry();
  const setSource = serveReplay(server, registry);
  server.registerRoute('GET', '/metrics', async (_req, res) => {
    const body = await registry.metrics();
    res.statusCode = 200;
    res.setHeader('Content-Type', registry.contentType);
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(body);
  });
  server.markStarted();
  const address = await server.listen();
  const loopback = address.host === '::1' || address.host.startsWith('127.');
  if (!loopback && !options.authenticate) options.logger.warn({ host: address.host }, 'replay endpoint reachable beyond this host without authentication');
  return { address, setSource, close: () => server.close() };
}
