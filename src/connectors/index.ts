/** Sources and sinks for ordinary Kafka topics (issue 15). */
export { fromKafka } from './from-kafka.js';
export type { FromKafkaOptions, KafkaSource } from './from-kafka.js';
export { PartitionFrontier } from './partition-frontier.js';
export { openRecordReader } from './record-readers.js';
export type { RecordTransport } from './record-readers.js';
export type { KafkaRecord, StartPosition, TopicPartition, TopicPartitionOffset, RecordReader, RecordReaderOptions, RecordReaderSource } from '../transport/record-reader.js';
export { toKafka, ToKafkaError } from './to-kafka.js';
export type { ToKafkaOptions } from './to-kafka.js';
export { resumableFromKafka, ResumableKafkaIterable } from './resumable-from-kafka.js';
export type { ResumableFromKafkaOptions, ResumableKafkaSource } from './resumable-from-kafka.js';
export { replayPositions } from './replay-positions.js';
export type { ReplayPositions } from './replay-positions.js';
export type { SinkSource } from './to-kafka.js';
