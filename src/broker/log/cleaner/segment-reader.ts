/**
 * Streams one segment's batches through a bounded read buffer (Kafka's log.cleaner.io.buffer.size): the
 * cleaner never holds a whole segment in memory. A batch larger than the buffer is read on its own, up to
 * max.message.bytes, as Kafka's cleaner grows its buffer; a larger one stops the clean with an error (Kafka
 * marks such a partition uncleanable the same way).
 */
import { BATCH_LENGTH_PREFIX, BATCH_OFFSET } from '../../../protocol/batch-header.js';
import { StorageError } from '../errors.js';
import type { LogSegment } from '../segment.js';
import type { Throttle } from './throttle.js';

export interface SegmentBatch {
  /** The whole batch; valid until the next one is requested. */
  raw: Buffer;
  /** Its position in the segment file. */
  position: number;
}

export interface ReadLimits {
  /** Bytes per read (log.cleaner.io.buffer.size). */
  bufferBytes: number;
  /** Largest batch the reader accepts (the topic's max.message.bytes, or the buffer if larger). */
  maxBatchBytes: number;
}

export async function* segmentBatches(seg: LogSegment, limits: ReadLimits, throttle: Throttle, from = 0): AsyncGenerator<SegmentBatch> {
  const end = seg.size;
  let position = from;
  while (position + BATCH_LENGTH_PREFIX <= end) {
    let chunk = await seg.read(position, Math.min(limits.bufferBytes, end - position));
    await throttle.account(chunk.length);
    let pos = 0;
    let whole = 0;
    while (pos + BATCH_LENGTH_PREFIX <= chunk.length) {
      const size = chunk.readInt32BE(pos + BATCH_OFFSET.batchLength) + BATCH_LENGTH_PREFIX;
      if (pos + size > chunk.length) break;
      yield { raw: chunk.subarray(pos, pos + size), position: position + pos };
      pos += size;
      whole++;
    }
    if (whole === 0) {
      // The buffer holds less than one batch: read this one batch alone.
      const size = chunk.readInt32BE(BATCH_OFFSET.batchLength) + BATCH_LENGTH_PREFIX;
      if (size > Math.max(limits.maxBatchBytes, limits.bufferBytes) || position + size > end) {
        throw new StorageError(
          'KAFKA_STORAGE_ERROR',
          `${seg.paths.log} holds a batch of ${size} bytes at position ${position}, larger than max.message.bytes (${limits.maxBatchBytes}) or the segment; raise max.message.bytes for the cleaner to compact it`,
        );
      }
      chunk = await seg.read(position, size);
      await throttle.account(chunk.length);
      yield { raw: chunk, position };
      pos = size;
    }
    position += pos;
  }
}
