/**
 * TLS for SSL and SASL_SSL listeners: the secure context from PEM files (reloadable: connections accepted
 * after a reload use the new certificates, open ones keep theirs), the handshake deadline, and the mTLS
 * principal as Kafka's default principal builder gives it (`User:` + the subject in RFC 2253 form).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import type net from 'node:net';
import tls from 'node:tls';
import type { Logger } from 'pino';
import { ConfigError, type BrokerConfig } from '../config.js';

export const ANONYMOUS = 'User:ANONYMOUS';

export class TlsAcceptor {
  private context: tls.SecureContext;

  constructor(
    private readonly config: BrokerConfig,
    private readonly logger: Logger,
  ) {
    this.context = loadSecureContext(config);
  }

  /** Re-reads the PEM files; on failure keeps the current certificates and says why. */
  reload(): boolean {
    try {
      this.context = loadSecureContext(this.config);
      this.logger.info({ cert: this.config.sslCert }, 'TLS certificates reloaded');
      return true;
    } catch (err) {
      this.logger.error({ err: (err as Error).message }, 'TLS certificate reload failed; keeping the previous certificates');
      return false;
    }
  }

  /**
   * Starts a server-side handshake on an accepted socket. `onSecure` gets the connection's principal once the
   * handshake is done; a handshake that has not finished within --ssl-handshake-timeout-ms is cut off, and a
   * client certificate that does not verify closes the connection even when certificates are only requested.
   */
  wrap(raw: net.Socket, onSecure: (principal: string) => void): tls.TLSSocket {
    const auth = this.config.sslClientAuth;
    const socket = new tls.TLSSocket(raw, {
      isServer: true,
      secureContext: this.context,
      requestCert: auth !== 'none',
      rejectUnauthorized: auth === 'required',
    });
    const timer = setTimeout(() => {
      this.logger.info({ peer: `${raw.remoteAddress}:${raw.remotePort}`, ms: this.config.sslHandshakeTimeoutMs }, 'closing connection: TLS handshake not finished in time (--ssl-handshake-timeout-ms)');
      socket.destroy();
    }, this.config.sslHandshakeTimeoutMs);
    socket.once('close', () => clearTimeout(timer));
    socket.once('secure', () => {
      clearTimeout(timer);
      const peer = auth === 'none' ? undefined : socket.getPeerX509Certificate();
      const refuse = (reason: string): void => {
        this.logger.warn({ peer: `${raw.remoteAddress}:${raw.remotePort}`, reason }, 'closing connection: client certificate refused (--ssl-client-auth, --ssl-ca)');
        socket.destroy();
      };
      if (auth === 'required' && !peer) return refuse('no client certificate');
      if (peer) {
        const error = verifyError(socket);
        if (error) return refuse(error);
      }
      onSecure(peer ? `User:${rfc2253Subject(peer)}` : ANONYMOUS);
    });
    return socket;
  }
}

/**
 * Why the peer's certificate chain did not verify against --ssl-ca, or null. A TLSSocket made outside tls.Server
 * gets no `authorized` flag, so this asks the TLS handle directly, as tls.Server itself does on 'secure'
 * (lib/_tls_wrap.js, onServerSocketSecure). If that handle method is missing, nothing is trusted.
 */
function verifyError(socket: tls.TLSSocket): string | null {
  const handle = (socket as unknown as { _handle?: { verifyError?: () => (Error & { code?: string }) | null } })._handle;
  if (typeof handle?.verifyError !== 'function') return 'this Node version gives no way to verify client certificates';
  const error = handle.verifyError();
  return error ? (error.code ?? error.message) : null;
}

export function loadSecureContext(config: BrokerConfig): tls.SecureContext {
  const read = (file: string | null, flag: string): Buffer | undefined => {
    if (file === null) return undefined;
    try {
      return fs.readFileSync(file);
    } catch (err) {
      throw new ConfigError(`--${flag} ${file}: ${(err as Error).message}`);
    }
  };
  try {
    return tls.createSecureContext({ cert: read(config.sslCert, 'ssl-cert'), key: read(config.sslKey, 'ssl-key'), ca: read(config.sslCa, 'ssl-ca') });
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`--ssl-cert/--ssl-key/--ssl-ca: ${(err as Error).message} (PEM files expected)`);
  }
}

/**
 * The subject as Java's X500Principal.getName() (RFC 2253) writes it, which Kafka's default principal builder
 * uses: most specific first ("CN=client,O=Acme,C=DE"), ',' '+' '"' '\' '<' '>' ';' escaped with '\'.
 */
export function rfc2253Subject(cert: crypto.X509Certificate): string {
  return cert.subject
    .split('\n')
    .filter(Boolean)
    .reverse()
    .map((rdn) => {
      const eq = rdn.indexOf('=');
      const value = rdn.slice(eq + 1).replace(/\\(.)/g, '$1');
      return `${rdn.slice(0, eq)}=${value.replace(/([,+"\\<>;])/g, '\\$1')}`;
    })
    .join(',');
}
