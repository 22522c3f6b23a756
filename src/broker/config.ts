/**
 * Every broker setting: its default, its validation, its command-line flag and its help text, in one table.
 *
 * `resolveConfig` turns a partial object (library use) into a complete, validated `BrokerConfig`;
 * `parseBrokerArgs` does the same from `kafkaesque broker` arguments. Kafka's own setting names are given in
 * the help text where one exists, so users can map what they know.
 */
import { parseArgs } from 'node:util';
import { parseSuperUsers } from './acl/principals.js';

export type FsyncPolicy = 'never' | 'interval' | 'always';
export type AuthorizerKind = 'none' | 'acl';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface BrokerConfig {
  host: string;
  port: number;
  dataDir: string;
  /** Host clients are told to connect to (Metadata); null = the bound host. */
  advertisedHost: string | null;
  /** Port clients are told to connect to; null = the bound port. */
  advertisedPort: number | null;
  autoCreateTopics: boolean;
  numPartitions: number;
  segmentBytes: number;
  segmentMs: number;
  retentionMs: number;
  retentionBytes: number;
  retentionCheckIntervalMs: number;
  /** The log cleaner: compaction of topics with cleanup.policy=compact (src/broker/log/cleaner). */
  logCleanerEnable: boolean;
  logCleanerBackoffMs: number;
  logCleanerIoMaxBytesPerSecond: number;
  logCleanerDedupeBufferSize: number;
  logCleanerIoBufferSize: number;
  fsync: FsyncPolicy;
  flushIntervalMs: number;
  maxMessageBytes: number;
  maxRequestSize: number;
  maxConnections: number;
  connectionsMaxIdleMs: number;
  partialFrameTimeoutMs: number;
  // Memory limits (issue 10: fetch and frames)
  fetchMaxBytes: number;
  /** Fetch sessions (KIP-227) the broker keeps; 0 turns them off. */
  maxIncrementalFetchSessionCacheSlots: number;
  maxPendingResponseBytes: number;
  readMemoryBytes: number;
  maxConnectionsPerIp: number;
  logAppendTime: boolean;
  logLevel: LogLevel;
  /** File and topic limits (issue 10). */
  maxOpenFiles: number;
  maxPartitions: number;
  maxPartitionsPerRequest: number;
  transactionalIdExpirationMs: number;
  /** Consumer groups (src/broker/groups). */
  groupMinSessionTimeoutMs: number;
  groupMaxSessionTimeoutMs: number;
  groupInitialRebalanceDelayMs: number;
  offsetsRetentionMs: number;
  offsetsRetentionCheckIntervalMs: number;
  /** KIP-848 consumer groups (src/broker/groups/consumer-protocol). */
  groupConsumerSessionTimeoutMs: number;
  groupConsumerHeartbeatIntervalMs: number;
  // Produce limits (issue 10)
  /** Most bytes one compressed batch may inflate to, whatever a topic's max.message.bytes says. */
  maxInflatedBatchBytes: number;
  /** Transactions (issue 12). */
  transactionMaxTimeoutMs: number;
  /** Authorization (issue 13): 'acl' checks every request against the ACL store; 'none' allows all. */
  authorizer: AuthorizerKind;
  /** Principals that bypass ACLs: `admin,ops` or Kafka's `User:admin;User:ops`. */
  superUsers: string | null;
  allowEveryoneIfNoAclFound: boolean;
  maxAcls: number;
  /** HTTP endpoint (issue 14): the console (/), /api, /metrics, /healthz, /readyz; null = off. */
  httpPort: number | null;
  httpHost: string;
  httpTls: 'auto' | 'on' | 'off';
  /** Topic-partition series kept per metric before the rest are summed under topic="__other__". */
  metricsMaxTopicSeries: number;
  /** Group(-partition) series kept per metric before the rest are summed under group="__other__". */
  metricsMaxGroupSeries: number;
  /** Web console and /api (issue 14). */
  httpApiMaxBytes: number;
  httpApiConcurrentReads: number;
  httpSampleMs: number;
  httpThroughputTopics: number;
  // Security (issue 13): listeners, TLS and SASL
  /** `PROTOCOL://host:port,...`; null = one PLAINTEXT listener on host:port. */
  listeners: string | null;
  /** `PROTOCOL://host:port,...` given to clients per listener; null = each listener's bound address. */
  advertisedListeners: string | null;
  sslCert: string | null;
  sslKey: string | null;
  sslCa: string | null;
  sslClientAuth: 'none' | 'requested' | 'required';
  sslHandshakeTimeoutMs: number;
  saslMechanisms: string;
  usersFile: string | null;
  connectionFailedAuthenticationDelayMs: number;
  saslServerMaxReceiveSize: number;
  /** Client quotas (issue 16): rate samples kept, and the length of one sample. */
  quotaWindowNum: number;
  quotaWindowSizeMs: number;
  /** Most quota entities stored (Kafka has no limit). */
  maxQuotaEntities: number;
}

/** A bad setting; the message names the flag and says what is allowed. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Kind = 'string' | 'int' | 'bytes' | 'duration' | 'boolean' | 'enum';

interface OptionSpec<K extends keyof BrokerConfig = keyof BrokerConfig> {
  key: K;
  flag: string;
  kind: Kind;
  default: BrokerConfig[K];
  help: string;
  min?: number;
  max?: number;
  /** -1 allowed as "unlimited" in addition to [min, max]. */
  unlimited?: boolean;
  values?: readonly string[];
  nullable?: boolean;
}

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const INT32_MAX = 2 ** 31 - 1;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const FSYNC_POLICIES = ['never', 'interval', 'always'] as const;
const AUTHORIZERS = ['none', 'acl'] as const;
const SSL_CLIENT_AUTH = ['none', 'requested', 'required'] as const;
const HTTP_TLS = ['auto', 'on', 'off'] as const;

export const CONFIG_OPTIONS: readonly OptionSpec[] = [
  { key: 'host', flag: 'host', kind: 'string', default: '127.0.0.1', help: 'interface to bind (0.0.0.0 for all)' },
  { key: 'port', flag: 'port', kind: 'int', default: 9092, min: 0, max: 65535, help: 'TCP port; 0 picks a free one' },
  { key: 'dataDir', flag: 'data-dir', kind: 'string', default: './kafkaesque-data', help: 'directory for topic logs and the catalog' },
  { key: 'advertisedHost', flag: 'advertised-host', kind: 'string', default: null, nullable: true, help: 'host given to clients in Metadata (default: the bound host)' },
  { key: 'advertisedPort', flag: 'advertised-port', kind: 'int', default: null, nullable: true, min: 1, max: 65535, help: 'port given to clients in Metadata (default: the bound port)' },
  { key: 'autoCreateTopics', flag: 'auto-create-topics', kind: 'boolean', default: true, help: 'create unknown topics on Metadata requests that allow it (auto.create.topics.enable)' },
  { key: 'numPartitions', flag: 'num-partitions', kind: 'int', default: 1, min: 1, max: 100_000, help: 'partitions of auto-created topics and of CreateTopics with -1 (num.partitions)' },
  { key: 'segmentBytes', flag: 'segment-bytes', kind: 'bytes', default: GiB, min: 1024, max: INT32_MAX, help: 'roll a segment at this size (segment.bytes); suffixes k, m, g' },
  { key: 'segmentMs', flag: 'segment-ms', kind: 'duration', default: 7 * DAY, min: 1, help: 'roll a segment this old (segment.ms); suffixes ms, s, m, h, d' },
  { key: 'retentionMs', flag: 'retention-ms', kind: 'duration', default: 7 * DAY, min: 1, unlimited: true, help: 'delete segments older than this; -1 keeps forever (retention.ms)' },
  { key: 'retentionBytes', flag: 'retention-bytes', kind: 'bytes', default: -1, min: 0, unlimited: true, help: 'per-partition size above which old segments are deleted; -1 unlimited (retention.bytes)' },
  { key: 'retentionCheckIntervalMs', flag: 'retention-check-interval-ms', kind: 'duration', default: 5 * MINUTE, min: 10, help: 'how often retention runs (log.retention.check.interval.ms)' },
  { key: 'logCleanerEnable', flag: 'log-cleaner-enable', kind: 'boolean', default: true, help: 'compact topics whose cleanup.policy contains compact (log.cleaner.enable)' },
  { key: 'logCleanerBackoffMs', flag: 'log-cleaner-backoff-ms', kind: 'duration', default: 15 * SECOND, min: 10, help: 'pause between two passes of the log cleaner (log.cleaner.backoff.ms)' },
  { key: 'logCleanerIoMaxBytesPerSecond', flag: 'log-cleaner-io-max-bytes-per-second', kind: 'bytes', default: -1, min: 1, unlimited: true, help: 'bytes per second the cleaner may read plus write; -1 unlimited (log.cleaner.io.max.bytes.per.second)' },
  { key: 'logCleanerDedupeBufferSize', flag: 'log-cleaner-dedupe-buffer-size', kind: 'bytes', default: 128 * MiB, min: 24, max: INT32_MAX, help: "memory bound of the cleaner's key map, 24 bytes a key; a clean stops where it fills and the next goes on (log.cleaner.dedupe.buffer.size)" },
  { key: 'logCleanerIoBufferSize', flag: 'log-cleaner-io-buffer-size', kind: 'bytes', default: 512 * 1024, min: 1024, max: INT32_MAX, help: 'read plus write buffer the cleaner streams segments through; a larger batch is read alone up to max.message.bytes (log.cleaner.io.buffer.size)' },
  { key: 'fsync', flag: 'fsync', kind: 'enum', default: 'never', values: FSYNC_POLICIES, help: 'when to force writes to disk: never (OS decides, as Kafka), interval, always' },
  { key: 'flushIntervalMs', flag: 'flush-interval-ms', kind: 'duration', default: SECOND, min: 1, help: 'fsync period with --fsync interval (flush.ms)' },
  { key: 'maxMessageBytes', flag: 'max-message-bytes', kind: 'bytes', default: MiB + 12, min: 64, max: INT32_MAX, help: 'largest record batch accepted (max.message.bytes)' },
  { key: 'maxRequestSize', flag: 'max-request-size', kind: 'bytes', default: 100 * MiB, min: 1024, max: INT32_MAX, help: 'largest request frame; bigger ones close the connection (socket.request.max.bytes)' },
  { key: 'maxConnections', flag: 'max-connections', kind: 'int', default: 1000, min: 1, max: 1_000_000, help: 'connections beyond this are closed at accept (max.connections)' },
  { key: 'connectionsMaxIdleMs', flag: 'connections-max-idle-ms', kind: 'duration', default: 10 * MINUTE, min: 10, help: 'close connections idle this long, or whose responses have not drained this long (connections.max.idle.ms)' },
  { key: 'partialFrameTimeoutMs', flag: 'partial-frame-timeout-ms', kind: 'duration', default: 30 * SECOND, min: 10, help: 'close a connection whose request frame is still incomplete this long after its first byte (a deadline, not an idle timer)' },
  // Memory limits (issue 10: fetch and frames)
  { key: 'fetchMaxBytes', flag: 'fetch-max-bytes', kind: 'bytes', default: 55 * MiB, min: 1024, max: INT32_MAX, help: 'largest Fetch response, whatever the request asks; its first batch is still returned whole (fetch.max.bytes)' },
  { key: 'maxIncrementalFetchSessionCacheSlots', flag: 'max-incremental-fetch-session-cache-slots', kind: 'int', default: 1000, min: 0, max: 1_000_000, help: 'incremental fetch sessions (KIP-227) kept at once; a new one evicts only a stale (2 min unused) or smaller older one, else the client fetches without a session; 0 turns sessions off (max.incremental.fetch.session.cache.slots)' },
  // No Kafka equivalent (Kafka sends fetched data from the file). 64 MiB holds one response at the default
  // fetch.max.bytes plus the read-ahead of a consumer fetching up to 8 MiB at a time.
  { key: 'maxPendingResponseBytes', flag: 'max-pending-response-bytes', kind: 'bytes', default: 64 * MiB, min: 1024, max: INT32_MAX, help: 'fetched bytes one connection may hold in responses not yet written (and read-ahead); its next fetch waits beyond it; also caps one response' },
  // No Kafka equivalent. Four connections at the per-connection limit: a 2-core machine sends a few hundred
  // MB in the time a client takes to fetch again, so more memory in flight adds latency, not throughput.
  { key: 'readMemoryBytes', flag: 'read-memory-bytes', kind: 'bytes', default: 256 * MiB, min: 1024, max: Number.MAX_SAFE_INTEGER, help: 'fetched bytes all connections together may hold until written; reads queue beyond it; also caps one response' },
  // Kafka's default is unlimited. 1,000 (the default --max-connections) never limits a single host below the
  // total, so a local test suite can open hundreds of connections from 127.0.0.1; lower it on a shared host.
  { key: 'maxConnectionsPerIp', flag: 'max-connections-per-ip', kind: 'int', default: 1000, min: 1, max: 1_000_000, help: 'connections from one address beyond this are closed at accept (max.connections.per.ip)' },
  { key: 'logAppendTime', flag: 'log-append-time', kind: 'boolean', default: false, help: 'stamp batches with the broker time (message.timestamp.type=LogAppendTime)' },
  { key: 'logLevel', flag: 'log-level', kind: 'enum', default: 'info', values: LOG_LEVELS, help: 'pino log level (logs go to stderr)' },
  // File and topic limits (issue 10)
  // Segment files kept open (active and idle alike); idle ones are closed and reopened on demand. 0 derives it
  // from the process's descriptor limit (RLIMIT_NOFILE), leaving room for sockets: 480 under a 1,024 limit.
  { key: 'maxOpenFiles', flag: 'max-open-files', kind: 'int', default: 0, min: 0, max: 1_000_000, help: 'segment files kept open at once; 0 derives it from the descriptor limit (ulimit -n), leaving room for connections' },
  // Kafka has no such limits, but one process holds every partition: each costs a directory, open files on
  // demand and memory. 100,000 is far beyond what a single Kafka broker is advised to carry, so no real use
  // meets it, while a client looping CreateTopics is stopped before it fills the disk or the heap.
  { key: 'maxPartitions', flag: 'max-partitions', kind: 'int', default: 100_000, min: 1, max: 10_000_000, help: 'partitions the broker holds in all; CreateTopics, CreatePartitions and auto-creation beyond it get POLICY_VIOLATION' },
  // One CreateTopics request creating more partitions than this is refused per topic (POLICY_VIOLATION): creating
  // 10,000 partitions takes seconds, long enough for one request.
  { key: 'maxPartitionsPerRequest', flag: 'max-partitions-per-request', kind: 'int', default: 10_000, min: 1, max: 10_000_000, help: 'partitions one CreateTopics/CreatePartitions request may create; topics past it get POLICY_VIOLATION' },
  { key: 'transactionalIdExpirationMs', flag: 'transactional-id-expiration-ms', kind: 'duration', default: 7 * DAY, min: 1, max: INT32_MAX, help: 'forget a transactional id not re-registered this long (transactional.id.expiration.ms)' },
  { key: 'groupMinSessionTimeoutMs', flag: 'group-min-session-timeout-ms', kind: 'duration', default: 6 * SECOND, min: 1, help: 'shortest session timeout a consumer may ask for (group.min.session.timeout.ms)' },
  { key: 'groupMaxSessionTimeoutMs', flag: 'group-max-session-timeout-ms', kind: 'duration', default: 30 * MINUTE, min: 1, help: 'longest session timeout a consumer may ask for (group.max.session.timeout.ms)' },
  { key: 'groupInitialRebalanceDelayMs', flag: 'group-initial-rebalance-delay-ms', kind: 'duration', default: 0, min: 0, help: 'how long the first rebalance of an empty group waits for more members (group.initial.rebalance.delay.ms; 0 as in Kafka\'s dev server.properties)' },
  { key: 'offsetsRetentionMs', flag: 'offsets-retention', kind: 'duration', default: 7 * DAY, min: 1, help: 'committed offsets of an empty group are kept this long (offsets.retention.minutes)' },
  { key: 'offsetsRetentionCheckIntervalMs', flag: 'offsets-retention-check-interval-ms', kind: 'duration', default: 10 * MINUTE, min: 10, help: 'how often expired offsets are removed (offsets.retention.check.interval.ms)' },
  { key: 'groupConsumerSessionTimeoutMs', flag: 'group-consumer-session-timeout-ms', kind: 'duration', default: 45 * SECOND, min: 1, max: INT32_MAX, help: 'a KIP-848 consumer-group member without a heartbeat this long is removed (group.consumer.session.timeout.ms)' },
  { key: 'groupConsumerHeartbeatIntervalMs', flag: 'group-consumer-heartbeat-interval-ms', kind: 'duration', default: 5 * SECOND, min: 1, max: INT32_MAX, help: 'how often KIP-848 consumer-group members are told to heartbeat (group.consumer.heartbeat.interval.ms)' },
  // Produce limits (issue 10)
  // A compressed batch inflates to at most its topic's max.message.bytes (+ a batch header); any client may
  // raise that on a topic it creates, so this broker-wide cap bounds one inflation whatever the topic says.
  // Kafka has no such limit. 64 MiB is far above Kafka's default max.message.bytes (1 MiB), so ordinary
  // topics never meet it, and low enough that a few concurrent inflations stay small next to the heap.
  { key: 'maxInflatedBatchBytes', flag: 'max-inflated-batch-bytes', kind: 'bytes', default: 64 * MiB, min: 1024, max: INT32_MAX, help: 'most bytes one compressed batch may inflate to (below a topic\'s max.message.bytes if that is higher); Kafka has none' },
  // Transactions (issue 12)
  { key: 'transactionMaxTimeoutMs', flag: 'transaction-max-timeout-ms', kind: 'duration', default: 15 * MINUTE, min: 1, max: INT32_MAX, help: 'longest transaction.timeout.ms a producer may ask for; InitProducerId beyond it gets INVALID_TRANSACTION_TIMEOUT (transaction.max.timeout.ms)' },
  // Client quotas (issue 16)
  { key: 'quotaWindowNum', flag: 'quota-window-num', kind: 'int', default: 11, min: 2, max: 1000, help: 'rate samples a client quota is measured over (quota.window.num)' },
  { key: 'quotaWindowSizeMs', flag: 'quota-window-size', kind: 'duration', default: SECOND, min: 10, max: 60 * MINUTE, help: 'length of one quota rate sample (quota.window.size.seconds); suffixes ms, s, m' },
  // Kafka has no such limit. Each entity is a few hundred bytes in memory and in client-quotas.json; 10,000
  // covers a quota per client of a large deployment while no admin client can grow the broker without bound.
  { key: 'maxQuotaEntities', flag: 'max-quota-entities', kind: 'int', default: 10_000, min: 1, max: 1_000_000, help: 'most user/client-id entities with client quotas; AlterClientQuotas past it gets POLICY_VIOLATION; Kafka has none' },
  // Authorization (issue 13)
  { key: 'authorizer', flag: 'authorizer', kind: 'enum', default: 'none', values: AUTHORIZERS, help: 'acl: check every request against ACLs stored in the data dir, managed with CreateAcls/DeleteAcls or `kafkaesque acls` (authorizer.class.name)' },
  { key: 'superUsers', flag: 'super-users', kind: 'string', default: null, nullable: true, help: 'principals that bypass ACLs: admin,ops or User:admin;User:ops (super.users)' },
  { key: 'allowEveryoneIfNoAclFound', flag: 'allow-everyone-if-no-acl-found', kind: 'boolean', default: false, help: 'with --authorizer acl, a resource that no ACL names is open to everyone (allow.everyone.if.no.acl.found)' },
  // Kafka has no such limit. Every ACL lives in memory and is scanned on checks of its resource type, so a
  // principal allowed to create ACLs could otherwise grow the heap without bound; 100,000 is far beyond the
  // ACL counts of large Kafka deployments (thousands to tens of thousands).
  { key: 'maxAcls', flag: 'max-acls', kind: 'int', default: 100_000, min: 1, max: 10_000_000, help: 'ACLs the broker stores in all; CreateAcls beyond it gets POLICY_VIOLATION' },
  // HTTP endpoint (issue 14). Off unless a port is given; loopback by default, as it is unauthenticated.
  { key: 'httpPort', flag: 'http-port', kind: 'int', default: null, nullable: true, min: 0, max: 65535, help: 'serve the console (/), its JSON API (/api), /metrics (Prometheus), /healthz and /readyz over HTTP on this port; 0 picks a free one; off unless given. With --users or a SASL listener every path but /healthz and /readyz needs HTTP basic auth as one of the users' },
  { key: 'httpHost', flag: 'http-host', kind: 'string', default: '127.0.0.1', help: 'interface the HTTP endpoint binds (0.0.0.0 for all)' },
  { key: 'httpTls', flag: 'http-tls', kind: 'enum', default: 'auto', values: HTTP_TLS, help: 'serve the HTTP endpoint as HTTPS with --ssl-cert/--ssl-key: auto (whenever both are given), on (they must be), off (plain HTTP, e.g. behind a TLS proxy)' },
  // No Kafka equivalent. Every series costs Prometheus memory and scrape time; 1,000 topic-partitions per
  // metric covers a busy single broker while a client creating topics in a loop cannot blow up the scrape.
  { key: 'metricsMaxTopicSeries', flag: 'metrics-max-topic-series', kind: 'int', default: 1000, min: 1, max: 1_000_000, help: 'topic-partition series per metric; partitions past it are summed under topic="__other__"' },
  { key: 'metricsMaxGroupSeries', flag: 'metrics-max-group-series', kind: 'int', default: 1000, min: 1, max: 1_000_000, help: 'group (and group-partition) series per metric; the rest are summed under group="__other__"' },
  // Web console and /api (issue 14); no Kafka equivalents. 4 MiB of log per request lets the record browser
  // show a page of large records and the streams page catch up a capture at ~2 MB/s while it polls, and
  // caps what one request holds. Two reads at a time keep a console from competing with Kafka fetches.
  { key: 'httpApiMaxBytes', flag: 'http-api-max-bytes', kind: 'bytes', default: 4 * MiB, min: 1024, max: 256 * MiB, help: 'most log bytes one /api request reads (record browser, captured streams); also caps its maxBytes parameter' },
  { key: 'httpApiConcurrentReads', flag: 'http-api-concurrent-reads', kind: 'int', default: 2, min: 1, max: 64, help: '/api requests reading the log at once; up to 32 more wait, beyond that 503' },
  { key: 'httpSampleMs', flag: 'http-sample-ms', kind: 'duration', default: 5 * SECOND, min: 100, max: HOUR, help: 'how often the console samples topic throughput (only while the HTTP endpoint is on; 120 samples are kept)' },
  // 1,000 topics × 120 samples × 24 bytes is under 3 MB; past it topics get no sparkline, not more memory.
  { key: 'httpThroughputTopics', flag: 'http-throughput-topics', kind: 'int', default: 1000, min: 0, max: 1_000_000, help: 'topics whose throughput the console keeps a series of; the rest show no sparkline' },
  // Security (issue 13). Listener and mechanism lists are checked when the broker starts (security/listeners.ts).
  { key: 'listeners', flag: 'listeners', kind: 'string', default: null, nullable: true, help: 'comma-separated PROTOCOL://HOST:PORT with PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL, at most one of each (listeners); replaces --host/--port' },
  { key: 'advertisedListeners', flag: 'advertised-listeners', kind: 'string', default: null, nullable: true, help: 'PROTOCOL://HOST:PORT per listener, given in Metadata/FindCoordinator/DescribeCluster to clients of that listener (advertised.listeners; default: the bound address)' },
  { key: 'sslCert', flag: 'ssl-cert', kind: 'string', default: null, nullable: true, help: 'PEM certificate (chain) of SSL/SASL_SSL listeners; reloaded with --ssl-key and --ssl-ca on SIGHUP' },
  { key: 'sslKey', flag: 'ssl-key', kind: 'string', default: null, nullable: true, help: 'PEM private key for --ssl-cert' },
  { key: 'sslCa', flag: 'ssl-ca', kind: 'string', default: null, nullable: true, help: 'PEM CA certificates trusted for client certificates (ssl.truststore)' },
  { key: 'sslClientAuth', flag: 'ssl-client-auth', kind: 'enum', default: 'none', values: SSL_CLIENT_AUTH, help: 'client certificates: none, requested, required (ssl.client.auth); the principal is User:<certificate subject>' },
  // Kafka has no separate TLS handshake limit (its idle timeout covers it); Node's tls.Server default is 120 s.
  // 10 s is far above any real handshake, even on a loaded machine, and frees a half-open connection quickly.
  { key: 'sslHandshakeTimeoutMs', flag: 'ssl-handshake-timeout-ms', kind: 'duration', default: 10 * SECOND, min: 10, max: INT32_MAX, help: 'close a TLS connection whose handshake has not finished this long after accept' },
  { key: 'saslMechanisms', flag: 'sasl-mechanisms', kind: 'string', default: 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512', help: 'SASL mechanisms of SASL_* listeners, from PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 (sasl.enabled.mechanisms)' },
  { key: 'usersFile', flag: 'users', kind: 'string', default: null, nullable: true, help: 'JSON file {"user": "password", ...}; SCRAM credentials are derived from it at start (random salts, 4096 iterations) and never written back' },
  { key: 'saslServerMaxReceiveSize', flag: 'sasl-server-max-receive-size', kind: 'bytes', default: 512 * KiB, min: 1024, max: INT32_MAX, help: 'largest request frame on a SASL listener before authentication completes; bigger ones close the connection (sasl.server.max.receive.size)' },
  { key: 'connectionFailedAuthenticationDelayMs', flag: 'connection-failed-authentication-delay-ms', kind: 'duration', default: 100, min: 0, max: INT32_MAX, help: 'delay before answering a failed authentication, then closing (connection.failed.authentication.delay.ms)' },
];

export const DEFAULT_CONFIG: Readonly<BrokerConfig> = Object.freeze(
  Object.fromEntries(CONFIG_OPTIONS.map((o) => [o.key, o.default])) as unknown as BrokerConfig,
);

const SIZE_SUFFIX: Record<string, number> = { '': 1, b: 1, k: KiB, kb: KiB, kib: KiB, m: MiB, mb: MiB, mib: MiB, g: GiB, gb: GiB, gib: GiB };
const TIME_SUFFIX: Record<string, number> = { '': 1, ms: 1, s: SECOND, m: MINUTE, h: HOUR, d: DAY };

function parseScaled(text: string, suffixes: Record<string, number>, spec: OptionSpec): number {
  const m = /^(-?\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const scale = m ? suffixes[(m[2] ?? '').toLowerCase()] : undefined;
  if (!m || scale === undefined) {
    const units = Object.keys(suffixes).filter(Boolean).join(', ');
    throw new ConfigError(`--${spec.flag}: "${text}" is not a number (optional suffix: ${units})`);
  }
  return Math.round(Number(m[1]) * scale);
}

/** Converts one raw value (CLI text or a library value) to the option's type and checks its range. */
function coerce(spec: OptionSpec, raw: unknown): unknown {
  if (raw === null && spec.nullable) return null;
  const where = `--${spec.flag} (${spec.key})`;
  switch (spec.kind) {
    case 'string': {
      if (typeof raw !== 'string' || raw.length === 0) throw new ConfigError(`${where} must be a non-empty string`);
      return raw;
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '1' || raw === 'yes') return true;
      if (raw === 'false' || raw === '0' || raw === 'no') return false;
      throw new ConfigError(`${where} must be true or false, got ${JSON.stringify(raw)}`);
    }
    case 'enum': {
      if (typeof raw !== 'string' || !spec.values?.includes(raw)) {
        throw new ConfigError(`${where} must be one of ${spec.values?.join('|')}, got ${JSON.stringify(raw)}`);
      }
      return raw;
    }
    case 'int':
    case 'bytes':
    case 'duration': {
      let n: number;
      if (typeof raw === 'number') n = raw;
      else if (typeof raw === 'string' && spec.kind === 'int' && /^-?\d+$/.test(raw.trim())) n = Number(raw);
      else if (typeof raw === 'string' && spec.kind !== 'int') n = parseScaled(raw, spec.kind === 'bytes' ? SIZE_SUFFIX : TIME_SUFFIX, spec);
      else throw new ConfigError(`${where} must be an integer, got ${JSON.stringify(raw)}`);
      if (!Number.isSafeInteger(n)) throw new ConfigError(`${where} must be an integer, got ${String(raw)}`);
      if (spec.unlimited && n === -1) return n;
      const min = spec.min ?? Number.MIN_SAFE_INTEGER;
      const max = spec.max ?? Number.MAX_SAFE_INTEGER;
      if (n < min || n > max) {
        const range = spec.max === undefined ? `≥ ${min}` : `between ${min} and ${max}`;
        throw new ConfigError(`${where} must be ${range}${spec.unlimited ? ' (or -1 for unlimited)' : ''}, got ${n}`);
      }
      return n;
    }
  }
}

/** Fills defaults and validates. Unknown keys are an error, so typos do not silently fall back to defaults. */
export function resolveConfig(partial: Partial<BrokerConfig> = {}): BrokerConfig {
  const known = new Set<string>(CONFIG_OPTIONS.map((o) => o.key));
  for (const key of Object.keys(partial)) {
    if (!known.has(key)) throw new ConfigError(`unknown broker option "${key}" (known: ${[...known].join(', ')})`);
  }
  const out: Record<string, unknown> = {};
  for (const spec of CONFIG_OPTIONS) {
    const raw = (partial as Record<string, unknown>)[spec.key];
    out[spec.key] = raw === undefined ? spec.default : coerce(spec, raw);
  }
  const config = out as unknown as BrokerConfig;
  try {
    parseSuperUsers(config.superUsers);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  if (config.maxMessageBytes > config.maxRequestSize) {
    throw new ConfigError(`--max-message-bytes (${config.maxMessageBytes}) cannot exceed --max-request-size (${config.maxRequestSize})`);
  }
  return config;
}

/** Parses `kafkaesque broker` arguments. Throws ConfigError on unknown flags, bad values or positionals. */
export function parseBrokerArgs(argv: readonly string[]): BrokerConfig & { help: boolean } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const spec of CONFIG_OPTIONS) options[spec.flag] = { type: 'string' };
  // parseArgs treats "-1" as an option; join negative numbers to their flag so `--retention-ms -1` works.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    if (a.startsWith('--') && !a.includes('=') && next !== undefined && /^-\d/.test(next)) {
      args.push(`${a}=${next}`);
      i++;
    } else args.push(a);
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options, allowPositionals: false, strict: true });
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) return { ...DEFAULT_CONFIG, help: true };
  const partial: Record<string, unknown> = {};
  for (const spec of CONFIG_OPTIONS) {
    const v = values[spec.flag];
    if (v !== undefined) partial[spec.key] = v;
  }
  return { ...resolveConfig(partial as Partial<BrokerConfig>), help: false };
}

function formatDefault(spec: OptionSpec): string {
  const v = spec.default;
  if (v === null) return '(none)';
  if (typeof v === 'number' && spec.kind === 'bytes' && v > 0) {
    if (v % GiB === 0) return `${v / GiB}g`;
    if (v % MiB === 0) return `${v / MiB}m`;
  }
  if (typeof v === 'number' && spec.kind === 'duration' && v > 0) {
    if (v % DAY === 0) return `${v / DAY}d`;
    if (v % HOUR === 0) return `${v / HOUR}h`;
    if (v % MINUTE === 0) return `${v / MINUTE}m`;
    if (v % SECOND === 0) return `${v / SECOND}s`;
  }
  return String(v);
}

/** The options part of `kafkaesque broker --help`: every option with its default. */
export function brokerOptionsHelp(): string {
  const rows = CONFIG_OPTIONS.map((o) => [`--${o.flag} <${o.kind === 'enum' ? o.values?.join('|') : o.kind}>`, o.help, formatDefault(o)] as const);
  const width = Math.max(...rows.map((r) => r[0].length)) + 2;
  return rows.map(([flag, help, def]) => `  ${flag.padEnd(width)}${help} [default: ${def}]`).join('\n');
}
