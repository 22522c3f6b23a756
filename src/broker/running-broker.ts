/**
 * What `startBroker()` returns. Its own file, so in-process users (the in-process link) can name it without
 * importing the module that starts the broker.
 */
import type { BrokerConfig } from './config.js';
import type { BrokerContext } from './context.js';

export interface RunningBroker {
  /** The address actually bound. */
  readonly host: string;
  readonly port: number;
  readonly config: BrokerConfig;
  /** Broker state, for in-process tools and tests. */
  readonly context: BrokerContext;
  /** Aborted as soon as close() begins, so in-process users (the in-process link) stop taking new work. */
  readonly closing: AbortSignal;
  /** Stop accepting, finish in-flight requests, stop services, flush and close the logs (clean shutdown). */
  close(): Promise<void>;
}
