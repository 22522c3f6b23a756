/**
 * The command-line tools some tests check our bytes against (kcat is librdkafka; lz4, zstd and gzip are the
 * reference compressors). Locally a missing tool skips those tests, with the reason in the test name. Under
 * `CI` it fails the run instead, so CI never passes by skipping: `.ci/run` installs them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The Debian package that provides each tool. */
const PACKAGES = { kcat: 'kcat', lz4: 'lz4', zstd: 'zstd', gzip: 'gzip', chromium: 'chromium' } as const;

export type Tool = keyof typeof PACKAGES;

function onPath(name: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? '').split(path.delimiter).some((dir) => {
    try {
      fs.accessSync(path.join(dir, name), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Whether `tool` is on PATH; under CI a missing tool throws, which fails the test file that needs it. */
export function toolAvailable(tool: Tool, env: NodeJS.ProcessEnv = process.env): boolean {
  if (onPath(tool, env)) return true;
  if (env.CI) throw new Error(`${tool} is required when CI is set (apt-get install ${PACKAGES[tool]}; .ci/run installs it)`);
  return false;
}
