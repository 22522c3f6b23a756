/**
 * Kafka's `listeners` / `advertised.listeners`: `PROTOCOL://HOST:PORT,...`. The listener name is its security
 * protocol (Kafka's default `listener.security.protocol.map`), so each protocol appears at most once.
 */
import { ConfigError, type BrokerConfig } from '../config.js';

export const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;
export type SecurityProtocol = (typeof SECURITY_PROTOCOLS)[number];

export interface ListenerSpec {
  /** Also the listener name (ctx.listenerName). */
  readonly protocol: SecurityProtocol;
  readonly host: string;
  readonly port: number;
}

export const usesTls = (p: SecurityProtocol): boolean => p === 'SSL' || p === 'SASL_SSL';
export const usesSasl = (p: SecurityProtocol): boolean => p === 'SASL_PLAINTEXT' || p === 'SASL_SSL';

/** Parses one `PROTOCOL://HOST:PORT` list; `flag` names the option in errors. An empty host means all interfaces. */
export function parseListenerList(text: string, flag: string): ListenerSpec[] {
  const out: ListenerSpec[] = [];
  for (const raw of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([A-Za-z_]+):\/\/(\[[^\]]*\]|[^:/]*):(\d+)$/.exec(raw);
    if (!m) throw new ConfigError(`--${flag}: "${raw}" is not PROTOCOL://HOST:PORT (e.g. SASL_SSL://0.0.0.0:9093)`);
    const protocol = m[1]!.toUpperCase() as SecurityProtocol;
    if (!SECURITY_PROTOCOLS.includes(protocol)) {
      throw new ConfigError(`--${flag}: unknown protocol "${m[1]}" in "${raw}" (use ${SECURITY_PROTOCOLS.join(', ')})`);
    }
    if (out.some((l) => l.protocol === protocol)) throw new ConfigError(`--${flag}: ${protocol} is listed twice; each protocol names one listener`);
    const port = Number(m[3]);
    if (port > 65535) throw new ConfigError(`--${flag}: port ${port} in "${raw}" is above 65535`);
    const host = m[2]!.replace(/^\[|\]$/g, '');
    out.push({ protocol, host: host === '' ? '0.0.0.0' : host, port });
  }
  if (out.length === 0) throw new ConfigError(`--${flag}: no listener given`);
  return out;
}

/** The listeners to bind: `--listeners`, or one PLAINTEXT listener on `--host:--port`. */
export function configuredListeners(config: BrokerConfig): ListenerSpec[] {
  return config.listeners === null ? [{ protocol: 'PLAINTEXT', host: config.host, port: config.port }] : parseListenerList(config.listeners, 'listeners');
}

/**
 * Where clients of each listener are told to connect, by listener name. `--advertised-listeners` may only name
 * configured listeners (as Kafka requires); a listener it leaves out advertises its bound address.
 */
export function advertisedByListener(config: BrokerConfig, listeners: readonly ListenerSpec[]): Map<SecurityProtocol, { host: string; port: number }> {
  const out = new Map<SecurityProtocol, { host: string; port: number }>();
  if (config.advertisedListeners === null) return out;
  for (const a of parseListenerList(config.advertisedListeners, 'advertised-listeners')) {
    if (!listeners.some((l) => l.protocol === a.protocol)) {
      throw new ConfigError(`--advertised-listeners: ${a.protocol} is not among the listeners (${listeners.map((l) => l.protocol).join(', ')})`);
    }
    if (a.host === '0.0.0.0' || a.host === '::') throw new ConfigError(`--advertised-listeners: ${a.protocol} advertises ${a.host}, which clients cannot connect to`);
    out.set(a.protocol, { host: a.host, port: a.port });
  }
  return out;
}

/** Checks what the listeners need: certificates for TLS, mechanisms for SASL. */
export function checkListenerRequirements(config: BrokerConfig, listeners: readonly ListenerSpec[]): void {
  const tls = listeners.filter((l) => usesTls(l.protocol));
  if (tls.length > 0 && (config.sslCert === null || config.sslKey === null)) {
    throw new ConfigError(`--listeners: ${tls.map((l) => l.protocol).join(' and ')} need --ssl-cert and --ssl-key (PEM files)`);
  }
  if (config.sslClientAuth !== 'none' && config.sslCa === null && tls.length > 0) {
    throw new ConfigError('--ssl-client-auth requested/required needs --ssl-ca (the CA that signs client certificates)');
  }
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host) || host === '::ffff:127.0.0.1';
}
