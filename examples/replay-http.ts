/**
 * `--http-port P [--http-host H]` for the replay examples (issue 14): the worker mesh's per-process frontiers
 * on `/api/replay` and as `kafkaesque_replay_*` gauges on `/metrics`. With the embedded broker they join the
 * broker's own endpoint (started with that port); with `--brokers` the example serves them itself.
 */
import type { RunningBroker } from '../src/broker/running-broker.js';
import type { ReplayFrontierSource } from '../src/broker/metrics/replay-metrics.js';
import { usage } from './common.js';

export const HTTP_HELP = '[--http-port P (off unless given; 0 picks a free one)] [--http-host H (default 127.0.0.1)]';

export interface HttpFlags {
  httpPort?: number;
  httpHost: string;
}

/** Takes --http-port and --http-host (also as --flag=value) out of argv. */
export function takeHttpFlags(argv: string[], help: string): HttpFlags {
  const flags: HttpFlags = { httpHost: '127.0.0.1' };
  for (let i = 0; i < argv.length; ) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (flag !== '--http-port' && flag !== '--http-host') {
      i++;
      continue;
    }
    const value = inline ?? argv[i + 1];
    if (value === undefined || value === '') usage(`${flag} needs a value\n${help}`);
    argv.splice(i, inline === undefined ? 2 : 1);
    if (flag === '--http-host') flags.httpHost = value;
    else {
      const port = Number(value);
      if (!Number.isInteger(port) || port < 0 || port > 65535) usage(`--http-port must be 0..65535\n${help}`);
      flags.httpPort = port;
    }
  }
  return flags;
}

/** The broker settings for an embedded broker that serves the endpoint (none when --http-port is absent). */
export function brokerHttpSettings(flags: HttpFlags): { httpPort?: number; httpHost?: string } {
  return flags.httpPort === undefined ? {} : { httpPort: flags.httpPort, httpHost: flags.httpHost };
}

export interface ReplayHttp {
  /** Pass to execute's options (`meshFrontiers`); undefined when no endpoint was asked for. */
  meshFrontiers: ((read: ReplayFrontierSource) => void) | undefined;
  /** Where /api/replay is served, or null. */
  address: { host: string; port: number } | null;
  close(): Promise<void>;
}

/** Serves the replay frontiers on the embedded broker's endpoint, or on an endpoint of this process's own. */
export async function serveReplayHttp(flags: HttpFlags, broker: RunningBroker | undefined): Promise<ReplayHttp> {
  if (flags.httpPort === undefined) return { meshFrontiers: undefined, address: null, close: async () => {} };
  // Loaded only here: worker threads import the examples too and never serve HTTP.
  const { replaySourceOn, startReplayEndpoint } = await import('../src/broker/http/replay-route.js');
  const setSource = broker?.httpServer ? replaySourceOn(broker.httpServer) : null;
  if (broker && setSource) {
    return { meshFrontiers: setSource, address: broker.http ? { host: broker.http.host, port: broker.http.port } : null, close: async () => {} };
  }
  const { createLogger } = await import('../src/broker/logger.js');
  const endpoint = await startReplayEndpoint({ host: flags.httpHost, port: flags.httpPort, logger: createLogger('warn') });
  process.stderr.write(`replay frontiers on http://${endpoint.address.host}:${endpoint.address.port}/api/replay and /metrics\n`);
  return { meshFrontiers: (read) => endpoint.setSource(read), address: endpoint.address, close: () => endpoint.close() };
}
