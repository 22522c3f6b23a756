/**
 * The console's files: its own (console/ at the package root) and the few library files it imports, served
 * from node_modules (Preact, its hooks, htm, uPlot) under fixed names. Only the files listed here are served,
 * so no path from a URL ever reaches the file system. Each is read once and kept (about 200 KB in all).
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { packageRoot } from './package-root.js';

export interface StaticFile {
  body: Buffer;
  contentType: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** URL path under /console/ → where the file is: a file of console/, or `package:relative path` to resolve. */
const FILES: Record<string, string> = {
  'app.js': 'app.js',
  'api.js': 'api.js',
  'charts.js': 'charts.js',
  'format.js': 'format.js',
  'pages.js': 'pages.js',
  'style.css': 'style.css',
  'favicon.svg': 'favicon.svg',
  'vendor/preact.mjs': 'preact:dist/preact.mjs',
  'vendor/preact-hooks.mjs': 'preact:hooks/dist/hooks.mjs',
  'vendor/htm.mjs': 'htm:dist/htm.mjs',
  'vendor/htm-preact.mjs': 'htm:preact/index.mjs',
  'vendor/uPlot.esm.js': 'uplot:dist/uPlot.esm.js',
  'vendor/uPlot.min.css': 'uplot:dist/uPlot.min.css',
};

export const CONSOLE_FILES: readonly string[] = Object.keys(FILES);

const require = createRequire(import.meta.url);
const cache = new Map<string, Promise<StaticFile>>();

function locate(source: string): string {
  const colon = source.indexOf(':');
  if (colon < 0) return path.join(packageRoot().dir, 'console', source);
  const pkg = source.slice(0, colon);
  return path.join(libraryDir(pkg), source.slice(colon + 1));
}

/** A library's folder: from its main entry up to its package.json (htm's "exports" hides package.json). */
function libraryDir(name: string): string {
  let dir = path.dirname(require.resolve(name));
  for (;;) {
    try {
      if ((JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string }).name === name) return dir;
    } catch {
      // not its package.json: look further up
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find the folder of the "${name}" package (npm install it)`);
    dir = up;
  }
}

/** The file served at /console/<name>, or undefined when there is none. */
export function consoleFile(name: string): Promise<StaticFile> | undefined {
  const source = name === 'index.html' ? 'index.html' : FILES[name];
  if (source === undefined) return undefined;
  let file = cache.get(name);
  if (!file) {
    const where = locate(source);
    file = readFile(where).then((body) => ({ body, contentType: TYPES[path.extname(where)] ?? 'application/octet-stream' }));
    // A failed read (a broken install) is not cached: the next request tries again and reports it again.
    file.catch(() => cache.delete(name));
    cache.set(name, file);
  }
  return file;
}
