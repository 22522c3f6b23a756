/** Which record reader a transport gets (kafkajs, wire; any transport implementing RecordReaderSource too). */
import { KafkaJsTransport } from '../transport/kafkajs/kafkajs-transport.js';
import { KafkaJsRecordReader } from '../transport/kafkajs/kafkajs-record-reader.js';
import { WireTransport } from '../transport/wire/wire-transport.js';
import { FetchRecordReader, wireRecordIo } from '../transport/fetch-record-reader.js';
import type { RecordReader, RecordReaderOptions, RecordReaderSource } from '../transport/record-reader.js';
import type { EventTransport } from '../transport/transport.js';

export type RecordTransport = RecordReaderSource | EventTransport;

export function openRecordReader(transport: RecordTransport, options: RecordReaderOptions): RecordReader {
  if ('recordReader' in transport) return transport.recordReader(options);
  if (transport instanceof KafkaJsTransport) return new KafkaJsRecordReader(transport.kafka, () => transport.admin(), options);
  if (transport instanceof WireTransport) return new FetchRecordReader(wireRecordIo(transport.client), options);
  throw new TypeError(`fromKafka: the ${transport.kind} transport cannot read ordinary topics yet; use the kafkajs or wire transport (both read any Kafka cluster, the embedded broker included)`);
}
