/**
 * Who a connection is: its listener and principal (Kafka's `User:...` form), and for SASL listeners the
 * session that must authenticate before any API but ApiVersions and SaslHandshake/SaslAuthenticate.
 * PLAINTEXT connections share one frozen instance per listener, so plain connections cost nothing extra.
 */
import type { SaslSession } from './sasl-session.js';

/** connectionState key under which SASL handlers find the connection's `ConnectionAuth`. */
export const CONNECTION_AUTH = 'security.auth';

export interface ConnectionAuth {
  readonly listenerName: string;
  /** `User:ANONYMOUS` until TLS client authentication or SASL says otherwise. */
  principal: string;
  /** Set on SASL listeners only. */
  readonly sasl: SaslSession | null;
  /** False for TLS: its sockets cannot read into our buffers (onread), so they take the ordinary data path. */
  readonly plainTcp: boolean;
}
