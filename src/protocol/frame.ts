/**
 * Whole size-prefixed frames: `int32 size | header | body`, as they go over a socket.
 *
 * Responses come back as chunk lists so record batches in Fetch responses reach `socket.writev` without
 * being copied.
 */
import type { ApiCodec } from './codec.js';
import { requestHeaderVersion, responseHeaderVersion, writeRequestHeader, writeResponseHeader, type RequestHeader } from './headers.js';
import { Writer } from './primitives.js';

/** Encodes a response frame (size prefix, header, body) as chunks for socket.writev. */
export function encodeResponseFrame<Res>(
  codec: ApiCodec<unknown, Res>,
  apiVersion: number,
  correlationId: number,
  body: Res,
  initialCapacity = 256,
): Buffer[] {
  const w = new Writer(initialCapacity);
  w.int32(0);
  writeResponseHeader(w, responseHeaderVersion(codec.apiKey, apiVersion), correlationId);
  codec.writeResponse(w, apiVersion, body);
  w.patchInt32(0, w.length - 4);
  return w.toChunks();
}

/** Encodes a request frame (size prefix, header, body) as one buffer. */
export function encodeRequestFrame<Req>(
  codec: ApiCodec<Req, unknown>,
  apiVersion: number,
  correlationId: number,
  clientId: string | null,
  body: Req,
): Buffer {
  const w = new Writer();
  w.int32(0);
  const header: RequestHeader = { apiKey: codec.apiKey, apiVersion, correlationId, clientId };
  writeRequestHeader(w, requestHeaderVersion(codec.apiKey, apiVersion), header);
  codec.writeRequest(w, apiVersion, body);
  w.patchInt32(0, w.length - 4);
  return w.toBuffer();
}
