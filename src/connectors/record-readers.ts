/** Which record reader a transport gets: its own `recordReader()` (wire, embedded, any RecordReaderSource), or kafkajs's. */
import { KafkaJsTransport } from '../transport/kafkajs/kafkajs-transport.js';
import { KafkaJsRecordReader } from '../transport/kafkajs/kafkajs-record-reader.js';
import type { RecordReader, RecordReaderOptions, RecordReaderSource } from '../transport/record-reader.js';
import type { EventTransport } from '../transport/transport.js';

export type RecordTransport = RecordReaderSource | EventTransport;

export function openRecordReader(transport: RecordTransport, options: RecordReaderOptions): RecordReader {
  if ('recordReader' in transport) return transport.recordReader(options);
  if (transport instanceof KafkaJsTransport) return new KafkaJsRecordReader(transport.kafka, () => transport.admin(), options);
  throw new TypeError(`fromKafka: the ${transport.kind} transport has no record reader (ordinary topics); use the kafkajs or wire transport (any Kafka cluster, the embedded broker included) or the embedded one`);
}
