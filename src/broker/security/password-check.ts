/**
 * Checks a user's password against their SCRAM credentials (the broker keeps no password): one PBKDF2 with
 * the credential's salt and iterations, then the StoredKey compared in constant time. SASL PLAIN and the HTTP
 * endpoint's basic auth both use it.
 */
import { digest, hmac, saltPassword, sameBytes, type ScramCredential, type ScramMechanism } from '../../protocol/sasl-scram.js';
import type { ScramStore } from './scram-store.js';

export async function passwordMatches(store: ScramStore, user: string, password: string): Promise<boolean> {
  const credentials = store.forUser(user);
  if (!credentials || credentials.size === 0) return false;
  const [mechanism, credential] = credentials.entries().next().value as [ScramMechanism, ScramCredential];
  const salted = await saltPassword(mechanism, password, credential.salt, credential.iterations);
  return sameBytes(digest(mechanism, hmac(mechanism, salted, 'Client Key')), credential.storedKey);
}
