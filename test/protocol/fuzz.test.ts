/**
 * Hostile input: random bytes, truncated and corrupted valid encodings into every decoder (every API, every
 * version, request and response). A decoder either returns a value or throws ProtocolDecodeError — never
 * RangeError/TypeError, never hangs or allocates from an unchecked count.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolDecodeError } from '../../src/protocol/decode-error.js';
import { Reader, Writer } from '../../src/protocol/primitives.js';
import { allCases, decode, encode, loadSchemas, messageArb, type Case } from './helpers/schema-model.js';

const cases = allCases(loadSchemas());

/** Decodes; returns 'ok' or 'decode-error'; any other exception fails the property. */
function tryDecode(c: Case, bytes: Buffer): 'ok' | 'decode-error' {
  try {
    const value = decode(c, new Reader(bytes));
    // Whatever decodes must be encodable again.
    encode(c, value, new Writer());
    return 'ok';
  } catch (e) {
    if (e instanceof ProtocolDecodeError) {
      expect(e.api).toBe(c.message.name);
      expect(e.version).toBe(c.version);
      expect(e.field).not.toBe('');
      return 'decode-error';
    }
    throw e;
  }
}

function validEncoding(c: Case): fc.Arbitrary<Buffer> {
  return messageArb(c).map((x) => {
    const w = new Writer();
    encode(c, x, w);
    return w.toBuffer();
  });
}

describe('decoders reject hostile bytes with ProtocolDecodeError only', () => {
  for (const c of cases) {
    it(`${c.message.name} v${c.version}`, () => {
      // Random bytes, biased towards the lengths and counts that stress allocation checks.
      const interesting = fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe);
      const noise = fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.array(interesting, { maxLength: 64 }).map((a) => Uint8Array.from(a)));
      fc.assert(fc.property(noise, (b) => void tryDecode(c, Buffer.from(b))), { numRuns: 60 });

      // Every strict prefix of a valid encoding is an error: each byte belongs to some field.
      fc.assert(
        fc.property(validEncoding(c), fc.nat(), (bytes, cut) => {
          if (bytes.length === 0) return;
          const prefix = bytes.subarray(0, cut % bytes.length);
          expect(tryDecode(c, Buffer.from(prefix))).toBe('decode-error');
        }),
        { numRuns: 25 },
      );

      // Corrupted bytes anywhere in a valid encoding.
      fc.assert(
        fc.property(validEncoding(c), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (bytes, edits) => {
          if (bytes.length === 0) return;
          const copy = Buffer.from(bytes);
          for (const [at, value] of edits) copy[at % copy.length] = value;
          tryDecode(c, copy);
        }),
        { numRuns: 25 },
      );
    });
  }

  it('reject a count of 2^31-1 elements without allocating', () => {
    const produce = cases.find((c) => c.message.name === 'ProduceRequest' && c.version === 9)!;
    // null transactional id, acks, timeout, then a compact array count of 2^32-2 elements.
    const bytes = Buffer.from([0, 0, 1, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    const before = process.memoryUsage().heapUsed;
    expect(tryDecode(produce, bytes)).toBe('decode-error');
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(16 * 1024 * 1024);
  });
});
