/**
 * SaslHandshake (key 17), v0–1: picks the connection's SASL mechanism on a SASL listener. An unknown or
 * disabled mechanism gets UNSUPPORTED_SASL_MECHANISM with the enabled list, after the failed-authentication
 * delay, and the connection is closed; on other listeners, or a second time, ILLEGAL_SASL_STATE (as Kafka).
 * After v0 the client sends raw SASL tokens (size-prefixed, no request header; connection.ts answers them the
 * same way), after v1 SaslAuthenticate requests.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { SaslHandshake, createSaslHandshakeResponse, type SaslHandshakeRequest, type SaslHandshakeResponse } from '../../protocol/messages/sasl-handshake.js';
import { CONNECTION_AUTH, type ConnectionAuth } from '../security/connection-auth.js';
import { delayedRefusal } from '../security/auth-failure.js';
import type { SaslMechanism } from '../security/sasl-session.js';
import { defineHandler } from './handler.js';
import { RespondAndClose } from './respond-and-close.js';

export const saslHandshakeHandler = defineHandler<SaslHandshakeRequest, SaslHandshakeResponse>({
  codec: SaslHandshake,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, req, version) {
    const session = (ctx.connectionState.get(CONNECTION_AUTH) as ConnectionAuth | undefined)?.sasl;
    if (!session) return createSaslHandshakeResponse({ errorCode: ErrorCode.ILLEGAL_SASL_STATE });
    const mechanisms = [...session.enabled];
    if (session.mechanism !== null || session.authenticated) {
      return new RespondAndClose(createSaslHandshakeResponse({ errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms }), 'second SaslHandshake');
    }
    if (!(session.enabled as readonly string[]).includes(req.mechanism)) {
      return delayedRefusal(ctx, createSaslHandshakeResponse({ errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms }), `unsupported SASL mechanism "${req.mechanism}" (enabled: ${mechanisms.join(', ')})`);
    }
    session.mechanism = req.mechanism as SaslMechanism;
    session.rawTokens = version === 0;
    return createSaslHandshakeResponse({ mechanisms });
  },
  errorResponse(_req, _version, errorCode) {
    return createSaslHandshakeResponse({ errorCode });
  },
});
