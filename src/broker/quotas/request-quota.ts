/**
 * `request_percentage` enforcement: the share of the event loop a client's requests take, measured as the
 * time each handler runs before it first yields (what the event loop spends on the request itself; waiting
 * for the disk or for data, as a long-polling Fetch does, is not counted). 100 means one whole event loop,
 * Kafka's unit of one request-handler thread. A client over its share gets its answer after the throttle
 * time, with throttle_time_ms set. ApiVersions and the SASL handshake are never throttled (a client must be
 * able to connect to learn it is throttled).
 */
import { performance } from 'node:perf_hooks';
import type { Handler } from '../handlers/handler.js';
import { recordQuota, throttleDelay } from './throttle.js';

const EXEMPT: ReadonlySet<number> = new Set([17, 18, 36]); // SaslHandshake, ApiVersions, SaslAuthenticate

/** The handler, measured against the client's request_percentage quota (no cost while no quota exists). */
export function withRequestQuota(h: Handler): Handler {
  if (EXEMPT.has(h.codec.apiKey)) return h;
  return {
    ...h,
    handle(ctx, req, version) {
      const quotas = ctx.broker.services.quotas;
      if (!quotas || quotas.quotas.size === 0) return h.handle(ctx, req, version);
      const t0 = performance.now();
      const out = h.handle(ctx, req, version);
      // ms of event-loop time / 10 = percent of one event loop over a second.
      const ms = recordQuota(ctx, 'request_percentage', (performance.now() - t0) / 10);
      if (ms <= 0) return out;
      return Promise.resolve(out).then(async (res) => {
        await throttleDelay(ctx, ms);
        const r = res as { throttleTimeMs?: unknown } | null;
        if (r && typeof r.throttleTimeMs === 'number') r.throttleTimeMs = Math.max(r.throttleTimeMs, ms);
        return res;
      });
    },
  };
}
