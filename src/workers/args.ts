/**
 * Timely's worker flags (communication/src/initialize.rs): `-w N` threads per process, `-n N` processes,
 * `-p I` this process's index, each also written attached (`-w5`), and `-h/--hostfile FILE` with one
 * `host:port` per process. Everything else is returned untouched for the program's own parsing.
 */
import { WorkerArgsError } from './args-error.js';
import { checkHosts, defaultHosts, readHostfile } from './hosts.js';
import { readSecretFile } from './mesh-auth.js';
import fs from 'node:fs';

export { WorkerArgsError };

export interface ExecuteConfig {
  /** Worker threads in this process (Timely's `-w`). */
  workers: number;
  /** Processes taking part (Timely's `-n`, default 1). */
  processes?: number;
  /** This process's index, 0-based (Timely's `-p`, default 0). */
  process?: number;
  /**
   * `host:port` of every process, index p is process p (Timely's hostfile, `-h`). Default: 127.0.0.1:(2101 + p).
   * Used only when processes > 1: each process listens on its own address and connects to the others.
   */
  hosts?: string[];
}

/**
 * How the processes of a run (`-n > 1`) trust each other. Kept beside ExecuteConfig rather than in it, so
 * `Required<ExecuteConfig>` stays what it was; execute() reads these from the same config object.
 */
export interface MeshSecurityConfig {
  /** The run's shared secret (`--mesh-secret-file`; default: the environment variable KAFKAESQUE_MESH_SECRET). */
  meshSecret?: Buffer;
  /** TLS for mesh connections (`--mesh-ssl-cert FILE --mesh-ssl-key FILE [--mesh-ssl-ca FILE]`, PEM). */
  meshTls?: { cert: Buffer; key: Buffer; ca?: Buffer };
}

/** The worker flags for a program's --help (the examples list their own; this is the full set). */
export const WORKER_FLAGS_HELP = [
  '  -w N, --workers N          worker threads in this process (default 1)',
  '  -n N, --processes N        processes of the run (default 1)',
  '  -p I, --process I          this process\'s index, 0-based (default 0)',
  '  -h FILE, --hostfile FILE   one host:port per process (default 127.0.0.1:2101+p)',
  '  --mesh-secret-file FILE    the run\'s shared secret (default $KAFKAESQUE_MESH_SECRET); required when a host is not loopback',
  '  --mesh-ssl-cert FILE --mesh-ssl-key FILE [--mesh-ssl-ca FILE]   TLS (PEM) for the connections between processes',
].join('\n');

const TLS_FLAGS: Record<string, 'cert' | 'key' | 'ca'> = { '--mesh-ssl-cert': 'cert', '--mesh-ssl-key': 'key', '--mesh-ssl-ca': 'ca' };

function readPem(flag: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    throw new WorkerArgsError(`${flag}: cannot read ${file}: ${(error as Error).message}`);
  }
}

const FLAGS: Record<string, 'workers' | 'processes' | 'process'> = {
  '-w': 'workers',
  '--workers': 'workers',
  '-n': 'processes',
  '--processes': 'processes',
  '-p': 'process',
  '--process': 'process',
};

/** Splits Timely's worker flags from the rest of the arguments, reads the hostfile and validates them. */
export function parseWorkerArgs(argv: readonly string[]): { config: Required<ExecuteConfig> & MeshSecurityConfig; rest: string[] } {
  const numbers = { workers: 1, processes: 1, process: 0 };
  let hostfile: string | undefined;
  let meshSecret: Buffer | undefined;
  const pem: { cert?: Buffer; key?: Buffer; ca?: Buffer } = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const eq = arg.indexOf('=');
    // Timely writes the value attached to short flags (`-w5`), as in `capture_send numbat 100 -w5`.
    const attached = /^-[wnp]\d/.test(arg);
    const flag = attached ? arg.slice(0, 2) : eq > 0 && arg.startsWith('--') ? arg.slice(0, eq) : arg;
    const inline = attached ? arg.slice(2) : eq > 0 && arg.startsWith('--') ? arg.slice(eq + 1) : undefined;
    if (flag === '-h' || flag === '--hostfile') {
      hostfile = inline ?? argv[++i];
      if (hostfile === undefined || hostfile === '') throw new WorkerArgsError(`${flag} needs a file with one host:port per process`);
      continue;
    }
    if (flag === '--mesh-secret-file') {
      const file = inline ?? argv[++i];
      if (file === undefined || file === '') throw new WorkerArgsError(`${flag} needs a file holding the run's shared secret`);
      meshSecret = readSecretFile(file);
      continue;
    }
    const pemKind = TLS_FLAGS[flag];
    if (pemKind !== undefined) {
      const file = inline ?? argv[++i];
      if (file === undefined || file === '') throw new WorkerArgsError(`${flag} needs a PEM file`);
      pem[pemKind] = readPem(flag, file);
      continue;
    }
    const key = FLAGS[flag];
    if (key === undefined) {
      rest.push(arg);
      continue;
    }
    const text = inline ?? argv[++i];
    const value = Number(text);
    if (text === undefined || !Number.isInteger(value) || value < 0) {
      throw new WorkerArgsError(`${flag} needs a non-negative integer, got ${text === undefined ? 'nothing' : JSON.stringify(text)}`);
    }
    numbers[key] = value;
  }
  const hosts = hostfile === undefined ? undefined : checkHosts(readHostfile(hostfile), numbers.processes, `hostfile ${hostfile}`);
  if ((pem.cert === undefined) !== (pem.key === undefined) || (pem.ca !== undefined && pem.cert === undefined)) {
    throw new WorkerArgsError('mesh TLS needs both --mesh-ssl-cert and --mesh-ssl-key (and optionally --mesh-ssl-ca)');
  }
  const security: MeshSecurityConfig = {
    ...(meshSecret ? { meshSecret } : {}),
    ...(pem.cert && pem.key ? { meshTls: { cert: pem.cert, key: pem.key, ...(pem.ca ? { ca: pem.ca } : {}) } } : {}),
  };
  return { config: { ...validateConfig({ ...numbers, ...(hosts ? { hosts } : {}) }), ...security }, rest };
}

export function validateConfig(config: ExecuteConfig): Required<ExecuteConfig> {
  const full = { processes: 1, process: 0, ...config };
  if (!Number.isInteger(full.workers) || full.workers < 1) throw new WorkerArgsError(`-w must be at least 1, got ${full.workers}`);
  if (!Number.isInteger(full.processes) || full.processes < 1) throw new WorkerArgsError(`-n must be at least 1, got ${full.processes}`);
  if (!Number.isInteger(full.process) || full.process < 0 || full.process >= full.processes) {
    throw new WorkerArgsError(`-p must be between 0 and ${full.processes - 1} (-n ${full.processes}), got ${full.process}`);
  }
  const hosts = checkHosts(config.hosts ?? defaultHosts(full.processes), full.processes);
  return { ...full, hosts };
}
