/**
 * Principals and hosts as ACLs name them. A principal is `Type:name`; kafkaesque's authenticators produce
 * `User:` principals only (as Kafka's default principal builder), so `User:` is the one type accepted.
 */

export const ANONYMOUS_PRINCIPAL = 'User:ANONYMOUS';

/** The principal of an authenticated user name (SASL, HTTP basic auth), or ANONYMOUS for none. */
export function userPrincipal(user: string | null): string {
  return user === null ? ANONYMOUS_PRINCIPAL : `User:${user}`;
}
/**
 * Requests that code in the broker's own process sends through the in-process link (exactly-once capture's
 * transactional requests). No listener can produce it: every network principal is `User:<name>`.
 */
export const IN_PROCESS_PRINCIPAL = 'Broker:in-process';

/** Why `principal` is not a valid ACL principal, or null. */
export function principalProblem(principal: string): string | null {
  const colon = principal.indexOf(':');
  if (colon < 0) return `principal "${principal}" must have the form User:<name>`;
  if (principal.slice(0, colon) !== 'User') return `principal "${principal}": only the User principal type exists on this broker (e.g. User:alice)`;
  if (colon === principal.length - 1) return `principal "${principal}" has an empty name`;
  return null;
}

/**
 * `--super-users`: `admin,ops` or Kafka's own form `User:admin;User:ops`. A list containing `;` is split on
 * `;` only, so a principal with commas in it (a certificate subject) can be given as Kafka allows.
 * Bare names become `User:<name>`. Throws with a message naming the bad entry.
 */
export function parseSuperUsers(text: string | null): string[] {
  if (text === null) return [];
  const parts = text.includes(';') ? text.split(';') : text.split(',');
  const out: string[] = [];
  for (const raw of parts) {
    const entry = raw.trim();
    if (entry === '') continue;
    const principal = entry.includes(':') ? entry : `User:${entry}`;
    const problem = principalProblem(principal);
    if (problem) throw new Error(`--super-users: ${problem}`);
    out.push(principal);
  }
  return out;
}

/** The peer's address as ACL hosts name it: an IPv4 client of a dual-stack socket loses its `::ffff:` prefix. */
export function aclHostOf(remoteAddress: string | undefined): string {
  if (remoteAddress === undefined) return '';
  return remoteAddress.startsWith('::ffff:') && remoteAddress.includes('.') ? remoteAddress.slice(7) : remoteAddress;
}
