#!/usr/bin/env node
/**
 * The `kafkaesque` command: `kafkaesque <command> [options]`, commands from commands.ts.
 * Exit codes: 0 success, 1 failure, 2 bad usage.
 */
import { commands } from './commands.js';
import { UsageError } from './command.js';
import { dropNegativeTimeoutWarnings } from './node-warnings.js';

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    'Usage: kafkaesque <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    "Run 'kafkaesque <command> --help' for a command's options.",
  ].join('\n');
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stderr.write(usage() + '\n');
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`kafkaesque: unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`kafkaesque ${command.name}: ${err.message}\nRun 'kafkaesque ${command.name} --help' for usage.\n`);
      return 2;
    }
    // Users get the message; the stack is for bug reports (KAFKAESQUE_DEBUG=1).
    const error = err as Error;
    const text = process.env.KAFKAESQUE_DEBUG ? (error.stack ?? String(err)) : error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : (error.message ?? String(err));
    process.stderr.write(`kafkaesque ${command.name}: ${text}\n`);
    return 1;
  }
}

dropNegativeTimeoutWarnings();
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`kafkaesque: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
