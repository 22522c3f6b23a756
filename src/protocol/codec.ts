/**
 * The shape of a generated API codec and helpers to encode/decode a whole message body.
 *
 * A codec covers every version of one API; the broker picks the version from the request header and must
 * reject versions outside [minVersion, maxVersion] before decoding (decoders also refuse them).
 */
import { ProtocolDecodeError, ProtocolEncodeError } from './decode-error.js';
import { Reader, Writer } from './primitives.js';

export interface ApiCodec<Req, Res> {
  readonly apiKey: number;
  /** e.g. 'Produce'. */
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** First flexible version (compact encodings, tagged fields, header v2/v1); Infinity if never flexible. */
  readonly flexibleFrom: number;
  writeRequest(w: Writer, version: number, v: Req): void;
  readRequest(r: Reader, version: number): Req;
  writeResponse(w: Writer, version: number, v: Res): void;
  readResponse(r: Reader, version: number): Res;
}

export function checkReadVersion(r: Reader, api: string, version: number, min: number, max: number): void {
  if (!Number.isInteger(version) || version < min || version > max) {
    throw new ProtocolDecodeError(api, version, '(version)', `unsupported version; this codec reads versions ${min}-${max}`);
  }
  r.context(api, version);
}

export function checkWriteVersion(api: string, version: number, min: number, max: number): void {
  if (!Number.isInteger(version) || version < min || version > max) {
    throw new ProtocolEncodeError(`Cannot encode ${api} v${version}: this codec writes versions ${min}-${max}`);
  }
}

export function encodeRequest<Req>(codec: ApiCodec<Req, unknown>, version: number, value: Req): Buffer {
  const w = new Writer();
  codec.writeRequest(w, version, value);
  return w.toBuffer();
}

export function encodeResponse<Res>(codec: ApiCodec<unknown, Res>, version: number, value: Res): Buffer {
  const w = new Writer();
  codec.writeResponse(w, version, value);
  return w.toBuffer();
}

/** Decodes a request body; byte fields in the result are subarrays of `buf`. */
export function decodeRequest<Req>(codec: ApiCodec<Req, unknown>, version: number, buf: Buffer): Req {
  return codec.readRequest(new Reader(buf), version);
}

/** Decodes a response body; byte fields in the result are subarrays of `buf`. */
export function decodeResponse<Res>(codec: ApiCodec<unknown, Res>, version: number, buf: Buffer): Res {
  return codec.readResponse(new Reader(buf), version);
}
