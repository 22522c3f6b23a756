/**
 * SCRAM (RFC 5802, RFC 7677) as Kafka uses it: SCRAM-SHA-256 and SCRAM-SHA-512, no channel binding. Only the
 * message syntax and the key derivation, shared by the broker (server side) and the client; the crypto is
 * node:crypto's (PBKDF2, HMAC, hashes).
 */
import crypto from 'node:crypto';

export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
export const SCRAM_MECHANISMS: readonly ScramMechanism[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512'];
/** Kafka's bounds on SCRAM iterations (ScramMechanism.minIterations/maxIterations). */
export const SCRAM_MIN_ITERATIONS = 4096;
export const SCRAM_MAX_ITERATIONS = 16384;

/** The mechanism numbers of Describe/AlterUserScramCredentials (Kafka's ScramMechanism.type). */
export const SCRAM_MECHANISM_CODE: Readonly<Record<ScramMechanism, number>> = { 'SCRAM-SHA-256': 1, 'SCRAM-SHA-512': 2 };
export function scramMechanismOfCode(code: number): ScramMechanism | null {
  return code === 1 ? 'SCRAM-SHA-256' : code === 2 ? 'SCRAM-SHA-512' : null;
}

export function scramHash(mechanism: ScramMechanism): 'sha256' | 'sha512' {
  return mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
}

/** What a server keeps per user and mechanism: never the password. */
export interface ScramCredential {
  readonly salt: Buffer;
  readonly iterations: number;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

/** Hi() of RFC 5802: PBKDF2 with the mechanism's HMAC. */
export function saltPassword(mechanism: ScramMechanism, password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  const hash = scramHash(mechanism);
  const length = hash === 'sha256' ? 32 : 64;
  return new Promise((resolve, reject) => {
    crypto.pbkdf2(password.normalize('NFKC'), salt, iterations, length, hash, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export function hmac(mechanism: ScramMechanism, key: Buffer, text: string | Buffer): Buffer {
  return crypto.createHmac(scramHash(mechanism), key).update(text).digest();
}

export function digest(mechanism: ScramMechanism, data: Buffer): Buffer {
  return crypto.createHash(scramHash(mechanism)).update(data).digest();
}

export function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** StoredKey and ServerKey from a salted password (what AlterUserScramCredentials carries). */
export function credentialFromSalted(mechanism: ScramMechanism, salt: Buffer, iterations: number, salted: Buffer): ScramCredential {
  const clientKey = hmac(mechanism, salted, 'Client Key');
  return { salt, iterations, storedKey: digest(mechanism, clientKey), serverKey: hmac(mechanism, salted, 'Server Key') };
}

export async function deriveCredential(mechanism: ScramMechanism, password: string, iterations = SCRAM_MIN_ITERATIONS): Promise<ScramCredential> {
  const salt = crypto.randomBytes(32);
  return credentialFromSalted(mechanism, salt, iterations, await saltPassword(mechanism, password, salt, iterations));
}

/** `a=1,b=2` → Map; throws on a malformed attribute. Values may contain '='. */
export function parseScramAttributes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split(',')) {
    if (part.length < 2 || part[1] !== '=') throw new Error(`malformed SCRAM attribute "${part}"`);
    out.set(part[0]!, part.slice(2));
  }
  return out;
}

/** RFC 5802 saslname: ',' and '=' escaped as =2C and =3D. */
export function encodeSaslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}
export function decodeSaslName(name: string): string {
  if (/=(?!2C|3D)/.test(name)) throw new Error('malformed saslname escape');
  return name.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

export function scramNonce(): string {
  return crypto.randomBytes(24).toString('base64');
}

/** Constant-time comparison of two keys (false when the lengths differ). */
export function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}
