/** Capture: write progress-carrying streams into a log. */
export { capture, captureFrom, CaptureWriter } from './capture.js';
export type { CaptureOptions, CaptureResult } from './capture.js';
export { DeliveryError, TopicNotEmptyError } from './event-pusher.js';
export type { EventPusher } from './event-pusher.js';
export { encodeEvent, encodeEventParts, decodeEvent, EventDecoder, EventDecodeError } from './event-codec.js';
export type { EncodedEvent, RecordLocation } from './event-codec.js';
export { streamTopic } from './transport.js';
export type { EventTransport, PusherOptions } from './transport.js';
export { MemoryTransport } from './memory-transport.js';
export { WireTransport } from './wire-transport.js';
export { EmbeddedTransport } from './embedded-transport.js';
export type { EmbeddedTransportOptions } from './embedded-transport.js';
export type { WireTransportOptions } from './wire-transport.js';
export { KafkaJsTransport } from './kafkajs-transport.js';
export type { KafkaJsTransportOptions } from './kafkajs-transport.js';
export { openTransport, DEFAULT_TRANSPORT, TRANSPORTS } from './open-transport.js';
export type { OpenTransportOptions, TransportName } from './open-transport.js';
