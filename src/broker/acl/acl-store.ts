/**
 * The ACLs of the broker, in memory (indexed for the authorizer) and in a framed append-only log
 * (`acls.log` in the data dir, see framed-log.ts): one frame per CreateAcls or DeleteAcls, written before
 * the request is answered, so an acknowledged change survives a killed broker; a torn tail is cut off on
 * load. The log is compacted to the live ACLs at every start.
 *
 * Payloads are JSON (`{"v":1,"add"|"remove":[[type,name,pattern,principal,host,operation,permission],...]}`):
 * ACL changes are rare and small, so readability beats a binary layout here.
 */
import path from 'node:path';
import { FramedLog } from '../framed-log.js';
import { matchesFilter } from './acl-filter.js';
import { PatternType, type AclBinding, type AclBindingFilter } from './acl-types.js';

export const ACLS_FILE = 'acls.log';
const NO_ACLS: readonly AclBinding[] = [];
const FORMAT = 1;
/** ACLs per frame when compacting, keeping frames far below the framed log's size cap. */
const ACLS_PER_FRAME = 1000;

type Row = [number, string, number, string, string, number, number];

function toRow(b: AclBinding): Row {
  return [b.resourceType, b.resourceName, b.patternType, b.principal, b.host, b.operation, b.permissionType];
}

function fromRow(r: Row): AclBinding {
  return { resourceType: r[0], resourceName: r[1], patternType: r[2], principal: r[3], host: r[4], operation: r[5], permissionType: r[6] };
}

function keyOf(b: AclBinding): string {
  return JSON.stringify(toRow(b));
}

/** The ACLs of one resource type, by literal name and by prefix. */
interface TypeIndex {
  literal: Map<string, AclBinding[]>;
  prefixed: Map<string, AclBinding[]>;
}

export interface AclStoreOptions {
  fsync?: boolean;
}

export class AclStore {
  private readonly acls = new Map<string, AclBinding>();
  private readonly index = new Map<number, TypeIndex>();

  private constructor(private readonly log: FramedLog) {}

  /** Loads `<dataDir>/acls.log` (cutting off a torn tail) and compacts it. */
  static open(dataDir: string, options: AclStoreOptions = {}): { store: AclStore; truncatedBytes: number } {
    const { log, payloads, truncatedBytes } = FramedLog.open(path.join(dataDir, ACLS_FILE), options);
    const store = new AclStore(log);
    for (const payload of payloads) store.replay(payload);
    log.rewriteSync(store.livePayloads());
    return { store, truncatedBytes };
  }

  get size(): number {
    return this.acls.size;
  }

  /** Every ACL that matches `filter`. */
  list(filter: AclBindingFilter): AclBinding[] {
    const out: AclBinding[] = [];
    for (const b of this.acls.values()) if (matchesFilter(b, filter)) out.push(b);
    return out;
  }

  /**
   * The ACLs that apply to the resource (`type`, `name`): its literal name, the `*` wildcard and every
   * prefixed pattern that starts it. Called by the authorizer on every check.
   */
  matching(type: number, name: string): readonly AclBinding[] {
    const idx = this.index.get(type);
    if (!idx) return NO_ACLS;
    // Most resources have ACLs from one source: return that list as is, and copy only to merge.
    let single: readonly AclBinding[] | undefined;
    let merged: AclBinding[] | undefined;
    const take = (list: readonly AclBinding[] | undefined): void => {
      if (list === undefined) return;
      if (single === undefined) single = list;
      else (merged ??= [...single]).push(...list);
    };
    take(idx.literal.get(name));
    if (name !== '*') take(idx.literal.get('*'));
    const prefixes = idx.prefixed;
    if (prefixes.size > 0) {
      // Scan the prefixes, or probe each prefix of the name when that is fewer lookups (many prefixed ACLs).
      if (prefixes.size <= name.length) {
        for (const [prefix, acls] of prefixes) if (name.startsWith(prefix)) take(acls);
      } else {
        for (let k = 1; k <= name.length; k++) take(prefixes.get(name.slice(0, k)));
      }
    }
    return merged ?? single ?? NO_ACLS;
  }

  /** Every ACL of one resource type (for checks over all resources of a type). */
  ofType(type: number): AclBinding[] {
    const idx = this.index.get(type);
    if (!idx) return [];
    const out: AclBinding[] = [];
    for (const list of idx.literal.values()) out.push(...list);
    for (const list of idx.prefixed.values()) out.push(...list);
    return out;
  }

  /** Adds the ACLs not already present (existing ones are a no-op, as in Kafka); resolves once written. */
  async add(bindings: readonly AclBinding[]): Promise<void> {
    const byKey = new Map<string, AclBinding>();
    for (const b of bindings) {
      const key = keyOf(b);
      if (!this.acls.has(key)) byKey.set(key, b);
    }
    const fresh = [...byKey.values()];
    if (fresh.length === 0) return;
    for (const b of fresh) this.insert(b);
    try {
      await this.log.append(encode('add', fresh));
    } catch (err) {
      for (const b of fresh) this.delete(b); // the change never reached the file: undo it
      throw err;
    }
  }

  /** Removes every ACL matching any of `filters`; returns the removed ones per filter, once written. */
  async remove(filters: readonly AclBindingFilter[]): Promise<AclBinding[][]> {
    const removed = new Map<string, AclBinding>();
    const perFilter = filters.map((f) => {
      const hits = this.list(f);
      for (const b of hits) removed.set(keyOf(b), b);
      return hits;
    });
    if (removed.size === 0) return perFilter;
    for (const b of removed.values()) this.delete(b);
    try {
      await this.log.append(encode('remove', [...removed.values()]));
    } catch (err) {
      for (const b of removed.values()) this.insert(b);
      throw err;
    }
    return perFilter;
  }

  flush(): Promise<void> {
    return this.log.flush();
  }

  close(): Promise<void> {
    return this.log.close();
  }

  private replay(payload: Buffer): void {
    let entry: { v?: unknown; add?: Row[]; remove?: Row[] };
    try {
      entry = JSON.parse(payload.toString('utf8')) as typeof entry;
    } catch {
      throw new Error(`${ACLS_FILE}: a frame with a valid checksum is not JSON; the file was written by something else`);
    }
    if (entry.v !== FORMAT) throw new Error(`${ACLS_FILE}: format ${String(entry.v)} is not known to this version (expected ${FORMAT})`);
    for (const r of entry.add ?? []) this.insert(fromRow(r));
    for (const r of entry.remove ?? []) this.delete(fromRow(r));
  }

  private livePayloads(): Buffer[] {
    const all = [...this.acls.values()];
    const out: Buffer[] = [];
    for (let i = 0; i < all.length; i += ACLS_PER_FRAME) out.push(encode('add', all.slice(i, i + ACLS_PER_FRAME)));
    return out;
  }

  private insert(b: AclBinding): void {
    const key = keyOf(b);
    if (this.acls.has(key)) return;
    this.acls.set(key, b);
    let idx = this.index.get(b.resourceType);
    if (!idx) this.index.set(b.resourceType, (idx = { literal: new Map(), prefixed: new Map() }));
    const byName = b.patternType === PatternType.PREFIXED ? idx.prefixed : idx.literal;
    const list = byName.get(b.resourceName);
    if (list) list.push(b);
    else byName.set(b.resourceName, [b]);
  }

  private delete(b: AclBinding): void {
    const key = keyOf(b);
    const stored = this.acls.get(key);
    if (!stored) return;
    this.acls.delete(key);
    const idx = this.index.get(b.resourceType)!;
    const byName = b.patternType === PatternType.PREFIXED ? idx.prefixed : idx.literal;
    const rest = byName.get(b.resourceName)!.filter((x) => x !== stored);
    if (rest.length > 0) byName.set(b.resourceName, rest);
    else byName.delete(b.resourceName);
  }
}

function encode(kind: 'add' | 'remove', bindings: readonly AclBinding[]): Buffer {
  return Buffer.from(JSON.stringify({ v: FORMAT, [kind]: bindings.map(toRow) }), 'utf8');
}
