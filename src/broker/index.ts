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
import { BrokerServer, type BoundListener } from './server.js';
import { advertisedByListener, checkListenerRequirements, configuredListeners, isLoopback, usesSasl, usesTls } from './security/listeners.js';
import { parseSaslMechanisms } from './security/sasl-session.js';
import { ScramStore } from './security/scram-store.js';
import { TlsAcceptor } from './security/tls.js';
import { startHttp, type BrokerHttp, type HttpEndpointOptions } from './http/start.js';
import { httpSecurity } from './http/security.js';
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

  // Security settings are checked before anything is opened, so a bad flag fails fast.
  const listeners = configuredListeners(config);
  checkListenerRequirements(config, listeners);
  const advertised = advertisedByListener(config, listeners);
  const mechanisms = parseSaslMechanisms(config.saslMechanisms);
  const tls = listeners.some((l) => usesTls(l.protocol)) ? new TlsAcceptor(config, logger) : null;

  // Bound before the logs open, so /healthz answers (and /readyz says "starting") during a long recovery.
  // HTTPS and basic auth follow the Kafka listeners' settings (http/security.ts); `http` options override.
  const httpSec = httpSecurity(config, listeners.some((l) => usesSasl(l.protocol)), logger);
  const http: BrokerHttp | null = config.httpPort === null ? null : await startHttp(config, logger, { ...httpSec.options, ...givenHttp });
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
  let scram: ScramStore;
  try {
    scram = await ScramStore.open(config.dataDir, config.usersFile);
  } catch (err) {
    await http?.close();
    await logs.close();
    throw err;
  }
  httpSec.useStore(scram);
  const sasl = listeners.some((l) => usesSasl(l.protocol)) ? { mechanisms, store: scram } : null;
  if (sasl && scram.size === 0) logger.warn('SASL listener without users: no client can authenticate (give --users FILE)');
  const server = new BrokerServer({ listeners, tls, sasl, maxConnections: config.maxConnections, logger, handlers });
  let boundListeners: BoundListener[];
  try {
    boundListeners = await server.listen();
  } catch (err) {
    await http?.close();
    await logs.close();
    throw err;
  }
  for (const l of boundListeners) {
    const authenticated = usesSasl(l.protocol) || (l.protocol === 'SSL' && config.sslClientAuth === 'required');
    if (!authenticated && !isLoopback(l.host)) {
      logger.warn({ listener: l.protocol, host: l.host, port: l.port }, `${l.protocol} listener on non-loopback ${l.host}:${l.port} has no authentication: anyone who can reach it can read, write and delete everything (use SASL_SSL/SASL_PLAINTEXT or SSL with --ssl-client-auth required)`);
    }
  }
  const advertisedOf = (l: BoundListener): { host: string; port: number } => {
    const given = advertised.get(l.protocol);
    if (given) return given;
    const wildcard = l.host === '0.0.0.0' || l.host === '::';
    // --advertised-host/--advertised-port predate --advertised-listeners and apply to the first listener.
    if (l === boundListeners[0]) return { host: config.advertisedHost ?? (wildcard ? '127.0.0.1' : l.host), port: config.advertisedPort ?? l.port };
    return { host: wildcard ? '127.0.0.1' : l.host, port: l.port };
  };
  const bound = boundListeners[0]!;
  const first = advertisedOf(bound);
  const context: BrokerContext = {
    config,
    logs,
    topics: new Topics(logs),
    logger,
    nodeId: NODE_ID,
    clusterId: CLUSTER_ID,
    advertisedHost: first.host,
    advertisedPort: first.port,
    listeners: boundListeners.map((l) => {
      const a = advertisedOf(l);
      return { protocol: l.protocol, host: l.host, port: l.port, advertisedHost: a.host, advertisedPort: a.port };
    }),
    services: { scram } as Partial<BrokerServices>,
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

  // Each listener's requests see the same state with that listener's advertised address (Kafka answers
  // Metadata, FindCoordinator and DescribeCluster with the endpoints of the listener the client used).
  const perListener = new Map<string, BrokerContext>();
  for (const l of boundListeners) {
    const a = advertisedOf(l);
    perListener.set(l.protocol, a.host === context.advertisedHost && a.port === context.advertisedPort ? context : { ...context, advertisedHost: a.host, advertisedPort: a.port });
  }
  server.attach(context, perListener);
  http?.ready(context);
  for (const l of boundListeners) logger.info({ listener: l.protocol, host: l.host, port: l.port, dataDir: config.dataDir, http: http?.address }, 'broker listening');

  const reloadHttpTls = (): boolean => {
    try {
      http!.server.reloadTls(httpSec.readTls()!);
      logger.info({ cert: config.sslCert }, 'HTTPS certificate reloaded');
      return true;
    } catch (err) {
      logger.error({ err: (err as Error).message }, 'HTTPS certificate reload failed; keeping the previous certificate');
      return false;
    }
  };
  let closing: Promise<void> | null = null;
  const closingSignal = new AbortController();
  return {
    host: bound.host,
    port: bound.port,
    listeners: boundListeners,
    reloadCertificates: () => {
      const kafka = tls?.reload() ?? null;
      const web = http?.server.isTls && !givenHttp?.tls ? reloadHttpTls() : null;
      return kafka !== false && web !== false && (kafka ?? web) !== null;
    },
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
