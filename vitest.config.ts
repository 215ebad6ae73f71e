import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Integration tests share one local S3 server port range and the machine has two cores.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
