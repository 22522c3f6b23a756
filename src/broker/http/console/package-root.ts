/**
 * Where the package's own files are, from wherever this module runs: src/ under tsx and vitest, dist/src/
 * once built, node_modules/kafkaesque/dist/src/ once installed. The console's assets (console/ at the
 * package root, listed in package.json "files") are found from there, never from the working directory.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PackageRoot {
  dir: string;
  version: string;
}

let found: PackageRoot | undefined;

export function packageRoot(): PackageRoot {
  if (found) return found;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'kafkaesque') return (found = { dir, version: pkg.version ?? '0.0.0' });
    } catch {
      // no package.json here: look further up
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find the kafkaesque package root above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}
