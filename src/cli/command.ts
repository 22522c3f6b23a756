/**
 * A `kafkaesque` subcommand. Each lives in its own file under src/cli/ and is listed in commands.ts.
 * `run` returns the process exit code: 0 success, 1 failure at run time, 2 bad usage.
 */
export interface Command {
  readonly name: string;
  /** One line for `kafkaesque --help`. */
  readonly summary: string;
  /** Full text for `kafkaesque <name> --help`. */
  help(): string;
  run(argv: readonly string[]): Promise<number>;
}

/** Bad arguments: main prints the message and a hint to use --help, and exits with 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
