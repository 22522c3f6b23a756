import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { kafkaJsEncoderGrowth, originalEnsureAvailable } from '../../../src/transport/kafkajs/kafkajs-encoder-growth.js';

const require = createRequire(import.meta.url);
type EncoderProto = { ensureAvailable: (length: number) => void };
const Encoder = require('kafkajs/src/protocol/encoder.js') as { prototype: EncoderProto };
const produceRequest = require('kafkajs/src/protocol/requests/produce/v3/request.js') as (r: unknown) => { encode(): Promise<{ buffer: Buffer }> };

async function encodeProduce(values: Buffer[]): Promise<Buffer> {
  const request = produceRequest({
    acks: -1,
    timeout: 30_000,
    topicData: [{ topic: 'numbat-0', partitions: [{ partition: 0, firstSequence: 0, messages: values.map((value) => ({ value, timestamp: '1700000000000' })) }] }],
  });
  return Buffer.from((await request.encode()).buffer);
}

describe('kafkajs Encoder growth without zero-fill', () => {
  it('is installed on kafkajs 2.2\'s Encoder', () => {
    expect(kafkaJsEncoderGrowth).toEqual({ installed: true });
    expect(originalEnsureAvailable).toBeTypeOf('function');
    expect(Encoder.prototype.ensureAvailable).not.toBe(originalEnsureAvailable);
  });

  it('encodes Produce requests byte for byte as kafkajs\'s own method does, even over dirty memory', async () => {
    const patched = Encoder.prototype.ensureAvailable;
    let seed = 5;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
    for (let round = 0; round < 6; round++) {
      // Leave garbage in freed memory and in Buffer's pool, where unzeroed buffers come from.
      for (let i = 0; i < 20; i++) Buffer.allocUnsafe(1 << (10 + random(12))).fill(0xa5);
      const values = Array.from({ length: 1 + random(80) }, (_, i) => Buffer.alloc(random(20_000), i + round));
      const ours = await encodeProduce(values);
      Encoder.prototype.ensureAvailable = originalEnsureAvailable as (length: number) => void;
      try {
        const theirs = await encodeProduce(values);
        expect(ours.equals(theirs)).toBe(true);
      } finally {
        Encoder.prototype.ensureAvailable = patched;
      }
    }
  });
});
