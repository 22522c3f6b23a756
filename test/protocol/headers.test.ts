import { describe, expect, it } from 'vitest';
import { encodeRequestFrame, encodeResponseFrame } from '../../src/protocol/frame.js';
import {
  readRequestHeader,
  readRequestHeaderAuto,
  readResponseHeader,
  requestHeaderVersion,
  responseHeaderVersion,
  writeRequestHeader,
} from '../../src/protocol/headers.js';
import { ApiVersions, Fetch, Metadata, Produce, createApiVersionsResponse, createMetadataResponse } from '../../src/protocol/messages/index.js';
import { Reader, Writer } from '../../src/protocol/primitives.js';

describe('headers', () => {
  it('derive header versions from each API\'s first flexible version', () => {
    expect(requestHeaderVersion(Produce.apiKey, 8)).toBe(1);
    expect(requestHeaderVersion(Produce.apiKey, 9)).toBe(2);
    expect(responseHeaderVersion(Produce.apiKey, 9)).toBe(1);
    expect(requestHeaderVersion(Fetch.apiKey, 11)).toBe(1);
    expect(requestHeaderVersion(Fetch.apiKey, 12)).toBe(2);
    expect(requestHeaderVersion(Metadata.apiKey, 9)).toBe(2);
    expect(responseHeaderVersion(Metadata.apiKey, 8)).toBe(0);
    // ApiVersions: flexible request header from v3, but the response header is always v0.
    expect(requestHeaderVersion(ApiVersions.apiKey, 3)).toBe(2);
    expect(requestHeaderVersion(ApiVersions.apiKey, 7)).toBe(2);
    expect(responseHeaderVersion(ApiVersions.apiKey, 3)).toBe(0);
    expect(requestHeaderVersion(999, 0)).toBe(1);
  });

  it('write and read request header v1 and v2 (client id stays a classic string)', () => {
    const h = { apiKey: 18, apiVersion: 3, correlationId: 42, clientId: 'me' };
    const w = new Writer();
    writeRequestHeader(w, 2, h);
    const buf = w.toBuffer();
    expect([...buf]).toEqual([0, 18, 0, 3, 0, 0, 0, 42, 0, 2, 0x6d, 0x65, 0]);
    expect(readRequestHeader(new Reader(buf), 2)).toEqual(h);
    const auto = readRequestHeaderAuto(new Reader(buf));
    expect(auto.headerVersion).toBe(2);
    expect(auto.header).toEqual(h);
    const v1 = new Writer();
    writeRequestHeader(v1, 1, { ...h, clientId: null });
    expect(readRequestHeader(new Reader(v1.toBuffer()), 1).clientId).toBeNull();
  });

  it('frame responses with a size prefix and the right header', () => {
    const chunks = encodeResponseFrame(ApiVersions, 3, 7, createApiVersionsResponse({ apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }] }));
    const frame = Buffer.concat(chunks);
    expect(frame.readInt32BE(0)).toBe(frame.length - 4);
    const r = new Reader(frame, 4);
    expect(readResponseHeader(r, 0).correlationId).toBe(7);
    expect(ApiVersions.readResponse(r, 3).apiKeys).toEqual([{ apiKey: 18, minVersion: 0, maxVersion: 4 }]);

    const meta = Buffer.concat(encodeResponseFrame(Metadata, 12, 9, createMetadataResponse()));
    const m = new Reader(meta, 4);
    expect(readResponseHeader(m, 1).correlationId).toBe(9);
    Metadata.readResponse(m, 12);
    expect(m.remaining).toBe(0);
  });

  it('frame requests', () => {
    const frame = encodeRequestFrame(Metadata, 12, 3, 'c', { topics: null, allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    expect(frame.readInt32BE(0)).toBe(frame.length - 4);
    const r = new Reader(frame, 4);
    const { header, headerVersion } = readRequestHeaderAuto(r);
    expect(headerVersion).toBe(2);
    expect(header).toEqual({ apiKey: 3, apiVersion: 12, correlationId: 3, clientId: 'c' });
    expect(Metadata.readRequest(r, 12).topics).toBeNull();
  });
});
