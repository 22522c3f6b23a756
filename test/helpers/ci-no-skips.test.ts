/**
 * CI cannot pass by skipping: a missing tool throws under CI, and a run with a skipped or todo test fails
 * under CI (and only under CI) through the NoSkipsReporter that vitest.config.ts installs.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { toolAvailable } from './tools.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('toolAvailable', () => {
  it('finds a tool on PATH, and a missing one is false locally but an error under CI', () => {
    expect(toolAvailable('gzip', { PATH: process.env.PATH })).toBe(true);
    expect(toolAvailable('gzip', { PATH: '/nonexistent' })).toBe(false);
    expect(() => toolAvailable('zstd', { PATH: '/nonexistent', CI: '1' })).toThrow(/zstd is required when CI is set \(apt-get install zstd/);
  });
});

describe('NoSkipsReporter', () => {
  // A throwaway project inside the repository (so it resolves vitest) that uses the real reporter.
  fs.mkdirSync(path.join(repoRoot, '.tmp'), { recursive: true });
  const dir = fs.mkdtempSync(path.join(repoRoot, '.tmp', 'no-skips-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const reporter = path.join(repoRoot, 'test', 'helpers', 'no-skips-reporter.ts');
  fs.writeFileSync(
    path.join(dir, 'vitest.config.ts'),
    `import { NoSkipsReporter } from ${JSON.stringify(reporter)};\n` +
      `export default { test: { include: ['*.test.ts'], reporters: process.env.CI ? ['default', new NoSkipsReporter()] : ['default'] } };\n`,
  );
  const vitest = path.join(repoRoot, 'node_modules', 'vitest', 'vitest.mjs');
  const run = (file: string, body: string, ci: boolean): { status: number | null; output: string } => {
    fs.writeFileSync(path.join(dir, file), `import { it } from 'vitest';\n${body}\n`);
    const env = { ...process.env };
    delete env.CI;
    if (ci) env.CI = '1';
    const r = spawnSync(process.execPath, [vitest, 'run', file], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
    fs.rmSync(path.join(dir, file));
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
  };

  it('fails a CI run with a skipped test and names it; the same run passes without CI', () => {
    const body = `it('runs', () => {});\nit.skip('is skipped', () => {});`;
    const ci = run('skip.test.ts', body, true);
    expect(ci.status, ci.output).toBe(1);
    expect(ci.output).toContain('1 test(s) did not run');
    expect(ci.output).toMatch(/skip\.test\.ts > is skipped \(skip\)/);
    expect(run('skip.test.ts', body, false).status).toBe(0);
  });

  it('fails a CI run with a todo or a skipIf that skipped, and passes a CI run that skipped nothing', () => {
    const todo = run('todo.test.ts', `it('runs', () => {});\nit.todo('later');\nit.skipIf(true)('conditional', () => {});`, true);
    expect(todo.status, todo.output).toBe(1);
    expect(todo.output).toContain('2 test(s) did not run');
    const clean = run('clean.test.ts', `it('runs', () => {});`, true);
    expect(clean.status, clean.output).toBe(0);
  });
});
