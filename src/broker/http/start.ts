/**
 * Starts the HTTP endpoint for `startBroker`: binds early with the health routes, adds the other routes
 * (routes.ts) once the broker state is ready, and reports the phase to `/readyz`.
 */
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config.js';
import type { BrokerContext } from '../context.js';
import { BrokerHealth } from './health.js';
import { httpRouteInstallers } from './routes.js';
import { HttpServer, type HttpServerOptions } from './server.js';

/** What `startBroker({ http })` accepts beside `httpPort`/`httpHost` (the security settings' hook). */
export type HttpEndpointOptions = Pick<HttpServerOptions, 'tls' | 'authenticate' | 'realm' | 'limits'>;

export interface BrokerHttp {
  readonly server: HttpServer;
  readonly address: { host: string; port: number; tls: boolean };
  /** Logs open and the Kafka listener serves: add the routes, /readyz answers 200. */
  ready(broker: BrokerContext): void;
  /** Shutdown began: /readyz answers 503. */
  stopping(): void;
  close(): Promise<void>;
}

export async function startHttp(config: BrokerConfig, logger: Logger, options: HttpEndpointOptions = {}): Promise<BrokerHttp> {
  const server = new HttpServer({ ...options, host: config.httpHost, port: config.httpPort ?? 0, logger });
  const health = new BrokerHealth();
  health.install(server);
  const bound = await server.listen();
  const address = { ...bound, tls: server.isTls };
  logger.info(address, 'HTTP endpoint listening');
  const loopback = bound.host === '127.0.0.1' || bound.host === '::1' || bound.host.startsWith('127.');
  if (!loopback && !options.authenticate) logger.warn({ host: bound.host }, 'HTTP endpoint reachable beyond this host without authentication: anyone who reaches it reads the metrics');
  return {
    server,
    address,
    ready(broker) {
      for (const install of httpRouteInstallers) install(server, broker);
      server.markStarted();
      health.phase = 'ready';
    },
    stopping() {
      health.phase = 'stopping';
    },
    close: () => server.close(),
  };
}
