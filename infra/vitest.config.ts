import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'infra',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 120_000,
    // The launcher tests start the whole platform: one at a time.
    fileParallelism: false,
  },
});
