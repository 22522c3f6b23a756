/**
 * Reads a captured stream's topic (`<name>-<index>`, one partition, one event per record; DESIGN.md) from a
 * running broker and summarizes it for `kafkaesque streams`: events, the stream's frontier after all of them,
 * whether it is complete, and when (record timestamp) its frontier last changed.
 *
 * The timestamp type of a capture is not recorded in the topic, so times are compared as replay/loose-time.ts
 * does (numbers and bigints as numbers, arrays element by element). The
 * implicit capability every stream starts with (at the minimum) is placed at the minimum of the first time seen
 * of the same shape (0, 0n, or an array of those).
 */
import type { KafkaClient } from '../client/client.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { Fetch } from '../protocol/messages/fetch.js';
import { iterateRecordBatches, recordOffset, recordTimestamp } from '../protocol/record-batch-decode.js';
import { decodeEvent } from '../transport/event-codec.js';
import { antichain, LooseCounts, minimumLike, timeKey as key, timeLessEqual } from '../replay/loose-time.js';

export { antichain, minimumLike, timeLessEqual, key };

export interface StreamSummary {
  topic: string;
  index: number;
  /** False when the topic does not exist. */
  present: boolean;
  events: number;
  /** The times the stream still holds (empty: complete). */
  frontier: unknown[];
  complete: boolean;
  /** Record timestamp (epoch ms) of the event that last changed its frontier; undefined if it never did. */
  frontierMovedAt: number | undefined;
  /** Record timestamp of its last event. */
  lastEventAt: number | undefined;
  /** The log no longer starts at offset 0 (retention): the frontier cannot be known exactly. */
  truncated: boolean;
}

/** The bytes one fetch asks for: a captured stream is read in pieces this large (the broker's default cap is 50 MiB). */
const FETCH_BYTES = 8 << 20;

export async function summarizeStream(client: KafkaClient, topic: string, index: number): Promise<StreamSummary> {
  const summary: StreamSummary = { topic, index, present: false, events: 0, frontier: [], complete: false, frontierMovedAt: undefined, lastEventAt: undefined, truncated: false };
  const connection = await client.leaderFor(topic);
  if (!connection) return summary;
  summary.present = true;
  const { earliest, latest } = await client.offsets(topic);
  summary.truncated = earliest > 0n;
  const counts = new LooseCounts();
  let implicit = false;
  let frontierKey = '';
  let position = earliest;
  while (position < latest) {
    const response = await connection.request(Fetch, {
      clusterId: null,
      replicaId: -1,
      replicaState: { replicaId: -1, replicaEpoch: -1n },
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: FETCH_BYTES,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic,
          topicId: '00000000-0000-0000-0000-000000000000',
          partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: position, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: FETCH_BYTES, replicaDirectoryId: '00000000-0000-0000-0000-000000000000' }],
        },
      ],
      forgottenTopicsData: [],
      rackId: '',
    });
    const p = response.responses[0]?.partitions[0];
    const code = p ? p.errorCode : response.errorCode;
    if (code !== ErrorCode.NONE || !p) throw new KafkaError(code, `reading captured stream "${topic}" at offset ${position}`);
    const before = position;
    for (const batch of iterateRecordBatches(p.records ?? Buffer.alloc(0))) {
      for (const record of batch.records) {
        const offset = recordOffset(batch.header, record);
        if (offset < position || offset >= latest) continue;
        position = offset + 1n;
        const event = decodeEvent(record.value, { topic, partition: 0, offset });
        const at = Number(recordTimestamp(batch.header, record));
        summary.events++;
        summary.lastEventAt = at;
        const first = event.kind === 'messages' ? event.time : event.updates[0]?.[0];
        if (!implicit && first !== undefined) {
          implicit = true;
          counts.update(minimumLike(first), 1);
          frontierKey = key(counts.frontier());
        }
        if (event.kind !== 'progress') continue;
        for (const [time, delta] of event.updates) counts.update(time, delta);
        const now = key(counts.frontier());
        if (now !== frontierKey) {
          frontierKey = now;
          summary.frontierMovedAt = at;
        }
      }
      if (batch.header.baseOffset + BigInt(batch.header.lastOffsetDelta) >= position) position = batch.header.baseOffset + BigInt(batch.header.lastOffsetDelta) + 1n;
    }
    if (position === before) throw new Error(`reading captured stream "${topic}": no progress at offset ${position} (a record larger than ${FETCH_BYTES} bytes?)`);
  }
  summary.frontier = implicit ? counts.frontier() : [0];
  summary.complete = implicit && summary.frontier.length === 0;
  return summary;
}

export interface GroupSummary {
  name: string;
  streams: StreamSummary[];
  /** The frontier of a replay of every stream: the minimal times over all of them (a missing stream holds the minimum). */
  frontier: unknown[];
  /** Streams that hold that frontier, i.e. hold a replay back, and since when (record timestamp) each has not moved. */
  holding: { topic: string; missing: boolean; since: number | undefined }[];
}

export function summarizeGroup(name: string, streams: StreamSummary[]): GroupSummary {
  const present = streams.filter((s) => s.present);
  const sample = present.flatMap((s) => s.frontier)[0];
  const missing = streams.filter((s) => !s.present);
  // A missing stream holds its implicit capability at the minimum, below every other time.
  const frontier = missing.length > 0 ? [minimumLike(sample)] : antichain(present.flatMap((s) => s.frontier));
  const holds = (s: StreamSummary): boolean => !s.present || s.frontier.some((own) => frontier.some((t) => timeLessEqual(own, t)));
  return {
    name,
    streams,
    frontier,
    holding: streams.filter(holds).map((s) => ({ topic: s.topic, missing: !s.present, since: s.frontierMovedAt ?? s.lastEventAt })),
  };
}
