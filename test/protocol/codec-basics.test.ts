import { describe, expect, it } from 'vitest';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse } from '../../src/protocol/codec.js';
import { ProtocolDecodeError } from '../../src/protocol/decode-error.js';
import { ApiVersions, Fetch, Produce, codecByApiKey, createFetchResponse, createFetchResponsePartitionData, createFetchResponseFetchableTopicResponse } from '../../src/protocol/messages/index.js';
import { SUPPORTED_API_VERSIONS } from '../../src/protocol/api-keys.js';

describe('generated codecs', () => {
  it('encode a ProduceRequest v3 with the documented layout', () => {
    const records = Buffer.from([1, 2, 3]);
    const bytes = encodeRequest(Produce, 3, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 30000,
      topicData: [{ name: 't', partitionData: [{ index: 2, records }] }],
    });
    const expected = Buffer.concat([
      Buffer.from([0xff, 0xff]), // null transactional id
      Buffer.from([0xff, 0xff]), // acks -1
      Buffer.from([0, 0, 0x75, 0x30]), // timeout
      Buffer.from([0, 0, 0, 1, 0, 1, 0x74]), // 1 topic, "t"
      Buffer.from([0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3]), // 1 partition, index 2, 3 bytes
    ]);
    expect(bytes).toEqual(expected);
    const decoded = decodeRequest(Produce, 3, bytes);
    expect(decoded.topicData[0]!.partitionData[0]!.records).toEqual(records);
    // Zero copy: the records are a view of the input.
    expect(decoded.topicData[0]!.partitionData[0]!.records!.buffer).toBe(bytes.buffer);
  });

  it('encode a flexible ProduceRequest v9 with compact fields and empty tag sections', () => {
    const bytes = encodeRequest(Produce, 9, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 1,
      topicData: [{ name: 'ab', partitionData: [] }],
    });
    expect([...bytes]).toEqual([0, 0, 1, 0, 0, 0, 1, 2, 3, 0x61, 0x62, 1, 0, 0]);
  });

  it('write tagged fields only when they differ from the default, and read them back', () => {
    const partition = createFetchResponsePartitionData({ partitionIndex: 0, records: Buffer.alloc(0) });
    const plain = encodeResponse(Fetch, 12, createFetchResponse({ responses: [createFetchResponseFetchableTopicResponse({ topic: 'x', partitions: [partition] })] }));
    const tagged = encodeResponse(
      Fetch,
      12,
      createFetchResponse({
        responses: [
          createFetchResponseFetchableTopicResponse({
            topic: 'x',
            partitions: [{ ...partition, currentLeader: { leaderId: 7, leaderEpoch: 3 } }],
          }),
        ],
      }),
    );
    // tag 1, size 9: leaderId int32 + leaderEpoch int32 + empty tag section
    expect(tagged.length - plain.length).toBe(1 + 1 + 9);
    const decoded = decodeResponse(Fetch, 12, tagged);
    expect(decoded.responses[0]!.partitions[0]!.currentLeader).toEqual({ leaderId: 7, leaderEpoch: 3 });
    expect(decodeResponse(Fetch, 12, plain).responses[0]!.partitions[0]!.currentLeader).toEqual({ leaderId: -1, leaderEpoch: -1 });
  });

  it('reject unknown versions and lying lengths with ProtocolDecodeError naming the field', () => {
    expect(() => decodeRequest(ApiVersions, 9, Buffer.alloc(0))).toThrow(ProtocolDecodeError);
    const bad = Buffer.from([0xff, 0xff, 0, 1, 0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff]); // 2^31-1 topics
    try {
      decodeRequest(Produce, 3, bad);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ProtocolDecodeError);
      const err = e as ProtocolDecodeError;
      expect([err.api, err.version, err.field]).toEqual(['ProduceRequest', 3, 'topicData']);
    }
  });

  it('have a codec for every targeted API, covering the targeted versions', () => {
    for (const r of SUPPORTED_API_VERSIONS) {
      const codec = codecByApiKey.get(r.apiKey);
      expect(codec?.name).toBe(r.name);
      expect(codec!.minVersion).toBeLessThanOrEqual(r.minVersion);
      expect(codec!.maxVersion).toBeGreaterThanOrEqual(r.maxVersion);
    }
    expect(codecByApiKey.size).toBe(SUPPORTED_API_VERSIONS.length);
  });
});
