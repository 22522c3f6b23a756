/**
 * Client quotas as Kafka models them (KIP-13, KIP-55, KIP-546): `producer_byte_rate`, `consumer_byte_rate`
 * , `request_percentage` and `controller_mutation_rate` (enforced in controller-mutation.ts) for entities made of a
 * user and/or a client id, each either named or the default (`null` name). AlterClientQuotas and
 * DescribeClientQuotas edit and read them; they persist in `<data-dir>/client-quotas.json` (written
 * atomically). Enforcement (throttle.ts) picks, per quota key, the most specific entity that sets it, in
 * Kafka's precedence order, and all clients matching that entity share its rate.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../log/atomic-file.js';

export const CLIENT_QUOTAS_FILE = 'client-quotas.json';
export const QUOTA_KEYS = ['producer_byte_rate', 'consumer_byte_rate', 'request_percentage', 'controller_mutation_rate'] as const;
export type QuotaKey = (typeof QUOTA_KEYS)[number];
/** Keys whose value Kafka defines as a whole number (a LONG config). */
const WHOLE_KEYS: ReadonlySet<string> = new Set(['producer_byte_rate', 'consumer_byte_rate']);

/** user / client-id: a name, null for the default entity, undefined when the entity has no such part. */
export interface QuotaEntity {
  user?: string | null;
  clientId?: string | null;
}

export interface QuotaEntry {
  entity: QuotaEntity;
  values: Partial<Record<QuotaKey, number>>;
}

export class QuotaRefused extends Error {}

/** A stable key of an entity ("u=alice|c=*"): parts absent, named, or default. */
export function entityKey(e: QuotaEntity): string {
  const part = (p: string | null | undefined): string => (p === undefined ? '-' : p === null ? '*' : `=${JSON.stringify(p)}`);
  return `u${part(e.user)}|c${part(e.clientId)}`;
}

/** Parses the request's entity parts (entityType "user" / "client-id"); refuses others and repeats. */
export function parseEntity(parts: readonly { entityType: string; entityName: string | null }[]): QuotaEntity {
  const e: QuotaEntity = {};
  if (parts.length === 0) throw new QuotaRefused('an entity needs a user, a client-id or both');
  for (const p of parts) {
    if (p.entityType === 'user') {
      if (e.user !== undefined) throw new QuotaRefused('the entity names user twice');
      e.user = p.entityName;
    } else if (p.entityType === 'client-id') {
      if (e.clientId !== undefined) throw new QuotaRefused('the entity names client-id twice');
      e.clientId = p.entityName;
    } else {
      throw new QuotaRefused(`entity type "${p.entityType}" is not supported here; use user and/or client-id`);
    }
  }
  return e;
}

export function entityParts(e: QuotaEntity): { entityType: string; entityName: string | null }[] {
  const out: { entityType: string; entityName: string | null }[] = [];
  if (e.user !== undefined) out.push({ entityType: 'user', entityName: e.user });
  if (e.clientId !== undefined) out.push({ entityType: 'client-id', entityName: e.clientId });
  return out;
}

/** Why a value is refused for a key, or null. */
export function quotaValueProblem(key: string, value: number): string | null {
  if (!(QUOTA_KEYS as readonly string[]).includes(key)) return `unknown quota key "${key}"; use ${QUOTA_KEYS.join(', ')}`;
  if (!Number.isFinite(value) || value <= 0) return `${key} must be a positive number, got ${value}`;
  if (WHOLE_KEYS.has(key) && !Number.isInteger(value)) return `${key} must be a whole number of bytes per second, got ${value}`;
  return null;
}

/** Resolutions remembered between quota changes; cleared past this many (distinct user/client/key triples). */
const RESOLVE_CACHE_MAX = 10_000;

export class ClientQuotas {
  private readonly entries = new Map<string, QuotaEntry>();
  /** resolve() results since the last change: a request costs one map lookup, not eight key builds. */
  private readonly resolved = new Map<string, { entity: QuotaEntity; limit: number } | null>();
  /** Bumped on every change, so throttle state keyed on resolutions can be reset. */
  version = 0;

  private constructor(private readonly file: string) {}

  static empty(dataDir: string): ClientQuotas {
    return new ClientQuotas(path.join(dataDir, CLIENT_QUOTAS_FILE));
  }

  static async load(dataDir: string): Promise<ClientQuotas> {
    const q = new ClientQuotas(path.join(dataDir, CLIENT_QUOTAS_FILE));
    try {
      const stored = JSON.parse(await fs.promises.readFile(q.file, 'utf8')) as QuotaEntry[];
      for (const e of stored) {
        const values: QuotaEntry['values'] = {};
        for (const [k, v] of Object.entries(e.values ?? {})) if (typeof v === 'number' && quotaValueProblem(k, v) === null) values[k as QuotaKey] = v;
        if (Object.keys(values).length > 0) q.entries.set(entityKey(e.entity), { entity: e.entity, values });
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    return q;
  }

  get size(): number {
    return this.entries.size;
  }

  list(): readonly QuotaEntry[] {
    return [...this.entries.values()];
  }

  get(e: QuotaEntity): QuotaEntry | undefined {
    return this.entries.get(entityKey(e));
  }

  /** Applies sets and removals to entities (already validated), then writes the file. */
  async apply(changes: readonly { entity: QuotaEntity; set: Partial<Record<QuotaKey, number>>; remove: readonly QuotaKey[] }[]): Promise<void> {
    for (const c of changes) {
      const k = entityKey(c.entity);
      const values = { ...(this.entries.get(k)?.values ?? {}), ...c.set };
      for (const r of c.remove) delete values[r];
      if (Object.keys(values).length === 0) this.entries.delete(k);
      else this.entries.set(k, { entity: c.entity, values });
    }
    this.version++;
    this.resolved.clear();
    await writeFileAtomic(this.file, JSON.stringify(this.list()));
  }

  /**
   * The entity whose `key` quota applies to this user and client id, in Kafka's order of precedence:
   * user+client, user+default client, user, default user+client, default user+default client, default user,
   * client, default client. Undefined when no entity sets the key.
   */
  resolve(user: string, clientId: string, key: QuotaKey): { entity: QuotaEntity; limit: number } | undefined {
    const cacheKey = `${key}\u0000${user}\u0000${clientId}`;
    const cached = this.resolved.get(cacheKey);
    if (cached !== undefined) return cached ?? undefined;
    if (this.resolved.size >= RESOLVE_CACHE_MAX) this.resolved.clear();
    const found = this.lookup(user, clientId, key);
    this.resolved.set(cacheKey, found ?? null);
    return found;
  }

  private lookup(user: string, clientId: string, key: QuotaKey): { entity: QuotaEntity; limit: number } | undefined {
    const candidates: QuotaEntity[] = [
      { user, clientId },
      { user, clientId: null },
      { user },
      { user: null, clientId },
      { user: null, clientId: null },
      { user: null },
      { clientId },
      { clientId: null },
    ];
    for (const entity of candidates) {
      const limit = this.entries.get(entityKey(entity))?.values[key];
      if (limit !== undefined) return { entity, limit };
    }
    return undefined;
  }
}
