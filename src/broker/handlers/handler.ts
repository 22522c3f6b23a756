/**
 * The shape every API handler has. One file per API exports one `Handler`; `handlers/index.ts` lists them,
 * and ApiVersions advertises exactly the listed ranges.
 */
import type { ApiCodec } from '../../protocol/codec.js';
import type { RequestContext } from '../context.js';
import type { CloseConnection } from './close-connection.js';
import type { RespondAndClose } from './respond-and-close.js';

export interface Handler<Req = any, Res = any> {
  readonly codec: ApiCodec<Req, Res>;
  /** Inclusive range of versions this handler serves (within the codec's range). */
  readonly minVersion: number;
  readonly maxVersion: number;
  /**
   * Returns the response, null when none is sent (Produce with acks=0), RespondAndClose to send one and then
   * close the connection (failed SASL authentication), or CloseConnection to send none and
   * close the connection (a refused Produce with acks=0).
   */
  handle(ctx: RequestContext, req: Req, version: number): Promise<Res | null | CloseConnection | RespondAndClose<Res>> | Res | null | CloseConnection | RespondAndClose<Res>;
  /**
   * A response carrying `errorCode` for every part of `req`, used for UNSUPPORTED_VERSION and for internal
   * failures. Without it the server closes the connection instead (as Kafka does when it cannot answer).
   */
  errorResponse?(req: Req, version: number, errorCode: number, message: string): Res;
  /**
   * True when nothing keeps a reference to the request's bytes (e.g. Produce records) once `handle` has
   * settled, so the server may reuse the frame's memory for the next request. Leave unset when in doubt.
   */
  readonly recyclesRequest?: boolean;
}

/** Helper so handler files get their request/response types inferred from the codec. */
export function defineHandler<Req, Res>(h: Handler<Req, Res>): Handler<Req, Res> {
  return h;
}
