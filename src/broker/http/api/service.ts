/**
 * The console API's state, kept only while the HTTP endpoint is on: the throughput sampler (its timer runs
 * from here to the broker's close), the captured-stream scanner and the gate on log reads. A broker service
 * (services.ts), so it stops with the broker, before the logs close.
 */
import type { BrokerContext, ServiceStop } from '../../context.js';
import { ReadGate } from './read-gate.js';
import { aclVisibility } from './acl-visibility.js';
import { EVERYTHING_VISIBLE, type ApiVisibility } from './visibility.js';
import { StreamScanner } from './stream-scanner.js';
import { ThroughputSampler } from './throughput.js';

export interface ConsoleApiState {
  readonly startedAt: number;
  readonly sampler: ThroughputSampler;
  readonly streams: StreamScanner;
  readonly reads: ReadGate;
  /** What each principal may see (see visibility.ts); the security layer replaces it. */
  visible: ApiVisibility;
}

declare module '../../context.js' {
  interface BrokerServices {
    consoleApi: ConsoleApiState;
  }
}

/** Requests that may wait for a log read slot; more get 503 (see read-gate.ts). */
const QUEUED_READS = 32;

export function startConsoleApi(broker: BrokerContext): ServiceStop | void {
  const config = broker.config;
  if (config.httpPort === null) return;
  const sampler = new ThroughputSampler(broker.logs, { intervalMs: config.httpSampleMs, maxTopics: config.httpThroughputTopics });
  broker.services.consoleApi = {
    startedAt: Date.now(),
    sampler,
    streams: new StreamScanner(broker.logs, config.maxInflatedBatchBytes),
    reads: new ReadGate(config.httpApiConcurrentReads, QUEUED_READS),
    // The authorizer starts before this service (services.ts), so its presence says whether ACLs apply.
    visible: broker.services.authorizer ? aclVisibility(broker) : EVERYTHING_VISIBLE,
  };
  sampler.start();
  return () => sampler.stop();
}
