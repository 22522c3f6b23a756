/** Runs `kafkaesque broker` as a child process (through tsx) and waits for its listening line. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(root, 'src/cli/main.ts');

export interface ChildBroker {
  child: ChildProcess;
  host: string;
  port: number;
  stdout: string[];
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function runCli(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function startChildBroker(args: string[]): Promise<ChildBroker> {
  return awaitListening(runCli(['broker', '--port', '0', '--log-level', 'warn', ...args]));
}

/** Waits for a started broker process's listening line (its stdout and stderr must be pipes). */
export function awaitListening(child: ChildProcess): Promise<ChildBroker> {
  const stdout: string[] = [];
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`broker did not start: ${err}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const line of lines) {
        stdout.push(line);
        const m = /^kafkaesque broker listening on (.+):(\d+)$/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve({ child, host: m[1]!, port: Number(m[2]), stdout, stderr: () => err, exited });
        }
      }
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`broker exited (${code}) before listening: ${err}`));
    });
  });
}

export function collect(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}
