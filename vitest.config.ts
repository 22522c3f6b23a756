import { defineConfig } from 'vitest/config';
import { NoSkipsReporter } from './test/helpers/no-skips-reporter.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests start real brokers on real ports and files; two cores, so keep parallelism modest.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    // Under CI a skipped or todo test fails the run (see test/helpers/no-skips-reporter.ts).
    reporters: process.env.CI ? ['default', new NoSkipsReporter()] : ['default'],
  },
});
