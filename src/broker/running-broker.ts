/**
 * What `startBroker()` returns. Its own file, so in-process users (the in-process link) can name it without
 * importing the module that starts the broker.
 */
import type { BrokerConfig } from './config.js';
import type { BrokerContext } from './context.js';
import type { HttpServer } from './http/server.js';

export interface RunningBroker {
  /** The address actually bound (the first listener's). */
  readonly host: string;
  readonly port: number;
  /** Every listener with the address it bound, in `--listeners` order. */
  readonly listeners: ReadonlyArray<{ readonly protocol: string; readonly host: string; readonly port: number }>;
  /** Re-reads the TLS certificate files (SIGHUP); open connections keep theirs. False if there is no TLS or it failed. */
  reloadCertificates(): boolean;
  readonly config: BrokerConfig;
  /** Broker state, for in-process tools and tests. */
  readonly context: BrokerContext;
  /** The HTTP endpoint's bound address (`--http-port`), or null when it is off. */
  readonly http: { host: string; port: number; tls: boolean } | null;
  /** The HTTP endpoint itself, to add routes from in-process code (routes.ts is the usual place), or null. */
  readonly httpServer: HttpServer | null;
  /** Aborted as soon as close() begins, so in-process users (the in-process link) stop taking new work. */
  readonly closing: AbortSignal;
  /** Stop accepting, finish in-flight requests, stop services, flush and close the logs (clean shutdown). */
  close(): Promise<void>;
}
