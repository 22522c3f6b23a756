/**
 * For every API, every version, request and response: schema-driven random values survive
 * decode(encode(x)) (with absent fields at their defaults) and encode(decode(encode(x))) is byte-stable.
 */
import { readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codecByApiKey } from '../../src/protocol/messages/index.js';
import { Reader, Writer } from '../../src/protocol/primitives.js';
import { allCases, canon, decode, encode, loadSchemas, messageArb, normalize } from './helpers/schema-model.js';

const cases = allCases(loadSchemas());

describe('generated codecs round-trip schema-generated values', () => {
  it('cover every API and version', () => {
    // One codec per request schema vendored in protocol/schemas/message (RequestHeader is not an API).
    const requestSchemas = readdirSync(new URL('../../protocol/schemas/message/', import.meta.url)).filter((f) => f.endsWith('Request.json') && f !== 'RequestHeader.json');
    expect(requestSchemas.length).toBeGreaterThanOrEqual(44);
    expect(codecByApiKey.size).toBe(requestSchemas.length);
    expect(new Set(cases.map((c) => c.api.apiKey)).size).toBe(codecByApiKey.size);
  });

  for (const c of cases) {
    it(`${c.message.name} v${c.version}`, () => {
      fc.assert(
        fc.property(messageArb(c), (x) => {
          const w1 = new Writer(16);
          encode(c, x, w1);
          const bytes = w1.toBuffer();
          const r = new Reader(bytes);
          const y = decode(c, r);
          expect(r.remaining).toBe(0);
          expect(canon(y)).toEqual(canon(normalize(c.message, c.message.fields, c.version, x)));
          const w2 = new Writer();
          encode(c, y, w2);
          expect(w2.toBuffer().equals(bytes)).toBe(true);
          // The chunked form carries the same bytes.
          expect(Buffer.concat(w1.toChunks()).equals(bytes)).toBe(true);
        }),
        { numRuns: 40 },
      );
    });
  }
});
