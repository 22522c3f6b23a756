/**
 * Generates src/protocol/messages/ from Apache Kafka's JSON message schemas.
 *
 *   npx tsx scripts/generate-protocol.ts [schema-root] [out-dir] [schema-json]
 *
 * schema-root defaults to ../shared/kafka-protocol (relative to the repository root) and must contain
 * message/*.json; protocol/message/*.json in this repository adds the APIs that set lacks (DeleteGroups).
 * out-dir defaults to src/protocol/messages. It also writes the normalized schema model to
 * test/protocol/fixtures/kafka-schemas.json (or [schema-json]), so the schema-driven property and fuzz
 * tests run without the schema directory. Output is deterministic: the test suite regenerates into a
 * temporary directory and diffs it with the committed files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { emitApiModule, emitIndexModule, kebabCase } from './protocol/emit.js';
import { defaultSchemaRoot, loadApiSpecs, supplementSchemaRoot, type ApiSpec } from './protocol/schema.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The normalized schema model as JSON ("about" texts dropped: the generated interfaces carry them). */
export function schemaModelJson(apis: ApiSpec[]): string {
  const replacer = (key: string, value: unknown): unknown => (key === 'about' ? undefined : value);
  return `[\n${apis.map((api) => JSON.stringify(api, replacer)).join(',\n')}\n]\n`;
}

/** Writes every generated file into outDir (and the model to schemaJson) and returns the module names. */
export function generateProtocol(schemaRoot: string, outDir: string, schemaJson: string): string[] {
  const apis = loadApiSpecs([schemaRoot, supplementSchemaRoot(repoRoot)]);
  fs.mkdirSync(path.dirname(schemaJson), { recursive: true });
  fs.writeFileSync(schemaJson, schemaModelJson(apis));
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
  const schemaJson = path.resolve(process.argv[4] ?? path.join(repoRoot, 'test', 'protocol', 'fixtures', 'kafka-schemas.json'));
  const files = generateProtocol(schemaRoot, outDir, schemaJson);
  console.log(`Generated ${files.length} files in ${path.relative(process.cwd(), outDir) || '.'} from ${schemaRoot}`);
}
