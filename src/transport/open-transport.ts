/** Picks a transport by name, as the examples' `--transport` flag does. */
import { isMainThread, type MessagePort } from 'node:worker_threads';
import { IN_PROCESS_PORT, type InProcessBrokerLink } from '../link/in-process-link.js';
import { workerPort } from '../util/worker-port.js';
import { EmbeddedTransport, type EmbeddedTransportOptions } from './embedded/embedded-transport.js';
import type { KafkaJsTransportOptions } from './kafkajs/kafkajs-transport.js';
import { MemoryTransport } from './memory/memory-transport.js';
import type { EventTransport } from './transport.js';
import { WireTransport, type WireTransportOptions } from './wire/wire-transport.js';

export const TRANSPORTS = ['embedded', 'wire', 'kafkajs', 'memory'] as const;
export type TransportName = (typeof TRANSPORTS)[number];

/**
 * The examples' default when the broker runs in the same process: `embedded`, the fastest in paired runs of
 * `examples/roundtrip.ts --count 10000000` (5 capture workers, 3 replay workers), alternating with `wire`
 * (2026-11-22, shared 2-core machine at load 3–11, medians of 6 pairs): capture 145 vs 128 MB/s and
 * 2.7 vs 3.1 process CPU-seconds; replay 417 vs 147 MB/s and 1.2 vs 1.9 CPU-seconds. It moves batches
 * between threads instead of through TCP and the Kafka framing, and reads land in memory that is reused.
 * With --brokers (a broker elsewhere) the examples use `wire`, the fastest over-the-wire transport, and so
 * does openTransport when given brokers and no transport name.
 */
export const DEFAULT_TRANSPORT: TransportName = 'embedded';
/** The default when brokers are given: the fastest transport over TCP. */
export const DEFAULT_REMOTE_TRANSPORT: TransportName = 'wire';

export type OpenTransportOptions = {
  transport?: TransportName;
  brokers?: readonly string[];
  /** For `embedded` on the broker's thread: `inProcessLink(broker)` (workers find their port themselves). */
  link?: InProcessBrokerLink | MessagePort;
} & Partial<WireTransportOptions> &
  Partial<KafkaJsTransportOptions> &
  Partial<Omit<EmbeddedTransportOptions, 'link'>>;

/** kafkajs is loaded only when asked for: it is a large module, and every worker would compile it. */
export async function openTransport(options: OpenTransportOptions): Promise<EventTransport> {
  const brokers = options.brokers ?? [];
  const name = options.transport ?? (brokers.length > 0 ? DEFAULT_REMOTE_TRANSPORT : DEFAULT_TRANSPORT);
  if (name === 'memory') return new MemoryTransport();
  if (name === 'embedded') {
    const link = options.link ?? workerPort(IN_PROCESS_PORT);
    if (!link) {
      throw new Error(
        isMainThread
          ? 'the embedded transport writes the log of a broker running in this process: pass { link: inProcessLink(broker) } ' +
              '(or use --transport wire with --brokers for a broker elsewhere)'
          : 'the embedded transport needs the broker to run in this process, and this worker has no port to it: start the job with ' +
              'execute(config, job, { ports: inProcessLink(broker).ports }) (or use --transport wire with --brokers for a broker elsewhere)',
      );
    }
    return new EmbeddedTransport({ ...options, link });
  }
  if (brokers.length === 0) throw new Error(`the ${name} transport needs brokers (host:port)`);
  if (name === 'kafkajs') {
    const { KafkaJsTransport } = await import('./kafkajs/kafkajs-transport.js');
    return new KafkaJsTransport({ ...options, brokers });
  }
  if (name === 'wire') return new WireTransport({ ...options, brokers });
  throw new Error(`unknown transport "${String(name)}"; use one of ${TRANSPORTS.join(', ')}`);
}
