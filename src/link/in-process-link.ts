/**
 * The in-process link: how capture and replay running in the embedded broker's own process (on its thread,
 * or on worker threads through a MessagePort) reach the broker's log without TCP or the Kafka framing.
 *
 * Only shapes live here (no I/O), so both sides depend on this file and not on each other: the broker
 * implements the link (src/broker/in-process-link.ts), the embedded transport uses it
 * (src/transport/embedded/embedded-transport.ts). What travels is still Kafka data: RecordBatch v2 bytes, offsets and
 * Kafka error codes, so a topic written this way is an ordinary topic for every Kafka client.
 */

/** The name under which execute() hands a worker its port to the broker (`workerPort(IN_PROCESS_PORT)`). */
export const IN_PROCESS_PORT = 'kafkaesque-broker';

/** A Kafka error code with what happened; the transport turns it into a KafkaError or DeliveryError. */
export interface LinkFailure {
  kind: 'error';
  errorCode: number;
  message: string;
}

export type PrepareTopicReply =
  /** The topic exists, empty, with one partition; batches may hold up to `maxBatchBytes` (max.message.bytes). */
  | { kind: 'ready'; maxBatchBytes: number; records?: bigint }
  /** The topic holds records (or has several partitions) and `replace` was not asked for. */
  | { kind: 'not-empty'; records: bigint; partitions: number }
  | LinkFailure;

export type AppendReply =
  /**
   * Appended at `baseOffset`. `batch` is the memory of the appended batch handed back for reuse when it
   * crossed a thread (it was transferred, not copied); on the broker's thread the caller still holds it.
   */
  | { kind: 'appended'; baseOffset: bigint; batch?: Buffer }
  | (LinkFailure & { batch?: Buffer });

export type ReadReply =
  /** Whole batches from the one holding the offset (null: the topic exists, but holds nothing there yet). */
  | { kind: 'records'; records: Buffer | null; highWatermark: bigint; aborted?: AbortedTxn[] }
  /** The read was cancelled by its caller. */
  | { kind: 'cancelled' }
  | LinkFailure;

/** An aborted transaction overlapping a read_committed read, as Fetch reports it. */
export interface AbortedTxn {
  producerId: bigint;
  firstOffset: bigint;
}

/** A Kafka request handled by the broker's own handler, without the wire encoding (transactions of exactly-once capture). */
export type KafkaReply = { kind: 'kafka'; body: unknown } | LinkFailure;

export interface ReadOptions {
  /**
   * read_committed: records only below the last stable offset, with the aborted transactions of the range
   * (`aborted`). A read at the last stable offset waits for the next append (a marker moves it).
   */
  readCommitted?: boolean;
  /**
   * Park until the log holds data at the offset (woken by the append, no timer). Without it a read of an
   * existing topic answers at once, so the reader learns that the topic exists. A missing topic is waited
   * for either way.
   */
  waitForData: boolean;
  signal?: AbortSignal;
}

/** What the embedded transport needs from the broker; the broker's in-process link implements it. */
export interface InProcessBrokerLink {
  /**
   * Makes `topic` an empty one-partition topic: created if missing, deleted and recreated if `replace`. With
   * `keep` a non-empty topic is left as it is and reported ready with its record count (exactly-once resume).
   */
  prepareTopic(topic: string, replace: boolean, keep?: boolean): Promise<PrepareTopicReply>;
  /** Answers one Kafka request (a decoded body) with the broker's handler for `apiKey` at `version`. */
  kafkaRequest(apiKey: number, version: number, body: unknown): Promise<KafkaReply>;
  /**
   * Appends whole v2 batches to partition 0, through the broker's produce path (validation, offsets, fsync
   * policy, wake-ups). A batch EventBatchBuilder sealed (link/sealed-batches.ts) keeps its CRC unchecked.
   */
  append(topic: string, batch: Buffer): Promise<AppendReply>;
  /** Reads partition 0 from `offset`, up to `maxBytes` of whole batches (at least one). */
  read(topic: string, offset: bigint, maxBytes: number, options: ReadOptions): Promise<ReadReply>;
  /**
   * The reader is done with a read's records (every event was copied out of them): their memory may take
   * a later read. Optional; without it the records are left to the garbage collector.
   */
  recycle?(records: Buffer): void;
}

// ---- the same link over a MessagePort (worker threads) ---------------------------------------------------

/** Bytes that cross a thread: an ArrayBuffer moved (transferred) with the view's position in it. */
export interface MovedBytes {
  buffer: ArrayBuffer;
  byteOffset: number;
  length: number;
}

export type LinkRequest =
  | { op: 'prepare'; id: number; topic: string; replace: boolean; keep?: boolean }
  | { op: 'kafka'; id: number; apiKey: number; version: number; body: unknown }
  /** `sealed`: the batch was sealed by EventBatchBuilder on the sending thread (link/sealed-batches.ts). */
  | { op: 'append'; id: number; topic: string; bytes: MovedBytes; sealed?: boolean }
  | { op: 'read'; id: number; topic: string; offset: bigint; maxBytes: number; waitForData: boolean; readCommitted?: boolean }
  | { op: 'cancel'; id: number }
  /** A read's memory handed back for later reads (no reply). */
  | { op: 'recycle'; buffer: ArrayBuffer };

export interface LinkResponse {
  id: number;
  /** The reply; a Buffer in it travels separately, as `bytes`. */
  reply: PrepareTopicReply | KafkaReply | { kind: 'appended'; baseOffset: bigint } | { kind: 'records'; records: null; highWatermark: bigint; aborted?: AbortedTxn[] } | { kind: 'cancelled' } | LinkFailure;
  /** The records read, or the appended batch's memory handed back for reuse. */
  bytes?: MovedBytes;
}

/**
 * Whether `buf` may be moved to another thread without harming anyone else: it must own its ArrayBuffer.
 * Small Buffers share Node's allocation pool (Buffer.poolSize bytes), and moving the pool would empty
 * every other Buffer in it, so only buffers larger than the pool are moved; the rest are copied.
 */
export function ownsItsMemory(buf: Uint8Array): boolean {
  return buf.buffer.byteLength > Buffer.poolSize && !(buf.buffer instanceof SharedArrayBuffer);
}

/** `buf` as bytes to post, and the transfer list: moved when it owns its memory, else copied once. */
export function moveBytes(buf: Uint8Array): { bytes: MovedBytes; transfer: ArrayBuffer[] } {
  if (ownsItsMemory(buf)) return { bytes: { buffer: buf.buffer as ArrayBuffer, byteOffset: buf.byteOffset, length: buf.byteLength }, transfer: [buf.buffer as ArrayBuffer] };
  const copy = new Uint8Array(buf.byteLength);
  copy.set(buf);
  return { bytes: { buffer: copy.buffer, byteOffset: 0, length: copy.byteLength }, transfer: [copy.buffer] };
}
