/**
 * How the processes of a run prove to each other that they were given the same secret, before any frame is
 * trusted: a challenge and response in both directions with HMAC-SHA256 over fresh random nonces.
 * - the dialing process sends its nonce in its hello;
 * - the accepting process answers with its own nonce and its proof over both nonces;
 * - the dialer checks that proof, then sends its own proof (another label, so one side's proof can never be
 *   replayed as the other's).
 * Over TLS the proofs also cover keying material exported from the TLS session (RFC 5705), so a relay in the
 * middle that terminates two separate TLS sessions cannot pass the proofs along.
 * Proofs are compared with timingSafeEqual: a byte-by-byte compare would tell an attacker how much was right.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { WorkerArgsError } from './args-error.js';

/** The environment variable that carries the mesh secret when no file is given. */
export const MESH_SECRET_ENV = 'KAFKAESQUE_MESH_SECRET';
export const NONCE_BYTES = 32;
/** Shorter secrets are refused: a guessable secret makes the proofs worthless. */
export const MIN_SECRET_BYTES = 16;

export type ProofRole = 'accept' | 'dial';

export function newNonce(): Buffer {
  return randomBytes(NONCE_BYTES);
}

/** What binds a proof to this connection: TLS keying material over TLS, nothing over plain TCP. */
export function channelBinding(socket: Socket): Buffer {
  return socket instanceof TLSSocket ? socket.exportKeyingMaterial(32, 'EXPORTER-kafkaesque-mesh', Buffer.alloc(0)) : Buffer.alloc(0);
}

export function proof(secret: Buffer, role: ProofRole, dialNonce: Uint8Array, acceptNonce: Uint8Array, binding: Buffer): Buffer {
  return createHmac('sha256', secret)
    .update(`kafkaesque-mesh-v2 ${role}\n`)
    .update(dialNonce)
    .update(acceptNonce)
    .update(binding)
    .digest();
}

/** Whether `received` is the proof expected (constant time; anything of another shape is false). */
export function verifyProof(expected: Buffer, received: unknown): boolean {
  if (!(received instanceof Uint8Array) || received.length !== expected.length) return false;
  return timingSafeEqual(expected, received);
}

export function isNonce(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === NONCE_BYTES;
}

/** Checks a secret's length; `source` names where it came from in the error. */
export function checkSecret(secret: Buffer, source: string): Buffer {
  if (secret.length < MIN_SECRET_BYTES) {
    throw new WorkerArgsError(`the mesh secret from ${source} has ${secret.length} byte(s); use at least ${MIN_SECRET_BYTES} random bytes (e.g. openssl rand -hex 32 > mesh.secret)`);
  }
  return secret;
}

/** Reads a secret file (surrounding whitespace, e.g. a trailing newline, is not part of the secret). */
export function readSecretFile(file: string): Buffer {
  let text: Buffer;
  try {
    text = fs.readFileSync(file);
  } catch (error) {
    throw new WorkerArgsError(`cannot read the mesh secret file ${file}: ${(error as Error).message}`);
  }
  return checkSecret(Buffer.from(text.toString('utf8').trim(), 'utf8'), `file ${file}`);
}

/** The secret from the environment, if set. */
export function secretFromEnv(env: NodeJS.ProcessEnv = process.env): Buffer | undefined {
  const value = env[MESH_SECRET_ENV];
  if (value === undefined || value === '') return undefined;
  return checkSecret(Buffer.from(value.trim(), 'utf8'), `${MESH_SECRET_ENV}`);
}

/** Whether an address's host can only be this machine (a mesh confined to it needs no secret). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || /^::ffff:127\./.test(h);
}
