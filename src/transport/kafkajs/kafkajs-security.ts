/**
 * Our client security options (src/client/security.ts) in kafkajs's own form, so kafkajs does TLS and SASL
 * itself: `ssl` passes to tls.connect, SASL mechanisms become kafkajs's lower-case names.
 */
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import type { ClientSecurity } from '../../client/security.js';

export function kafkaJsSecurity(security: ClientSecurity): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const out: Pick<KafkaConfig, 'ssl' | 'sasl'> = {};
  if (security.ssl) out.ssl = security.ssl === true ? true : { ...security.ssl };
  if (security.sasl) {
    const { mechanism, username, password } = security.sasl;
    out.sasl = { mechanism: mechanism.toLowerCase(), username, password } as SASLOptions;
  }
  return out;
}
