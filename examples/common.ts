/** Shared plumbing of the examples: flags, the embedded broker when --brokers is absent, progress bars. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, type MessagePort } from 'node:worker_threads';
import { securityFromFlags, SecurityFlagError, SECURITY_FLAG_OPTIONS, SECURITY_FLAGS_HELP, type SecurityFlags } from '../src/client/security.js';
import { DEFAULT_REMOTE_TRANSPORT, DEFAULT_TRANSPORT, TRANSPORTS, type TransportName } from '../src/transport/open-transport.js';
import { parseWorkerArgs, type ExecuteConfig } from '../src/workers/args.js';
import type { RunningBroker } from '../src/broker/running-broker.js';

export interface ExampleArgs {
  positional: string[];
  workers: Required<ExecuteConfig>;
  brokers: string[] | undefined;
  dataDir: string;
  transport: TransportName;
  /** kcat-like TLS/SASL flags, as given (workers turn them into options themselves, so no password travels). */
  security: SecurityFlags;
  replace: boolean;
  type: 'f64' | 'u64';
}

/**
 * Whether the module at `url` is the script node was started with (on the main thread): only then does an
 * example run its command line. Worker threads, benchmarks and tests import the same modules.
 */
export function isEntryPoint(url: string): boolean {
  const script = process.argv[1];
  if (!isMainThread || script === undefined) return false;
  // Node resolves symlinks in module URLs (not in argv), so compare real paths.
  try {
    return fs.realpathSync(script) === fs.realpathSync(fileURLToPath(url));
  } catch {
    return false;
  }
}

export function usage(text: string): never {
  process.stderr.write(`${text}\n`);
  process.exit(2);
}

/**
 * Removes every `flag N` (or `flag=N`) from argv and returns the last N, a non-negative integer (so
 * `npm start -- --count 1000000` overrides the script's own --count); undefined when absent.
 */
export function takeNumberFlag(argv: string[], flag: string, help: string): number | undefined {
  let result: number | undefined;
  for (let i = argv.findIndex(isFlag); i >= 0; i = argv.findIndex(isFlag)) {
    const inline = argv[i]!.startsWith(`${flag}=`) ? argv[i]!.slice(flag.length + 1) : undefined;
    const text = inline ?? argv[i + 1];
    result = Number(text);
    if (text === undefined || text === '' || !Number.isSafeInteger(result) || result < 0) usage(`${flag} needs a non-negative integer\n${help}`);
    argv.splice(i, inline === undefined ? 2 : 1);
  }
  return result;

  function isFlag(arg: string): boolean {
    return arg === flag || arg.startsWith(`${flag}=`);
  }
}

export function parseExampleArgs(argv: readonly string[], help: string): ExampleArgs {
  const { config, rest } = parseWorkerArgs(argv);
  const positional: string[] = [];
  const args: ExampleArgs = { positional, workers: config, brokers: undefined, dataDir: './kafkaesque-data', transport: DEFAULT_TRANSPORT, replace: false, type: 'f64', security: {} };
  let transportGiven = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => inline ?? rest[++i] ?? usage(`${flag} needs a value\n${help}`);
    if (flag === '--brokers') args.brokers = value().split(',').filter(Boolean);
    else if (flag === '--data-dir') args.dataDir = value();
    else if (flag === '--sasl-password') usage(`--sasl-password is not accepted (it would show in ps): use --sasl-password-file FILE or KAFKAESQUE_SASL_PASSWORD\n${help}`);
    else if (flag.startsWith('--') && flag.slice(2) in SECURITY_FLAG_OPTIONS) args.security[flag.slice(2) as keyof SecurityFlags] = value();
    else if (flag === '--transport') {
      const t = value();
      if (!(TRANSPORTS as readonly string[]).includes(t) || t === 'memory') usage(`--transport must be embedded, wire or kafkajs\n${help}`);
      args.transport = t as TransportName;
      transportGiven = true;
    } else if (flag === '--replace') args.replace = true;
    else if (flag === '--type') {
      const t = value();
      if (t !== 'f64' && t !== 'u64') usage(`--type must be f64 or u64\n${help}`);
      args.type = t;
    } else if (flag === '--help') usage(help);
    else if (flag.startsWith('-') && flag.length > 1 && Number.isNaN(Number(flag))) usage(`unknown flag ${flag}\n${help}`);
    else positional.push(arg);
  }
  if (Object.keys(args.security).length > 0) {
    if (!args.brokers) usage(`--security-protocol and the other TLS/SASL flags need --brokers (the embedded broker is in this process)\n${help}`);
    try {
      securityFromFlags(args.security);
    } catch (err) {
      if (err instanceof SecurityFlagError) usage(`${err.message}\n${help}`);
      throw err;
    }
  }
  if (args.brokers) {
    // A broker elsewhere is reached over TCP: the embedded transport needs the broker in this process.
    if (args.transport === 'embedded' && transportGiven) usage(`--transport embedded writes the embedded broker's log in this process; it cannot be used with --brokers (use wire or kafkajs)\n${help}`);
    if (!transportGiven) args.transport = DEFAULT_REMOTE_TRANSPORT;
  }
  return args;
}

/** What execute() hands each worker so the embedded transport reaches the broker in this process. */
export type WorkerPorts = (workerIndex: number) => Record<string, MessagePort>;

/**
 * Runs `fn` with a broker list: the given one, or an embedded broker over the data dir for the duration,
 * with its in-process ports for the workers (pass them to execute; only the embedded transport uses them).
 */
export async function withBrokers<R>(
  args: ExampleArgs,
  fn: (brokers: string[], ports?: WorkerPorts, broker?: RunningBroker) => Promise<R>,
  /** Extra settings for the embedded broker (e.g. `httpPort`). */
  brokerSettings: Record<string, unknown> = {},
): Promise<R> {
  if (args.brokers) return fn(args.brokers);
  if (args.workers.processes > 1) usage('with -n > 1 every process needs the same cluster: pass --brokers host:port');
  // Imported here, not at the top: worker threads load this module too and never need the broker.
  const { startBroker, inProcessLink } = await import('../src/broker/index.js');
  const broker = await startBroker({ dataDir: path.resolve(args.dataDir), port: 0, host: '127.0.0.1', logLevel: 'warn', ...brokerSettings } as never);
  process.stderr.write(`embedded broker on 127.0.0.1:${broker.port} over ${path.resolve(args.dataDir)}${broker.http ? `, HTTP on ${broker.http.host}:${broker.http.port}` : ''}\n`);
  try {
    return await fn([`127.0.0.1:${broker.port}`], inProcessLink(broker).ports, broker);
  } finally {
    await broker.close();
  }
}

/** A multi-bar on stderr when it is a terminal; otherwise nothing (keeps piped output clean). */
export async function progressBars(total: number, labels: readonly string[]): Promise<{ update(index: number, value: number): void; stop(): void }> {
  if (!process.stderr.isTTY) return { update() {}, stop() {} };
  // Loaded only here: worker threads import this module too and never draw bars.
  const { default: cliProgress } = await import('cli-progress');
  const multi = new cliProgress.MultiBar(
    { stream: process.stderr, format: '{label} [{bar}] {percentage}% {value}/{total}', hideCursor: true, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  const bars = labels.map((label) => multi.create(total, 0, { label }));
  return {
    update: (index, value) => bars[index]?.update(value),
    stop: () => multi.stop(),
  };
}

export function mbPerSecond(bytes: number, ms: number): string {
  return (bytes / 1e6 / (ms / 1000)).toFixed(1);
}

/** Wall time from the first worker's start to the last worker's end (thread startup excluded). */
export function spanMs(results: readonly { startedAt: number; endedAt: number }[]): number {
  if (results.length === 0) return 0;
  return Math.max(...results.map((r) => r.endedAt)) - Math.min(...results.map((r) => r.startedAt));
}

/** CPU time of the whole process so far (all threads: getrusage), in µs; the same clock in every worker. */
export function processCpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/**
 * Process CPU spent while the workers ran (first start to last end): on a shared machine wall time depends
 * on the load, CPU per MB much less, so it compares transports fairly (2 idle cores: MB/s ≈ 2 × MB per CPU-s).
 */
export function cpuSpanMicros(results: readonly { cpuAtStart: number; cpuAtEnd: number }[]): number {
  if (results.length === 0) return 0;
  return Math.max(...results.map((r) => r.cpuAtEnd)) - Math.min(...results.map((r) => r.cpuAtStart));
}

/** The TLS/SASL flags' help, for the examples' usage text. */
export const SECURITY_HELP = `TLS/SASL (with --brokers):\n${SECURITY_FLAGS_HELP}`;
export { securityFromFlags };
