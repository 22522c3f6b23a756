/**
 * The committed codecs are exactly what the generator makes from the vendored schemas (protocol/schemas):
 * regenerate into a temporary directory and diff.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateProtocol } from '../../scripts/generate-protocol.js';
import { repoRoot, schemaRoot } from './helpers/schema-model.js';

const committedDir = path.join(repoRoot, 'src', 'protocol', 'messages');

describe('generated codecs match protocol/schemas', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kq-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('the vendored schemas are inside the repository, with their licence and NOTICE', () => {
    expect(path.relative(repoRoot, schemaRoot).startsWith('..')).toBe(false);
    for (const f of ['LICENSE', 'NOTICE']) expect(fs.existsSync(path.join(schemaRoot, f)), f).toBe(true);
  });

  it('regenerating produces byte-identical files, and no file is missing or extra', () => {
    const outDir = path.join(tmp, 'messages');
    const written = generateProtocol(schemaRoot, outDir).sort();
    const committed = fs.readdirSync(committedDir).filter((f) => f.endsWith('.ts')).sort();
    expect(committed).toEqual(written);
    const differing = written.filter((f) => !fs.readFileSync(path.join(outDir, f)).equals(fs.readFileSync(path.join(committedDir, f))));
    expect(differing, 'run `npm run generate` and commit the result').toEqual([]);
    // Deterministic: a second run gives the same bytes.
    const again = path.join(tmp, 'again');
    generateProtocol(schemaRoot, again);
    for (const f of written) expect(fs.readFileSync(path.join(again, f)).equals(fs.readFileSync(path.join(outDir, f)))).toBe(true);
  });
});
