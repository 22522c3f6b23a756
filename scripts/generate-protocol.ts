/**
 * Generates src/protocol/messages/ from Apache Kafka's JSON message schemas.
 *
 *   npx tsx scripts/generate-protocol.ts [schema-root] [out-dir]
 *
 * schema-root defaults to protocol/schemas, the vendored copy of Kafka's schemas (see its NOTICE), and must
 * contain message/*.json. out-dir defaults to src/protocol/messages. Output is deterministic: the test
 * suite regenerates into a temporary directory and diffs it with the committed files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { emitApiModule, emitIndexModule, kebabCase } from './protocol/emit.js';
import { defaultSchemaRoot, loadApiSpecs } from './protocol/schema.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Writes every generated file into outDir and returns the module names. */
export function generateProtocol(schemaRoot: string, outDir: string): string[] {
  const apis = loadApiSpecs(schemaRoot);
  fs.mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  const put = (name: string, text: string): void => {
    fs.writeFileSync(path.join(outDir, name), text);
    written.push(name);
  };
  for (const api of apis) put(`${kebabCase(api.name)}.ts`, emitApiModule(api));
  put('index.ts', emitIndexModule(apis));
  // Remove stale modules of APIs that no longer exist.
  for (const f of fs.readdirSync(outDir)) {
    if (f.endsWith('.ts') && !written.includes(f)) fs.rmSync(path.join(outDir, f));
  }
  return written;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const schemaRoot = path.resolve(process.argv[2] ?? defaultSchemaRoot(repoRoot));
  const outDir = path.resolve(process.argv[3] ?? path.join(repoRoot, 'src', 'protocol', 'messages'));
  const files = generateProtocol(schemaRoot, outDir);
  console.log(`Generated ${files.length} files in ${path.relative(process.cwd(), outDir) || '.'} from ${schemaRoot}`);
}
