/**
 * SCRAM credentials by user and mechanism. `--users FILE` seeds them at start (fresh random salts, 4096
 * iterations, both mechanisms); changes made through AlterUserScramCredentials are kept in
 * `<data-dir>/scram-credentials.json` (salts and derived keys only, never a password) and applied on top of
 * the seed at every start, so they survive restarts.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../config.js';
import { deriveCredential, SCRAM_MECHANISMS, type ScramCredential, type ScramMechanism } from '../../protocol/sasl-scram.js';

export const SCRAM_STORE_FILE = 'scram-credentials.json';

interface StoredCredential {
  salt: string;
  iterations: number;
  storedKey: string;
  serverKey: string;
}
/** user → mechanism → credential, or null for "deleted through the API". */
type Overrides = Record<string, Partial<Record<ScramMechanism, StoredCredential | null>>>;

export class ScramStore {
  private readonly credentials = new Map<string, Map<ScramMechanism, ScramCredential>>();
  private overrides: Overrides = {};
  /** Writes of the overrides file, one at a time. */
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly file: string | null) {}

  /** An empty store that persists nothing (tests, brokers without SASL). */
  static inMemory(): ScramStore {
    return new ScramStore(null);
  }

  /** Derives the users file's credentials, then applies the persisted API changes from `dataDir`. */
  static async open(dataDir: string, usersFile: string | null): Promise<ScramStore> {
    const store = new ScramStore(path.join(dataDir, SCRAM_STORE_FILE));
    if (usersFile !== null) {
      for (const [user, password] of Object.entries(await readUsersFile(usersFile))) {
        for (const mechanism of SCRAM_MECHANISMS) store.put(user, mechanism, await deriveCredential(mechanism, password));
      }
    }
    let text: string | null = null;
    try {
      text = await fs.readFile(store.file!, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text !== null) {
      try {
        store.overrides = JSON.parse(text) as Overrides;
      } catch (err) {
        throw new Error(`${store.file} is not valid JSON (${(err as Error).message}); restore or remove it`);
      }
      for (const [user, byMechanism] of Object.entries(store.overrides)) {
        for (const mechanism of SCRAM_MECHANISMS) {
          const c = byMechanism[mechanism];
          if (c === null) store.remove(user, mechanism);
          else if (c !== undefined) store.put(user, mechanism, fromStored(c));
        }
      }
    }
    return store;
  }

  get(user: string, mechanism: ScramMechanism): ScramCredential | undefined {
    return this.credentials.get(user)?.get(mechanism);
  }

  /** Every credential a user has (PLAIN checks the password against one of them). */
  forUser(user: string): ReadonlyMap<ScramMechanism, ScramCredential> | undefined {
    return this.credentials.get(user);
  }

  users(): string[] {
    return [...this.credentials.keys()].sort();
  }

  get size(): number {
    return this.credentials.size;
  }

  /** Applies API changes and persists them before resolving (a crash before then loses the whole request). */
  async alter(changes: ReadonlyArray<{ user: string; mechanism: ScramMechanism; credential: ScramCredential | null }>): Promise<void> {
    for (const { user, mechanism, credential } of changes) {
      if (credential === null) this.remove(user, mechanism);
      else this.put(user, mechanism, credential);
      (this.overrides[user] ??= {})[mechanism] = credential === null ? null : toStored(credential);
    }
    if (this.file === null) return;
    const text = JSON.stringify(this.overrides);
    const file = this.file;
    const write = this.writing.then(async () => {
      const tmp = `${file}.tmp`;
      const handle = await fs.open(tmp, 'w', 0o600);
      try {
        await handle.writeFile(text);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(tmp, file);
    });
    this.writing = write.catch(() => undefined);
    await write;
  }

  private put(user: string, mechanism: ScramMechanism, credential: ScramCredential): void {
    let byMechanism = this.credentials.get(user);
    if (!byMechanism) this.credentials.set(user, (byMechanism = new Map()));
    byMechanism.set(mechanism, credential);
  }

  private remove(user: string, mechanism: ScramMechanism): void {
    const byMechanism = this.credentials.get(user);
    byMechanism?.delete(mechanism);
    if (byMechanism?.size === 0) this.credentials.delete(user);
  }
}

async function readUsersFile(file: string): Promise<Record<string, string>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`--users ${file}: ${(err as Error).message} (expected a JSON object {"user": "password"})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`--users ${file}: expected a JSON object {"user": "password"}`);
  for (const [user, password] of Object.entries(parsed)) {
    if (user.length === 0 || typeof password !== 'string' || password.length === 0) {
      throw new ConfigError(`--users ${file}: user "${user}" needs a non-empty string password`);
    }
  }
  return parsed as Record<string, string>;
}

function toStored(c: ScramCredential): StoredCredential {
  return { salt: c.salt.toString('base64'), iterations: c.iterations, storedKey: c.storedKey.toString('base64'), serverKey: c.serverKey.toString('base64') };
}

function fromStored(c: StoredCredential): ScramCredential {
  return { salt: Buffer.from(c.salt, 'base64'), iterations: c.iterations, storedKey: Buffer.from(c.storedKey, 'base64'), serverKey: Buffer.from(c.serverKey, 'base64') };
}

declare module '../context.js' {
  interface BrokerServices {
    /** SCRAM credentials (SaslAuthenticate, Describe/AlterUserScramCredentials). */
    scram: ScramStore;
  }
}
