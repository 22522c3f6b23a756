/**
 * Shared by the admin subcommands (`topics`, `groups`): they talk to a running broker over the Kafka
 * protocol (any Kafka-compatible cluster works), through kafkajs's admin client.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { securityFromFlags, SecurityFlagError, SECURITY_FLAGS_HELP, SECURITY_FLAG_OPTIONS, type ClientSecurity, type SecurityFlags } from '../client/security.js';
import { kafkaJsSecurity } from '../transport/kafkajs/kafkajs-security.js';
import { UsageError } from './command.js';

export const DEFAULT_BROKERS = '127.0.0.1:9092';

/** --brokers and the TLS/SASL flags every admin command takes. */
export const BROKERS_HELP = `  --brokers HOST:PORT[,...]  brokers to bootstrap from (default $KAFKAESQUE_BROKERS or ${DEFAULT_BROKERS})\n${SECURITY_FLAGS_HELP}`;

export function brokersFrom(flag: string | undefined): string[] {
  const list = (flag ?? process.env.KAFKAESQUE_BROKERS ?? DEFAULT_BROKERS)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.length === 0) throw new UsageError('--brokers is empty; give host:port');
  for (const b of list) if (!/^.+:\d+$/.test(b)) throw new UsageError(`--brokers: "${b}" is not host:port`);
  return list;
}

export type OptionsConfig = NonNullable<ParseArgsConfig['options']>;
const COMMON_OPTIONS = {
  ...SECURITY_FLAG_OPTIONS,
  brokers: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type AdminConfig<O extends OptionsConfig> = { args: string[]; allowPositionals: true; options: O & typeof COMMON_OPTIONS };

export interface AdminArgs<O extends OptionsConfig> {
  values: ReturnType<typeof parseArgs<AdminConfig<O>>>['values'];
  action: string | undefined;
  names: string[];
  brokers: string[];
  /** TLS/SASL from --security-protocol and friends. */
  security: ClientSecurity;
}

/** Where an admin command connects: brokers and how to authenticate. */
export interface AdminTarget {
  brokers: string[];
  security: ClientSecurity;
}

/**
 * Parses `<action> [names...]` plus the admin commands' common flags (--brokers, --json, --help) and the
 * command's own `options`. Returns undefined once `--help` has printed `help`; bad flags are UsageErrors.
 */
export function parseAdminArgs<O extends OptionsConfig>(argv: readonly string[], options: O, help: string): AdminArgs<O> | undefined {
  let parsed;
  try {
    parsed = parseArgs<AdminConfig<O>>({
      args: [...argv],
      allowPositionals: true,
      options: { ...options, ...COMMON_OPTIONS },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const common = values as { help?: boolean; brokers?: string };
  if (common.help) {
    print(help);
    return undefined;
  }
  const [action, ...names] = positionals;
  let security: ClientSecurity;
  try {
    security = securityFromFlags(values as SecurityFlags);
  } catch (err) {
    if (err instanceof SecurityFlagError) throw new UsageError(err.message);
    throw err;
  }
  return { values, action, names, brokers: brokersFrom(common.brokers), security };
}

/** Runs `fn` with a connected admin client, and always disconnects. */
export async function withAdmin<T>(target: string[] | AdminTarget, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const { brokers, security } = Array.isArray(target) ? { brokers: target, security: {} } : target;
  const kafka = new Kafka({ clientId: 'kafkaesque-cli', brokers, logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 100 }, ...kafkaJsSecurity(security) });
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (err) {
    throw new Error(`cannot reach a broker at ${brokers.join(',')}: ${(err as Error).message}`);
  }
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Left-aligned columns separated by two spaces, headers first. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function printJson(value: unknown): void {
  print(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2));
}
