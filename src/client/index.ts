/** A minimal Kafka client over the generated protocol codecs (used by the wire transport). */
export { KafkaClient, parseBroker } from './client.js';
export type { ClientOptions, TopicInfo } from './client.js';
export { BrokerConnection, CLIENT_VERSIONS, DEFAULT_RECEIVE_MESSAGE_MAX_BYTES } from './connection.js';
export type { ConnectionOptions } from './connection.js';
export { BrokerConnectionError, RequestTimeoutError, ResponseTooLargeError, UnsupportedApiError } from './errors.js';
export { SaslAuthenticationError } from './sasl.js';
export { securityFromFlags, SecurityFlagError, SECURITY_FLAGS_HELP, SECURITY_FLAG_OPTIONS } from './security.js';
export type { ClientSecurity, SaslClientOptions, TlsClientOptions, ClientSaslMechanism, SecurityFlags } from './security.js';
export { TransactionalSession, ProducerFencedError, fetchCommittedOffset, isFencedCode } from './transactions.js';
export type { KafkaRequester, TransactionOptions, CommittedOffset } from './transactions.js';
