/**
 * The server side of one connection's SASL exchange (SaslHandshake, then SaslAuthenticate rounds): PLAIN
 * (RFC 4616) and SCRAM-SHA-256/512 (RFC 5802), no channel binding. PLAIN passwords are checked against the
 * user's SCRAM credentials (the broker keeps no password), so PLAIN costs one PBKDF2 per login.
 */
import {
  decodeSaslName,
  digest,
  hmac,
  parseScramAttributes,
  saltPassword,
  sameBytes,
  scramNonce,
  xor,
  SCRAM_MECHANISMS,
  type ScramCredential,
  type ScramMechanism,
} from '../../protocol/sasl-scram.js';
import { ConfigError } from '../config.js';
import { passwordMatches } from './password-check.js';
import type { ScramStore } from './scram-store.js';

export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** connectionState key under which a SASL listener's connection keeps its session. */
export const SASL_SESSION = 'sasl.session';

export type SaslStep = { kind: 'continue'; challenge: Buffer } | { kind: 'done'; response: Buffer; user: string } | { kind: 'failed'; message: string };

interface ScramPending {
  mechanism: ScramMechanism;
  user: string;
  credential: ScramCredential;
  nonce: string;
  clientFirstBare: string;
  serverFirst: string;
  gs2Header: string;
}

export class SaslSession {
  /** The mechanism chosen by SaslHandshake, null before it. */
  mechanism: SaslMechanism | null = null;
  authenticated = false;
  /** After SaslHandshake v0 the client sends raw SASL tokens, not SaslAuthenticate requests. */
  rawTokens = false;
  /** Called once authentication succeeds: the connection takes `User:<user>` as its principal and lifts its pre-authentication frame limit. */
  onAuthenticated: ((user: string) => void) | null = null;
  private scram: ScramPending | null = null;

  constructor(
    readonly enabled: readonly SaslMechanism[],
    private readonly store: ScramStore,
  ) {}

  /** Marks the session authenticated as `user` and tells the connection (its frame limit rises). */
  succeeded(user: string): void {
    this.authenticated = true;
    this.onAuthenticated?.(user);
  }

  /** The next response to a client token, or why authentication failed. */
  async step(token: Buffer): Promise<SaslStep> {
    try {
      switch (this.mechanism) {
        case 'PLAIN':
          return await this.plain(token);
        case 'SCRAM-SHA-256':
        case 'SCRAM-SHA-512':
          return this.scram === null ? this.scramFirst(this.mechanism, token) : this.scramFinal(this.scram, token);
        default:
          return { kind: 'failed', message: 'SaslAuthenticate before SaslHandshake' };
      }
    } catch (err) {
      return { kind: 'failed', message: `malformed ${this.mechanism} message: ${(err as Error).message}` };
    }
  }

  private async plain(token: Buffer): Promise<SaslStep> {
    const parts = token.toString('utf8').split('\0');
    if (parts.length !== 3) return { kind: 'failed', message: 'PLAIN expects authzid NUL user NUL password' };
    const [authzid, user, password] = parts as [string, string, string];
    if (authzid !== '' && authzid !== user) return { kind: 'failed', message: 'PLAIN authorization id must be empty or the user name' };
    const ok = await passwordMatches(this.store, user, password);
    return ok ? { kind: 'done', response: Buffer.alloc(0), user } : { kind: 'failed', message: 'Authentication failed: Invalid username or password' };
  }

  private scramFirst(mechanism: ScramMechanism, token: Buffer): SaslStep {
    const text = token.toString('utf8');
    // gs2-header: "n,," or "y,," (no channel binding), optionally with "a=authzid" between the commas.
    const m = /^([ny]),(a=[^,]*)?,(.*)$/s.exec(text);
    if (!m) return { kind: 'failed', message: 'SCRAM client-first message must start with "n,," (channel binding is not supported)' };
    const clientFirstBare = m[3]!;
    const attrs = parseScramAttributes(clientFirstBare);
    const name = attrs.get('n');
    const clientNonce = attrs.get('r');
    if (name === undefined || !clientNonce) return { kind: 'failed', message: 'SCRAM client-first message needs n= and r=' };
    const user = decodeSaslName(name);
    if (m[2] !== undefined && decodeSaslName(m[2].slice(2)) !== user) return { kind: 'failed', message: 'SCRAM authorization id must be the user name' };
    const credential = this.store.get(user, mechanism);
    if (!credential) return { kind: 'failed', message: `Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}` };
    const nonce = clientNonce + scramNonce();
    const serverFirst = `r=${nonce},s=${credential.salt.toString('base64')},i=${credential.iterations}`;
    this.scram = { mechanism, user, credential, nonce, clientFirstBare, serverFirst, gs2Header: text.slice(0, text.length - clientFirstBare.length) };
    return { kind: 'continue', challenge: Buffer.from(serverFirst, 'utf8') };
  }

  private scramFinal(s: ScramPending, token: Buffer): SaslStep {
    const text = token.toString('utf8');
    const proofAt = text.lastIndexOf(',p=');
    if (proofAt < 0) return { kind: 'failed', message: 'SCRAM client-final message needs p=' };
    const withoutProof = text.slice(0, proofAt);
    const attrs = parseScramAttributes(withoutProof);
    if (attrs.get('c') !== Buffer.from(s.gs2Header, 'utf8').toString('base64')) return { kind: 'failed', message: 'SCRAM channel binding data does not match the client-first message' };
    // Kafka's ScramSaslServer accepts a final nonce that *ends with* the server-first nonce, and librdkafka relies
    // on it: it sends its client nonce again in front of the combined one.
    if (!(attrs.get('r') ?? '').endsWith(s.nonce)) return { kind: 'failed', message: 'SCRAM nonce does not match' };
    const proof = Buffer.from(text.slice(proofAt + 3), 'base64');
    const authMessage = `${s.clientFirstBare},${s.serverFirst},${withoutProof}`;
    const clientSignature = hmac(s.mechanism, s.credential.storedKey, authMessage);
    if (proof.length !== clientSignature.length || !sameBytes(digest(s.mechanism, xor(proof, clientSignature)), s.credential.storedKey)) {
      return { kind: 'failed', message: `Authentication failed during authentication due to invalid credentials with SASL mechanism ${s.mechanism}` };
    }
    const serverSignature = hmac(s.mechanism, s.credential.serverKey, authMessage);
    return { kind: 'done', response: Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8'), user: s.user };
  }
}

/** Parses `--sasl-mechanisms`. */
export function parseSaslMechanisms(text: string): SaslMechanism[] {
  const out: SaslMechanism[] = [];
  for (const raw of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = raw.toUpperCase() as SaslMechanism;
    if (!SASL_MECHANISMS.includes(m)) throw new ConfigError(`--sasl-mechanisms: unknown mechanism "${raw}" (use ${SASL_MECHANISMS.join(', ')})`);
    if (!out.includes(m)) out.push(m);
  }
  if (out.length === 0) throw new Error('--sasl-mechanisms: no mechanism given');
  return out;
}

export const isScram = (m: string): m is ScramMechanism => (SCRAM_MECHANISMS as readonly string[]).includes(m);
