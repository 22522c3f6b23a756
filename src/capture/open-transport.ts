/** Picks a transport by name, as the examples' `--transport` flag does. */
import type { KafkaJsTransportOptions } from './kafkajs-transport.js';
import { MemoryTransport } from './memory-transport.js';
import type { EventTransport } from './transport.js';
import { WireTransport, type WireTransportOptions } from './wire-transport.js';

export const TRANSPORTS = ['wire', 'kafkajs', 'memory'] as const;
export type TransportName = (typeof TRANSPORTS)[number];

/** The examples' default: the fastest over-the-wire transport in bench/roundtrip.ts. */
export const DEFAULT_TRANSPORT: TransportName = 'wire';

export type OpenTransportOptions = { transport?: TransportName; brokers?: readonly string[] } & Partial<WireTransportOptions> &
  Partial<KafkaJsTransportOptions>;

/** kafkajs is loaded only when asked for: it is a large module, and every worker would compile it. */
export async function openTransport(options: OpenTransportOptions): Promise<EventTransport> {
  const name = options.transport ?? DEFAULT_TRANSPORT;
  if (name === 'memory') return new MemoryTransport();
  const brokers = options.brokers ?? [];
  if (brokers.length === 0) throw new Error(`the ${name} transport needs brokers (host:port)`);
  if (name === 'kafkajs') {
    const { KafkaJsTransport } = await import('./kafkajs-transport.js');
    return new KafkaJsTransport({ ...options, brokers });
  }
  if (name === 'wire') return new WireTransport({ ...options, brokers });
  throw new Error(`unknown transport "${String(name)}"; use one of ${TRANSPORTS.join(', ')}`);
}
