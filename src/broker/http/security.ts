/**
 * The HTTP endpoint's share of the broker's security settings (issue 14 on issue 13's flags):
 *
 * - HTTPS with the Kafka listeners' certificate (--ssl-cert/--ssl-key) under `--http-tls auto|on|off`;
 *   SIGHUP reloads it with the listeners'.
 * - HTTP basic auth against the broker's users (the SCRAM store: --users and AlterUserScramCredentials)
 *   whenever the broker authenticates Kafka clients, i.e. has --users or a SASL listener. A wrong password is
 *   answered after connection.failed.authentication.delay.ms, as a failed SASL login is.
 *
 * No client certificates on HTTP: browsers and Prometheus speak basic auth.
 */
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type tls from 'node:tls';
import type { Logger } from 'pino';
import { ConfigError, type BrokerConfig } from '../config.js';
import { passwordMatches } from '../security/password-check.js';
import type { ScramStore } from '../security/scram-store.js';
import type { HttpEndpointOptions } from './start.js';

export interface HttpSecurity {
  /** What startHttp needs: `tls` and `authenticate` as the configuration asks, else absent. */
  readonly options: HttpEndpointOptions;
  /** Hands over the SCRAM store once it is open; until then every login fails (only health routes exist then). */
  useStore(store: ScramStore): void;
  /** The certificate files read again, for a reload; null when HTTPS is off. */
  readTls(): tls.SecureContextOptions | null;
}

/** Does this broker authenticate its Kafka clients (so HTTP must too)? */
export function httpNeedsAuthentication(config: BrokerConfig, saslListener: boolean): boolean {
  return config.usersFile !== null || saslListener;
}

export function httpSecurity(config: BrokerConfig, saslListener: boolean, logger: Logger): HttpSecurity {
  const haveCert = config.sslCert !== null && config.sslKey !== null;
  if (config.httpTls === 'on' && !haveCert) throw new ConfigError('--http-tls on needs --ssl-cert and --ssl-key');
  const https = config.httpPort !== null && config.httpTls !== 'off' && haveCert;
  const readTls = (): tls.SecureContextOptions | null => {
    if (!https) return null;
    try {
      return { cert: fs.readFileSync(config.sslCert!), key: fs.readFileSync(config.sslKey!) };
    } catch (err) {
      throw new ConfigError(`--ssl-cert/--ssl-key for the HTTP endpoint: ${(err as Error).message}`);
    }
  };
  let store: ScramStore | null = null;
  const delayMs = config.connectionFailedAuthenticationDelayMs;
  const authenticate = async (user: string, password: string): Promise<boolean> => {
    if (store !== null && (await passwordMatches(store, user, password))) return true;
    logger.warn({ user }, 'HTTP authentication failed: unknown user or wrong password');
    if (delayMs > 0) await sleep(delayMs);
    return false;
  };
  const options: HttpEndpointOptions = {
    ...(https ? { tls: readTls()! } : {}),
    ...(httpNeedsAuthentication(config, saslListener) ? { authenticate } : {}),
  };
  return {
    options,
    useStore(s) {
      store = s;
    },
    readTls,
  };
}
