/**
 * How a client reaches a secured broker: TLS (Kafka's SSL and SASL_SSL) and SASL (PLAIN, SCRAM-SHA-256,
 * SCRAM-SHA-512), plus `securityFromFlags`, which turns kcat-like command-line flags into these options. The
 * password never comes from a flag (it would show in `ps`): from a file or KAFKAESQUE_SASL_PASSWORD.
 */
import fs from 'node:fs';
import type tls from 'node:tls';

export type ClientSaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
export const CLIENT_SASL_MECHANISMS: readonly ClientSaslMechanism[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];

export interface SaslClientOptions {
  mechanism: ClientSaslMechanism;
  username: string;
  password: string;
}

/** TLS settings for `tls.connect` (ca, cert, key, servername, rejectUnauthorized). */
export type TlsClientOptions = Pick<tls.ConnectionOptions, 'ca' | 'cert' | 'key' | 'servername' | 'rejectUnauthorized'>;

export interface ClientSecurity {
  /** true or TLS options: connect with TLS (SSL / SASL_SSL). */
  ssl?: boolean | TlsClientOptions;
  /** Authenticate with SASL after connecting (SASL_PLAINTEXT / SASL_SSL). */
  sasl?: SaslClientOptions;
}

export const SECURITY_FLAGS_HELP = [
  '  --security-protocol P       PLAINTEXT (default), SSL, SASL_PLAINTEXT or SASL_SSL',
  '  --sasl-mechanism M          PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (default SCRAM-SHA-512)',
  '  --sasl-username NAME        SASL user',
  '  --sasl-password-file FILE   file holding the password (else $KAFKAESQUE_SASL_PASSWORD); never a flag',
  '  --ssl-ca FILE               PEM CA certificate(s) to trust for the broker',
  '  --ssl-cert FILE             PEM client certificate (mTLS)',
  '  --ssl-key FILE              PEM client key (mTLS)',
].join('\n');

/** parseArgs option specs for the flags above. */
export const SECURITY_FLAG_OPTIONS = {
  'security-protocol': { type: 'string' },
  'sasl-mechanism': { type: 'string' },
  'sasl-username': { type: 'string' },
  'sasl-password-file': { type: 'string' },
  'ssl-ca': { type: 'string' },
  'ssl-cert': { type: 'string' },
  'ssl-key': { type: 'string' },
} as const;

export interface SecurityFlags {
  'security-protocol'?: string;
  'sasl-mechanism'?: string;
  'sasl-username'?: string;
  'sasl-password-file'?: string;
  'ssl-ca'?: string;
  'ssl-cert'?: string;
  'ssl-key'?: string;
}

/** A bad security flag; the message says which and what to give. */
export class SecurityFlagError extends Error {
  override readonly name = 'SecurityFlagError';
}

function readFile(file: string, flag: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new SecurityFlagError(`--${flag} ${file}: ${(err as Error).message}`);
  }
}

export function securityFromFlags(flags: SecurityFlags, env: NodeJS.ProcessEnv = process.env): ClientSecurity {
  const protocol = (flags['security-protocol'] ?? 'PLAINTEXT').toUpperCase();
  if (!['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'].includes(protocol)) {
    throw new SecurityFlagError(`--security-protocol: "${flags['security-protocol']}" is not PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL`);
  }
  const out: ClientSecurity = {};
  const tlsUsed = protocol === 'SSL' || protocol === 'SASL_SSL';
  const saslUsed = protocol.startsWith('SASL_');
  for (const flag of ['ssl-ca', 'ssl-cert', 'ssl-key'] as const) {
    if (flags[flag] !== undefined && !tlsUsed) throw new SecurityFlagError(`--${flag} needs --security-protocol SSL or SASL_SSL`);
  }
  for (const flag of ['sasl-mechanism', 'sasl-username', 'sasl-password-file'] as const) {
    if (flags[flag] !== undefined && !saslUsed) throw new SecurityFlagError(`--${flag} needs --security-protocol SASL_PLAINTEXT or SASL_SSL`);
  }
  if (tlsUsed) {
    const options: TlsClientOptions = {};
    if (flags['ssl-ca'] !== undefined) options.ca = readFile(flags['ssl-ca'], 'ssl-ca');
    if ((flags['ssl-cert'] === undefined) !== (flags['ssl-key'] === undefined)) throw new SecurityFlagError('--ssl-cert and --ssl-key go together');
    if (flags['ssl-cert'] !== undefined) options.cert = readFile(flags['ssl-cert'], 'ssl-cert');
    if (flags['ssl-key'] !== undefined) options.key = readFile(flags['ssl-key'], 'ssl-key');
    out.ssl = options;
  }
  if (saslUsed) {
    const mechanism = (flags['sasl-mechanism'] ?? 'SCRAM-SHA-512').toUpperCase() as ClientSaslMechanism;
    if (!CLIENT_SASL_MECHANISMS.includes(mechanism)) throw new SecurityFlagError(`--sasl-mechanism: "${flags['sasl-mechanism']}" is not ${CLIENT_SASL_MECHANISMS.join(', ')}`);
    const username = flags['sasl-username'];
    if (!username) throw new SecurityFlagError(`--security-protocol ${protocol} needs --sasl-username`);
    let password: string | undefined;
    if (flags['sasl-password-file'] !== undefined) password = readFile(flags['sasl-password-file'], 'sasl-password-file').toString('utf8').replace(/\r?\n$/, '');
    else password = env.KAFKAESQUE_SASL_PASSWORD;
    if (!password) throw new SecurityFlagError(`--security-protocol ${protocol} needs a password: --sasl-password-file FILE or the environment variable KAFKAESQUE_SASL_PASSWORD`);
    out.sasl = { mechanism, username, password };
  }
  return out;
}
