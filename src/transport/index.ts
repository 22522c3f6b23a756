/** Transports: where captured streams are written and read back from, and what capture and replay share. */
export { DeliveryError, TopicNotEmptyError, CaptureFencedError, CommittedPrefixError, isExactlyOnce, captureTransactionalId, captureGroupId } from './event-pusher.js';
export type { EventPusher, ExactlyOncePusher, CapturePosition } from './event-pusher.js';
export { DEFAULT_COMMIT_BYTES, DEFAULT_COMMIT_INTERVAL_MS } from './event-batch-pusher.js';
export type { EventIterator, EventTransportReader } from './event-iterator.js';
export { encodeEvent, encodeEventParts, decodeEvent, EventDecoder, EventDecodeError } from './event-codec.js';
export type { EncodedEvent, RecordLocation } from './event-codec.js';
export { streamTopic } from './transport.js';
export type { EventTransport, PusherOptions } from './transport.js';
export { MemoryTransport } from './memory/memory-transport.js';
export { WireTransport } from './wire/wire-transport.js';
export type { WireTransportOptions } from './wire/wire-transport.js';
export { EmbeddedTransport } from './embedded/embedded-transport.js';
export type { EmbeddedTransportOptions } from './embedded/embedded-transport.js';
export { KafkaJsTransport } from './kafkajs/kafkajs-transport.js';
export type { KafkaJsTransportOptions } from './kafkajs/kafkajs-transport.js';
export type { KafkaJsPatches } from './kafkajs/kafkajs-patches.js';
export { openTransport, DEFAULT_TRANSPORT, TRANSPORTS } from './open-transport.js';
export type { OpenTransportOptions, TransportName } from './open-transport.js';
