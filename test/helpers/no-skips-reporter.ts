/**
 * A vitest reporter for CI: the run fails when any test was skipped or left as todo, so a suite cannot pass
 * in CI by not running something (a missing tool, a forgotten `.skip`). vitest.config.ts adds it when `CI`
 * is set.
 */
import type { Reporter, TestModule } from 'vitest/node';

/** "file > suite > test" for every test that did not run. */
export function skippedTests(modules: ReadonlyArray<TestModule>): string[] {
  const names: string[] = [];
  for (const module of modules) {
    for (const test of module.children.allTests()) {
      if (test.result().state !== 'skipped') continue;
      names.push(`${module.moduleId} > ${test.fullName} (${test.options.mode})`);
    }
  }
  return names;
}

export class NoSkipsReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const skipped = skippedTests(modules);
    if (skipped.length === 0) return;
    process.exitCode = 1;
    console.error(`\nCI is set and ${skipped.length} test(s) did not run (CI requires 0 skipped and 0 todo):`);
    for (const name of skipped) console.error(`  ${name}`);
  }
}
