import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores: more workers only contend (and the browser/encoder tests spawn processes).
    maxWorkers: 2,
    reporters: ['default'],
  },
});
