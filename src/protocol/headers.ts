/**
 * Request and response headers (Kafka's RequestHeader.json / ResponseHeader.json).
 *
 * Request header v1: apiKey int16, apiVersion int16, correlationId int32, clientId nullable int16 string.
 * Request header v2 adds a tagged-field section; clientId keeps the classic (non-compact) encoding so any
 * broker can read it. Response header v0 is the correlation id; v1 adds a tagged-field section.
 * A request uses v2 (and its response v1) exactly when the API version is flexible — except ApiVersions,
 * whose response always uses header v0 so a client can read it before knowing what the broker supports.
 */
import { codecByApiKey } from './messages/index.js';
import type { Reader, Writer } from './primitives.js';

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

export const API_VERSIONS_KEY = 18;

export function readRequestHeader(r: Reader, headerVersion: number): RequestHeader {
  r.context('RequestHeader', headerVersion);
  const apiKey = r.int16('requestApiKey');
  const apiVersion = r.int16('requestApiVersion');
  const correlationId = r.int32('correlationId');
  const clientId = headerVersion >= 1 ? r.nullableString('clientId') : null;
  if (headerVersion >= 2) r.taggedFields('_tagged_fields');
  return { apiKey, apiVersion, correlationId, clientId };
}

/**
 * Reads a request header whose version is not known in advance: peeks apiKey and apiVersion, derives the
 * header version from them, then reads the rest. Returns the header and the version used.
 */
export function readRequestHeaderAuto(r: Reader): { header: RequestHeader; headerVersion: number } {
  const start = r.offset;
  r.context('RequestHeader', -1);
  const apiKey = r.int16('requestApiKey');
  const apiVersion = r.int16('requestApiVersion');
  r.offset = start;
  const headerVersion = requestHeaderVersion(apiKey, apiVersion);
  return { header: readRequestHeader(r, headerVersion), headerVersion };
}

export function writeRequestHeader(w: Writer, headerVersion: number, h: RequestHeader): void {
  w.int16(h.apiKey);
  w.int16(h.apiVersion);
  w.int32(h.correlationId);
  if (headerVersion >= 1) w.nullableString(h.clientId);
  if (headerVersion >= 2) w.taggedFields();
}

export function writeResponseHeader(w: Writer, headerVersion: number, correlationId: number): void {
  w.int32(correlationId);
  if (headerVersion >= 1) w.taggedFields();
}

export function readResponseHeader(r: Reader, headerVersion: number): { correlationId: number } {
  r.context('ResponseHeader', headerVersion);
  const correlationId = r.int32('correlationId');
  if (headerVersion >= 1) r.taggedFields('_tagged_fields');
  return { correlationId };
}

/** Whether a version of an API is flexible; unknown API keys are treated as never flexible. */
export function isFlexible(apiKey: number, apiVersion: number): boolean {
  const codec = codecByApiKey.get(apiKey);
  return codec !== undefined && apiVersion >= codec.flexibleFrom;
}

/**
 * Request header version: 2 for flexible API versions, else 1. Also right for versions above what the codec
 * decodes (e.g. a future ApiVersions v5), since flexibility never goes away once introduced.
 */
export function requestHeaderVersion(apiKey: number, apiVersion: number): number {
  return isFlexible(apiKey, apiVersion) ? 2 : 1;
}

/** Response header version: 1 for flexible API versions, else 0; always 0 for ApiVersions. */
export function responseHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === API_VERSIONS_KEY) return 0;
  return isFlexible(apiKey, apiVersion) ? 1 : 0;
}
