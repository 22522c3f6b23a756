/**
 * Kafka's answer to a failed authentication: the error response is held back for
 * connection.failed.authentication.delay.ms (so guessing passwords is slow and cheap for the broker), then sent,
 * then the connection is closed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { RequestContext } from '../context.js';
import { RespondAndClose } from '../handlers/respond-and-close.js';

export async function delayedRefusal<Res>(ctx: RequestContext, response: Res, reason: string): Promise<RespondAndClose<Res>> {
  ctx.logger.warn({ clientId: ctx.clientId, listener: ctx.listenerName }, `authentication failed: ${reason}`);
  const ms = ctx.config.connectionFailedAuthenticationDelayMs;
  if (ms > 0) await sleep(ms, undefined, { signal: ctx.signal }).catch(() => undefined); // a closed connection needs no answer
  return new RespondAndClose(response, `authentication failed: ${reason}`);
}
