/**
 * What a request handler can reach: the broker-wide state (`ctx.broker`) and facts about this request.
 *
 * Other parts of the broker (group coordinator, producer-id manager, ...) hang their state on
 * `BrokerServices` through declaration merging, e.g. in their own module:
 *
 *   declare module '../context.js' { interface BrokerServices { groups: GroupCoordinator } }
 *
 * and are started by a `ServiceStarter` registered in `services.ts`.
 */
import type { Logger } from 'pino';
import type { BrokerConfig } from './config.js';
import type { LogManager } from './log/log-manager.js';
import type { Topics } from './topics.js';

/** Optional services added by other modules (see the file comment). */
export interface BrokerServices {
  /** Idempotent/transactional producer checks on the produce path (issue 4). */
  produceGuard: ProduceGuard;
}

/**
 * Consulted by Produce for every partition's records, synchronously and in request order, right before the
 * append is queued (so sequence checks and appends cannot interleave across requests).
 */
export interface ProduceGuard {
  /**
   * `records` is valid only during the call (its memory is reused after the request): copy what you keep.
   * null: append. `{ errorCode }`: reject this partition's records with that code (and message, v8+).
   * `{ duplicateOf }`: an exact retry of an appended batch; answer with that base offset, append nothing.
   */
  beforeAppend(topic: string, partition: number, records: Buffer): { errorCode: number; message?: string } | { duplicateOf: bigint } | null;
  /** After a successful append, with the offset the batch got. */
  afterAppend?(topic: string, partition: number, records: Buffer, baseOffset: bigint): void;
  /** The append of records that `beforeAppend` let through failed (so their sequence numbers are free again). */
  appendFailed?(topic: string, partition: number, records: Buffer): void;
}

export interface ListenerInfo {
  readonly protocol: string;
  readonly host: string;
  readonly port: number;
  readonly advertisedHost: string;
  readonly advertisedPort: number;
}

export interface BrokerContext {
  readonly config: BrokerConfig;
  readonly logs: LogManager;
  /** Topic catalog operations on top of `logs` (lookup by name or id, create, delete, grow). */
  readonly topics: Topics;
  readonly logger: Logger;
  /** This broker's node id in Metadata and friends: a single-node cluster, always 0. */
  readonly nodeId: number;
  readonly clusterId: string;
  /** Where clients should connect (Metadata, DescribeCluster). */
  readonly advertisedHost: string;
  readonly advertisedPort: number;
  /** Every Kafka listener as bound, with what it advertises (the console's broker page); absent outside startBroker. */
  readonly listeners?: ReadonlyArray<ListenerInfo>;
  readonly services: Partial<BrokerServices>;
  /** The registered handlers' version ranges, as ApiVersions advertises them. */
  readonly apis: ReadonlyArray<ApiRange>;
}

/**
 * Starts a broker service (registered in `services.ts`) once the logs are open. Its contract lives here, beside
 * `BrokerContext`, so a service imports only this file, as a handler imports only `handlers/handler.ts`.
 */
export type ServiceStarter = (broker: BrokerContext) => void | ServiceStop | Promise<void | ServiceStop>;
/** Stops a service, before the logs close. */
export type ServiceStop = () => void | Promise<void>;

export interface ApiRange {
  readonly apiKey: number;
  readonly minVersion: number;
  readonly maxVersion: number;
}

export interface RequestContext {
  readonly broker: BrokerContext;
  /** Shortcuts for `broker.logs` / `broker.config`. */
  readonly logs: LogManager;
  readonly config: BrokerConfig;
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  /** `host:port` of the client. */
  readonly peer: string;
  /**
   * Who sent the request, in Kafka's form: `User:ANONYMOUS` on PLAINTEXT and on SSL without a client
   * certificate, `User:<name>` after SASL, `User:<certificate subject, RFC 2253>` with mTLS.
   */
  readonly principal: string;
  /** The listener the connection came in on: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL. */
  readonly listenerName: string;
  /** The client's IP address, as ACL hosts name it (IPv4 without the `::ffff:` prefix). */
  readonly clientHost: string;
  /** Logger bound to this connection (peer, clientId). */
  readonly logger: Logger;
  /** Aborted when the connection closes, so parked requests can give up early. */
  readonly signal: AbortSignal;
  /** Scratch space that lives as long as the connection (e.g. Fetch read-ahead), keyed by handler. */
  readonly connectionState: Map<string, unknown>;
}
