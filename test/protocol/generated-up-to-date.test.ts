/**
 * The committed codecs are exactly what the generator makes from the schemas: regenerate into a temporary
 * directory and diff. Skipped (visibly) when ../shared/kafka-protocol is not next to the repository.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateProtocol } from '../../scripts/generate-protocol.js';
import { repoRoot, schemaFixture, schemaRoot } from './helpers/schema-model.js';

const haveSchemas = fs.existsSync(path.join(schemaRoot, 'message'));
const committedDir = path.join(repoRoot, 'src', 'protocol', 'messages');

describe.skipIf(!haveSchemas)(`generated codecs match ${schemaRoot}`, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kq-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('regenerating produces byte-identical files, and no file is missing or extra', () => {
    const outDir = path.join(tmp, 'messages');
    const schemaJson = path.join(tmp, 'kafka-schemas.json');
    const written = generateProtocol(schemaRoot, outDir, schemaJson).sort();
    const committed = fs.readdirSync(committedDir).filter((f) => f.endsWith('.ts')).sort();
    expect(committed).toEqual(written);
    const differing = written.filter((f) => !fs.readFileSync(path.join(outDir, f)).equals(fs.readFileSync(path.join(committedDir, f))));
    expect(differing, 'run `npm run generate` and commit the result').toEqual([]);
    expect(fs.readFileSync(schemaJson).equals(fs.readFileSync(schemaFixture))).toBe(true);
    // Deterministic: a second run gives the same bytes.
    const again = path.join(tmp, 'again');
    generateProtocol(schemaRoot, again, path.join(tmp, 'again.json'));
    for (const f of written) expect(fs.readFileSync(path.join(again, f)).equals(fs.readFileSync(path.join(outDir, f)))).toBe(true);
  });
});

if (!haveSchemas) {
  describe('generated codecs', () => {
    it.skip(`regeneration diff skipped: ${schemaRoot} not found`, () => {});
  });
}
