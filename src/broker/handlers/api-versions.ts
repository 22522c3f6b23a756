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

/**
 * Lowest versions advertised below what the handler serves. Produce is advertised from v0, as Kafka 4 does
 * (KAFKA-18659): librdkafka up to 2.11 checks that Produce v0 is supported before it uses gzip, snappy or lz4,
 * and silently sends uncompressed batches otherwise. A Produce v0–2 request still gets UNSUPPORTED_VERSION
 * (the server answers versions below the handler's range so). Fetch stays at v4+, as in Kafka 4: no client
 * gates a feature on a Fetch version below 4 once it has seen Produce v3+ (record batch v2).
 */
const ADVERTISED_FROM: Readonly<Record<number, { advertise: number; whenServedFrom: number }>> = { 0: { advertise: 0, whenServedFrom: 3 } };

/**
 * The lowest version ApiVersions advertises for an API whose handler serves from `served`: lowered only over
 * the legacy gap Kafka 4 advertises too (Produce v0–2 below a handler serving from v3), never over versions a
 * client could pick as its best common one.
 */
export function advertisedMinVersion(apiKey: number, served: number): number {
  const rule = ADVERTISED_FROM[apiKey];
  return rule && served <= rule.whenServedFrom ? Math.min(served, rule.advertise) : served;
}

function response(broker: BrokerContext, errorCode: number): ApiVersionsResponse {
  return createApiVersionsResponse({
    errorCode,
    apiKeys: broker.apis.map((a) => ({ apiKey: a.apiKey, minVersion: advertisedMinVersion(a.apiKey, a.minVersion), maxVersion: a.maxVersion })),
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
