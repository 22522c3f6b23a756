/**
 * Property: our SCRAM/PLAIN client and the broker's SASL session agree for any user name and password
 * (commas, '=', NUL-free unicode), and a different password is always refused. Driven without sockets.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SaslSession, type SaslMechanism } from '../../src/broker/security/sasl-session.js';
import { ScramStore } from '../../src/broker/security/scram-store.js';
import { authenticate, SaslAuthenticationError, type SaslChannel } from '../../src/client/sasl.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { deriveCredential, SCRAM_MECHANISMS } from '../../src/protocol/sasl-scram.js';

/** A channel whose SaslHandshake/SaslAuthenticate go straight to a server-side session. */
function channel(session: SaslSession): SaslChannel {
  return {
    address: 'in-memory',
    async send(codec, _version, body) {
      const b = body as { mechanism?: string; authBytes?: Buffer };
      if (codec.name === 'SaslHandshake') {
        session.mechanism = b.mechanism as SaslMechanism;
        return { errorCode: ErrorCode.NONE, mechanisms: [...session.enabled] } as never;
      }
      const step = await session.step(b.authBytes!);
      if (step.kind === 'failed') return { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: step.message, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n } as never;
      if (step.kind === 'done') session.succeeded(step.user);
      return { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: step.kind === 'done' ? step.response : step.challenge, sessionLifetimeMs: 0n } as never;
    },
  };
}

const text = fc.string({ minLength: 1, maxLength: 20, unit: 'grapheme' }).filter((s) => !s.includes('\0'));
/** Names full of the characters SCRAM must escape (',' and '=') and escape look-alikes. */
const tricky = fc.string({ unit: fc.constantFrom('a', ',', '=', '2', 'C', '3', 'D', 'é'), minLength: 1, maxLength: 8 });

describe('SASL client and server agree', () => {
  it('for any user and password, with every mechanism; another password is refused', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(text, tricky), fc.oneof(text, tricky), text, fc.constantFrom<SaslMechanism>('PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'), async (user, password, other, mechanism) => {
        const store = ScramStore.inMemory();
        await store.alter(await Promise.all(SCRAM_MECHANISMS.map(async (m) => ({ user, mechanism: m, credential: await deriveCredential(m, password) }))));
        const good = new SaslSession(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'], store);
        let who = '';
        good.onAuthenticated = (u) => (who = u);
        await authenticate(channel(good), { mechanism, username: user, password });
        expect(good.authenticated).toBe(true);
        expect(who).toBe(user);
        if (other.normalize('NFKC') !== password.normalize('NFKC')) {
          const bad = new SaslSession(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'], store);
          await expect(authenticate(channel(bad), { mechanism, username: user, password: other })).rejects.toThrow(SaslAuthenticationError);
          expect(bad.authenticated).toBe(false);
        }
      }),
      { numRuns: 25 },
    );
  }, 60_000);
});
