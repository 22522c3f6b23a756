/**
 * The client side of SASL over Kafka: SaslHandshake v1, then SaslAuthenticate rounds. PLAIN sends the password
 * once (use it over TLS); SCRAM (RFC 5802) proves knowledge of it and checks the broker's signature.
 */
import type { ApiCodec } from '../protocol/codec.js';
import { KafkaError, ErrorCode } from '../protocol/errors.js';
import { SaslAuthenticate } from '../protocol/messages/sasl-authenticate.js';
import { SaslHandshake } from '../protocol/messages/sasl-handshake.js';
import {
  digest,
  encodeSaslName,
  hmac,
  parseScramAttributes,
  saltPassword,
  sameBytes,
  scramNonce,
  xor,
  SCRAM_MIN_ITERATIONS,
  type ScramMechanism,
} from '../protocol/sasl-scram.js';
import type { SaslClientOptions } from './security.js';

/** What `authenticate` needs of a connection: sending a request at a version. */
export interface SaslChannel {
  readonly address: string;
  send<Req, Res>(codec: ApiCodec<Req, Res>, version: number, body: Req): Promise<Res>;
}

/** Raised when the broker refuses our credentials or misbehaves during SASL. */
export class SaslAuthenticationError extends KafkaError {
  override readonly name = 'SaslAuthenticationError';
}

export async function authenticate(channel: SaslChannel, sasl: SaslClientOptions): Promise<void> {
  const handshake = await channel.send(SaslHandshake, 1, { mechanism: sasl.mechanism });
  if (handshake.errorCode !== ErrorCode.NONE) {
    throw new SaslAuthenticationError(handshake.errorCode, `SASL mechanism ${sasl.mechanism} refused by ${channel.address} (it offers ${handshake.mechanisms.join(', ') || 'none'})`);
  }
  const round = async (bytes: Buffer): Promise<Buffer> => {
    const res = await channel.send(SaslAuthenticate, 1, { authBytes: bytes });
    if (res.errorCode !== ErrorCode.NONE) {
      throw new SaslAuthenticationError(res.errorCode, `SASL ${sasl.mechanism} authentication of "${sasl.username}" at ${channel.address} failed: ${res.errorMessage ?? 'no reason given'}`);
    }
    return res.authBytes;
  };
  if (sasl.mechanism === 'PLAIN') {
    await round(Buffer.from(`\0${sasl.username}\0${sasl.password}`, 'utf8'));
    return;
  }
  await scram(sasl.mechanism, sasl, round, channel.address);
}

async function scram(mechanism: ScramMechanism, sasl: SaslClientOptions, round: (b: Buffer) => Promise<Buffer>, address: string): Promise<void> {
  const clientNonce = scramNonce();
  const clientFirstBare = `n=${encodeSaslName(sasl.username)},r=${clientNonce}`;
  const serverFirst = (await round(Buffer.from(`n,,${clientFirstBare}`, 'utf8'))).toString('utf8');
  const attrs = parseScramAttributes(serverFirst);
  const nonce = attrs.get('r') ?? '';
  const salt = Buffer.from(attrs.get('s') ?? '', 'base64');
  const iterations = Number(attrs.get('i'));
  const refuse = (why: string): never => {
    throw new SaslAuthenticationError(ErrorCode.SASL_AUTHENTICATION_FAILED, `SCRAM with ${address}: ${why}`);
  };
  if (!nonce.startsWith(clientNonce) || nonce.length === clientNonce.length) refuse('the server nonce does not extend ours');
  if (!Number.isInteger(iterations) || iterations < SCRAM_MIN_ITERATIONS) refuse(`the server asks for ${attrs.get('i')} iterations (at least ${SCRAM_MIN_ITERATIONS} expected)`);
  if (salt.length === 0) refuse('the server sent no salt');
  const salted = await saltPassword(mechanism, sasl.password, salt, iterations);
  const clientKey = hmac(mechanism, salted, 'Client Key');
  const storedKey = digest(mechanism, clientKey);
  const finalWithoutProof = `c=biws,r=${nonce}`;
  const authMessage = `${clientFirstBare},${serverFirst},${finalWithoutProof}`;
  const proof = xor(clientKey, hmac(mechanism, storedKey, authMessage));
  const serverFinal = parseScramAttributes((await round(Buffer.from(`${finalWithoutProof},p=${proof.toString('base64')}`, 'utf8'))).toString('utf8'));
  if (serverFinal.has('e')) refuse(`the server says ${serverFinal.get('e')}`);
  const expected = hmac(mechanism, hmac(mechanism, salted, 'Server Key'), authMessage);
  if (!sameBytes(Buffer.from(serverFinal.get('v') ?? '', 'base64'), expected)) refuse('the server signature is wrong (not the broker that holds our credentials?)');
}
