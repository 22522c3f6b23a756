/**
 * What `startBroker()` returns. Its own file, so in-process users (the in-process link) can name it without
 * importing the module that starts the broker.
 */
import type { BrokerConfig } from './config.js';
import type { BrokerContext } from './context.js';

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
  /** Aborted as soon as close() begins, so in-process users (the in-process link) stop taking new work. */
  readonly closing: AbortSignal;
  /** Stop accepting, finish in-flight requests, stop services, flush and close the logs (clean shutdown). */
  close(): Promise<void>;
}
