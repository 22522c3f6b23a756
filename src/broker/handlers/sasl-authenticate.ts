/**
 * SaslAuthenticate (key 36), v0–2: one round of the mechanism chosen by SaslHandshake. Success sets the
 * connection's principal to `User:<name>`; a failure is answered with SASL_AUTHENTICATION_FAILED after
 * connection.failed.authentication.delay.ms, then the connection is closed (as Kafka).
 */
import { ErrorCode } from '../../protocol/errors.js';
import { SaslAuthenticate, createSaslAuthenticateResponse, type SaslAuthenticateRequest, type SaslAuthenticateResponse } from '../../protocol/messages/sasl-authenticate.js';
import { CONNECTION_AUTH, type ConnectionAuth } from '../security/connection-auth.js';
import { delayedRefusal } from '../security/auth-failure.js';
import { defineHandler } from './handler.js';
import { RespondAndClose } from './respond-and-close.js';

export const saslAuthenticateHandler = defineHandler<SaslAuthenticateRequest, SaslAuthenticateResponse>({
  codec: SaslAuthenticate,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, req) {
    const auth = ctx.connectionState.get(CONNECTION_AUTH) as ConnectionAuth | undefined;
    const session = auth?.sasl;
    if (!auth || !session) {
      return createSaslAuthenticateResponse({ errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: `SaslAuthenticate on the ${ctx.listenerName} listener, which does not use SASL` });
    }
    if (session.mechanism === null || session.authenticated) {
      const errorMessage = session.authenticated ? 'already authenticated (re-authentication is not supported)' : 'SaslAuthenticate before SaslHandshake';
      return new RespondAndClose(createSaslAuthenticateResponse({ errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage }), errorMessage);
    }
    const step = await session.step(req.authBytes);
    if (step.kind === 'failed') {
      return delayedRefusal(ctx, createSaslAuthenticateResponse({ errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: step.message }), step.message);
    }
    if (step.kind === 'continue') return createSaslAuthenticateResponse({ authBytes: step.challenge });
    session.succeeded(step.user);
    ctx.logger.info({ principal: auth.principal, mechanism: session.mechanism, listener: ctx.listenerName }, 'authenticated');
    return createSaslAuthenticateResponse({ authBytes: step.response });
  },
  errorResponse(_req, _version, errorCode, message) {
    return createSaslAuthenticateResponse({ errorCode, errorMessage: message });
  },
});
