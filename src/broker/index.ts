/**
 * `startBroker(options)`: opens the logs in `dataDir`, binds, and serves the Kafka protocol until `close()`.
 *
 *   const broker = await startBroker({ dataDir, port: 0 });   // port 0: a free port
 *   // clients connect to `${broker.host}:${broker.port}`
 *   await broker.close();                                      // finish in-flight requests, flush, mark clean
 */
import type { Logger } from 'pino';
import { resolveConfig, type BrokerConfig } from './config.js';
import type { BrokerContext, BrokerServices, ServiceStarter, ServiceStop } from './context.js';
import { handlerMap, handlers as registeredHandlers } from './handlers/index.js';
import type { Handler } from './handlers/handler.js';
import { LogManager } from './log/log-manager.js';
import { createLogger } from './logger.js';
import { BrokerServer } from './server.js';
import { startHttp, type BrokerHttp, type HttpEndpointOptions } from './http/start.js';
import { BrokerMetrics } from './metrics/broker-metrics.js';
import type { RunningBroker } from './running-broker.js';
import { serviceStarters } from './services.js';
import { Topics } from './topics.js';

export type { BrokerConfig } from './config.js';
export { resolveConfig, DEFAULT_CONFIG, ConfigError } from './config.js';
export { inProcessLink, InProcessLink } from './in-process-link.js';
export type { RunningBroker } from './running-broker.js';
export type { HttpEndpointOptions } from './http/start.js';

export interface StartBrokerOptions extends Partial<BrokerConfig> {
  /** Use this logger instead of a new stderr one at `logLevel`. */
  logger?: Logger;
  /** Replace the handler registry (tests, experiments). */
  handlers?: readonly Handler[];
  /** Extra services to start, after the registered ones. */
  services?: readonly ServiceStarter[];
  /** HTTP endpoint settings that are not plain config (TLS, basic auth, limits); used with `httpPort`. */
  http?: HttpEndpointOptions;
}

const CLUSTER_ID = 'kafkaesque-local-cluster';
const NODE_ID = 0;

export async function startBroker(options: StartBrokerOptions = {}): Promise<RunningBroker> {
  const { logger: givenLogger, handlers: givenHandlers, services: extraServices, http: givenHttp, ...settings } = options;
  const config = resolveConfig(settings);
  const logger = givenLogger ?? createLogger(config.logLevel);
  const handlerList = givenHandlers ?? registeredHandlers;
  const handlers = handlerMap(handlerList);

  // Bound before the logs open, so /healthz answers (and /readyz says "starting") during a long recovery.
  const http: BrokerHttp | null = config.httpPort === null ? null : await startHttp(config, logger, givenHttp);
  const openStarted = performance.now();
  let logs: LogManager;
  try {
    logs = await LogManager.open(config.dataDir, config, { logger });
  } catch (err) {
    await http?.close();
    throw err;
  }
  const openMs = performance.now() - openStarted;
  // After a crash this is the recovery time (every batch past the checkpoint validated).
  logger.info({ ms: Math.round(openMs), recovered: !logs.openedClean, dataDir: config.dataDir }, 'logs opened');
  const server = new BrokerServer({ host: config.host, port: config.port, maxConnections: config.maxConnections, logger, handlers });
  let bound: { host: string; port: number };
  try {
    bound = await server.listen();
  } catch (err) {
    await http?.close();
    await logs.close();
    throw err;
  }
  const wildcard = bound.host === '0.0.0.0' || bound.host === '::';
  const context: BrokerContext = {
    config,
    logs,
    topics: new Topics(logs),
    logger,
    nodeId: NODE_ID,
    clusterId: CLUSTER_ID,
    advertisedHost: config.advertisedHost ?? (wildcard ? '127.0.0.1' : bound.host),
    advertisedPort: config.advertisedPort ?? bound.port,
    services: {} as Partial<BrokerServices>,
    apis: [...handlers.values()]
      .map((h) => ({ apiKey: h.codec.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }))
      .sort((a, b) => a.apiKey - b.apiKey),
  };

  if (http) {
    // A fresh data dir has no clean-shutdown marker either; only one holding topics was recovered.
    const metrics = new BrokerMetrics(context, { logOpenSeconds: openMs / 1000, recovered: !logs.openedClean && logs.topics().length > 0 });
    const refusals = http.server.refusals;
    metrics.addRefusalSource(() => ({ 'http-max-connections': refusals.maxConnections, 'http-max-header-size': refusals.maxHeaderSize, 'http-request-timeout': refusals.requestTimeout }));
    context.services.metrics = metrics;
  }

  const stops: ServiceStop[] = [];
  for (const start of [...serviceStarters, ...(extraServices ?? [])]) {
    const stop = await start(context);
    if (stop) stops.push(stop);
  }

  // Housekeeping only: retention deletes whole old segments on a slow timer; nothing on the data path polls.
  const retention = setInterval(() => {
    logs.runRetention().catch((err: unknown) => {
      context.services.metrics?.storageError('retention');
      logger.error({ err }, 'retention failed');
    });
  }, config.retentionCheckIntervalMs);
  retention.unref();

  server.attach(context);
  http?.ready(context);
  logger.info({ host: bound.host, port: bound.port, dataDir: config.dataDir, http: http?.address }, 'broker listening');

  let closing: Promise<void> | null = null;
  const closingSignal = new AbortController();
  return {
    host: bound.host,
    port: bound.port,
    config,
    context,
    http: http?.address ?? null,
    httpServer: http?.server ?? null,
    closing: closingSignal.signal,
    close() {
      closingSignal.abort();
      closing ??= (async () => {
        clearInterval(retention);
        http?.stopping();
        await server.close();
        for (const stop of stops.reverse()) await stop();
        await logs.close();
        await http?.close();
        logger.info('broker closed cleanly');
      })();
      return closing;
    },
  };
}
