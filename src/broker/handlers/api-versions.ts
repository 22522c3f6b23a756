/**
 * ApiVersions (key 18), v0–4: advertises exactly the registered handlers' ranges.
 *
 * A client asking for a newer version than we serve gets the v0-format reply with error 35
 * (UNSUPPORTED_VERSION) and our ranges, so it retries lower (KIP-511); the server sends that one.
 */
import { ApiVersions, createApiVersionsResponse, type ApiVersionsRequest, type ApiVersionsResponse } from '../../protocol/messages/api-versions.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { BrokerContext } from '../context.js';
import { defineHandler } from './handler.js';

function response(broker: BrokerContext, errorCode: number): ApiVersionsResponse {
  return createApiVersionsResponse({
    errorCode,
    apiKeys: broker.apis.map((a) => ({ apiKey: a.apiKey, minVersion: a.minVersion, maxVersion: a.maxVersion })),
  });
}

/** The reply to an ApiVersions version above ours, to be encoded as v0 with response header v0. */
export function apiVersionsUnsupportedReply(broker: BrokerContext): ApiVersionsResponse {
  return response(broker, ErrorCode.UNSUPPORTED_VERSION);
}

export const apiVersionsHandler = defineHandler<ApiVersionsRequest, ApiVersionsResponse>({
  codec: ApiVersions,
  minVersion: 0,
  maxVersion: 4,
  handle(ctx) {
    return response(ctx.broker, ErrorCode.NONE);
  },
});
