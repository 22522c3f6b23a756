/**
 * kafkaesque — Timely-style capture and replay of RxJS dataflows through a Kafka log, with an embedded
 * Kafka-protocol broker. Everything a user imports comes from here; the folders' own index files group it.
 */
export * from './dataflow/index.js';
export * from './transport/index.js';
export * from './capture/index.js';
export * from './connectors/index.js';
export * from './replay/index.js';
export * from './workers/index.js';
export { startBroker, resolveConfig, DEFAULT_CONFIG, ConfigError, inProcessLink, InProcessLink } from './broker/index.js';
export type { BrokerConfig, StartBrokerOptions, RunningBroker } from './broker/index.js';
export { KafkaClient, parseBroker, BrokerConnectionError, RequestTimeoutError, UnsupportedApiError } from './client/index.js';
export type { ClientOptions, ClientSecurity, SaslClientOptions, TlsClientOptions } from './client/index.js';
export { SaslAuthenticationError, securityFromFlags } from './client/index.js';
export { KafkaError, ErrorCode } from './protocol/errors.js';
