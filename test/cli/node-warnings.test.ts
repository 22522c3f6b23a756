/** The CLI drops Node 24's TimeoutNegativeWarning (kafkajs arms negative timers) and prints every other warning. */
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const module = pathToFileURL(path.resolve('dist/src/cli/node-warnings.js')).href;

function run(flags: string[]): string {
  const script = `import(${JSON.stringify(module)}).then(({ dropNegativeTimeoutWarnings }) => {
    dropNegativeTimeoutWarnings();
    process.emitWarning('-5 is a negative number.', 'TimeoutNegativeWarning');
    process.emitWarning('something else', 'ExperimentalWarning');
  });`;
  return spawnSync(process.execPath, [...flags, '--input-type=module', '-e', script], { encoding: 'utf8' }).stderr;
}

describe('dropNegativeTimeoutWarnings', () => {
  it('drops TimeoutNegativeWarning and prints other warnings as Node does', () => {
    const stderr = run([]);
    expect(stderr).not.toContain('TimeoutNegativeWarning');
    expect(stderr).toMatch(/^\(node:\d+\) ExperimentalWarning: something else$/m);
  });

  it('prints nothing under --no-warnings', () => {
    expect(run(['--no-warnings'])).toBe('');
  });
});
