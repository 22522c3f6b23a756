/**
 * `/api/topics/{name}/partitions/{p}/records`: the last `limit` records of a partition (or `limit` records
 * from `offset`), read through the partition log's own read path, like a Fetch. Work is bounded per request:
 * at most `maxBytes` of batches are read (and inflated), and each key, value and header is shown up to
 * `maxValueBytes`. Keys and values are rendered as text when they are UTF-8 without control characters,
 * else as hex (`format=text|hex` forces one); values capture wrote are also decoded as events.
 */
import { iterateRecordBatches, recordOffset, recordTimestamp } from '../../../protocol/records.js';
import { isStorageError } from '../../log/errors.js';
import type { LogManager } from '../../log/log-manager.js';
import { ApiError, enumParam, intParam, offsetNumber } from './api-error.js';
import { decodeEventView, type EventView } from './captured-event.js';
import { ALL_VISIBLE_VIEWER, type Viewer } from './visibility.js';

export interface RenderedBytes {
  /** Bytes in the record (the shown part may be shorter, see `truncated`). */
  size: number;
  encoding: 'text' | 'hex';
  data: string;
  truncated: boolean;
}

export interface RecordView {
  offset: number;
  timestamp: number;
  key: RenderedBytes | null;
  value: RenderedBytes | null;
  headers: { key: string; value: RenderedBytes | null }[];
  /** Set when the value is a captured event (messages or progress). */
  event?: EventView;
}

export interface RecordsPage {
  topic: string;
  partition: number;
  logStartOffset: number;
  highWatermark: number;
  /** Offset of the first record asked for. */
  from: number;
  /** Offset after the last record returned (the next page starts here). */
  nextOffset: number;
  /** Bytes of batches read for this answer. */
  bytesRead: number;
  /** Why the read stopped early at a batch it could not show (corrupt, or inflating past the bound); else null. */
  problem: string | null;
  /**
   * The byte budget ended the read before `limit` records (or the high watermark) were reached; with no
   * records at all, the next batch alone is larger than `maxBytes` (ask again with a larger one).
   */
  truncatedByBytes: boolean;
  records: RecordView[];
}

export interface RecordLimits {
  /** Largest `maxBytes` a request may ask for. */
  maxBytes: number;
  /** Most bytes one compressed batch may inflate to (the broker's --max-inflated-batch-bytes). */
  maxInflatedBytes: number;
}

export const RECORD_FORMATS = ['auto', 'text', 'hex'] as const;
export type RecordFormat = (typeof RECORD_FORMATS)[number];

export async function readRecords(logs: LogManager, topic: string, partitionText: string, url: URL, limits: RecordLimits, who: Viewer = ALL_VISIBLE_VIEWER): Promise<RecordsPage> {
  // Reading records is Kafka's Read on the topic (not just Describe).
  who.require('records', topic);
  if (!/^\d+$/.test(partitionText)) throw new ApiError(400, `partition must be a non-negative integer, got ${JSON.stringify(partitionText.slice(0, 40))}`);
  const partition = Number(partitionText);
  if (!logs.topic(topic)) throw new ApiError(404, `no topic named ${JSON.stringify(topic)}`);
  const log = logs.partition(topic, partition);
  if (!log) throw new ApiError(404, `topic ${JSON.stringify(topic)} has no partition ${partition}`);
  const limit = intParam(url, 'limit', 50, 1, 1_000);
  const maxBytes = intParam(url, 'maxBytes', Math.min(1024 * 1024, limits.maxBytes), 1024, limits.maxBytes);
  const maxValueBytes = intParam(url, 'maxValueBytes', 1024, 0, 64 * 1024);
  const format = enumParam(url, 'format', RECORD_FORMATS, 'auto');
  const decodeEvents = enumParam(url, 'events', ['auto', 'off'] as const, 'auto') === 'auto';

  const start = log.logStartOffset;
  const end = log.highWatermark;
  const requested = url.searchParams.get('offset');
  let from: bigint;
  if (requested === null || requested === '') from = end - BigInt(limit) > start ? end - BigInt(limit) : start;
  else {
    const asked = intParam(url, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
    from = BigInt(asked) < start ? start : BigInt(asked) > end ? end : BigInt(asked);
  }

  const records: RecordView[] = [];
  let next = from;
  let bytesRead = 0;
  let truncatedByBytes = false;
  let problem: string | null = null;
  while (records.length < limit && next < end) {
    const budget = maxBytes - bytesRead;
    if (budget <= 0) {
      truncatedByBytes = true;
      break;
    }
    let read;
    try {
      // minOneBatch false: a batch larger than what is left of the budget is not read at all.
      read = await log.read(next, budget, { minOneBatch: false });
    } catch (err) {
      // Retention may remove the start between our look at logStartOffset and the read.
      if (isStorageError(err, 'OFFSET_OUT_OF_RANGE')) {
        throw new ApiError(503, `offset ${next} of ${topic}-${partition} is no longer in the log (retention); ask again`);
      }
      throw err;
    }
    if (read.records === null || read.records.length === 0) {
      truncatedByBytes = next < end;
      break;
    }
    bytesRead += read.records.length;
    let advanced = false;
    const batches = iterateRecordBatches(read.records, { maxDecompressedBytes: limits.maxInflatedBytes });
    for (;;) {
      let step;
      try {
        step = batches.next();
      } catch (err) {
        problem = `the batch after offset ${next - 1n} cannot be shown: ${(err as Error).message}`;
        break;
      }
      if (step.done) break;
      const batch = step.value;
      const header = batch.header;
      const lastOffset = header.baseOffset + BigInt(header.lastOffsetDelta);
      if (lastOffset < next) continue;
      if (!header.control) {
        for (const record of batch.records) {
          const offset = recordOffset(header, record);
          if (offset < next) continue;
          if (records.length >= limit) break;
          const view: RecordView = {
            offset: offsetNumber(offset),
            timestamp: Number(recordTimestamp(header, record)),
            key: render(record.key, format, maxValueBytes),
            value: render(record.value, format, maxValueBytes),
            headers: record.headers.map((h) => ({ key: h.key, value: render(h.value, format, maxValueBytes) })),
          };
          const event = decodeEvents ? decodeEventView(record.value) : undefined;
          if (event) view.event = event;
          records.push(view);
          next = offset + 1n;
        }
      }
      if (records.length >= limit) break;
      // Control batches (transaction markers) and fully consumed batches move the position past them.
      next = lastOffset + 1n;
      advanced = true;
    }
    if (problem !== null) break;
    if (!advanced && records.length < limit) {
      // Only a partial batch fit in what was left of the budget.
      truncatedByBytes = true;
      break;
    }
  }
  return {
    topic,
    partition,
    logStartOffset: offsetNumber(start),
    highWatermark: offsetNumber(end),
    from: offsetNumber(from),
    nextOffset: offsetNumber(next),
    bytesRead,
    truncatedByBytes,
    problem,
    records,
  };
}

/** Text when the bytes are UTF-8 without control characters (tabs and newlines allowed), else hex. */
export function render(bytes: Buffer | null, format: RecordFormat, maxBytes: number): RenderedBytes | null {
  if (bytes === null) return null;
  const shown = bytes.subarray(0, maxBytes);
  const truncated = shown.length < bytes.length;
  if (format !== 'hex') {
    const text = shown.toString('utf8');
    // A cut in the middle of a multi-byte character leaves one replacement character at the end: allowed.
    const body = truncated ? text.replace(/\uFFFD$/, '') : text;
    if (format === 'text' || isPrintable(body)) return { size: bytes.length, encoding: 'text', data: body, truncated };
  }
  return { size: bytes.length, encoding: 'hex', data: shown.toString('hex'), truncated };
}

function isPrintable(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\uFFFD]/.test(text);
}
