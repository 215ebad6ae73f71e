import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The web page's components (web/src/*.tsx) are Preact.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: integration test files each run their own local stack.
    maxWorkers: 2,
    // The functions' JSON logs and EMF metrics stay out of the test output; the tests that
    // assert on them turn them on for themselves.
    env: { POWERTOOLS_LOG_LEVEL: 'ERROR', POWERTOOLS_METRICS_DISABLED: 'true' },
    // CI reads the JSON report for its pass/fail summary line.
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: '.ci/vitest-report.json' }]]
      : ['default'],
  },
});
