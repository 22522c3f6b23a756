/**
 * `npm run bench [-- name ...]`: runs the named benchmarks (all when none is named), writes one JSON file per
 * benchmark to bench/results/ and prints a table in which each figure stands beside this machine's limit.
 */
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import os from 'node:os';
import type { BenchRow } from './types.js';
import { printTable } from './table.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Benchmarks in the order they run; each is a module in this folder whose default export returns rows. */
const BENCHMARKS = ['limits', 'protocol', 'records', 'storage', 'dataflow', 'broker', 'groups', 'roundtrip'] as const;

function moduleFile(name: string): string | undefined {
  for (const ext of ['.js', '.ts']) {
    const file = join(here, name + ext);
    if (existsSync(file)) return file;
  }
  return undefined;
}

async function main(): Promise<void> {
  const requested = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = requested.filter((n) => !(BENCHMARKS as readonly string[]).includes(n));
  if (unknown.length > 0) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; choose from ${BENCHMARKS.join(', ')}`);
    process.exit(2);
  }
  const names = requested.length > 0 ? requested : [...BENCHMARKS];
  // npm runs scripts from the package root, where results belong whichever way this file was started.
  const resultsDir = join(process.cwd(), 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  let failed = 0;
  for (const name of names) {
    const file = moduleFile(name);
    if (!file) {
      console.error(`benchmark ${name}: not built yet (no bench/${name}.ts)`);
      failed++;
      continue;
    }
    try {
      const mod = (await import(pathToFileURL(file).href)) as { default: () => Promise<BenchRow[]> };
      const started = Date.now();
      const rows = await mod.default();
      const record = {
        benchmark: name,
        date: new Date().toISOString(),
        seconds: (Date.now() - started) / 1000,
        machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGiB: os.totalmem() / 2 ** 30, node: process.version },
        rows,
      };
      writeFileSync(join(resultsDir, `${name}.json`), JSON.stringify(record, null, 2) + '\n');
      printTable(name, rows);
    } catch (err) {
      failed++;
      console.error(`benchmark ${name} failed:`, err);
    }
  }
  console.log(`\nJSON written to ${resultsDir}`);
  process.exitCode = failed > 0 ? 1 : 0;
}

await main();
