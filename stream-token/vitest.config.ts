import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { name: 'stream-token', include: ['src/**/*.test.ts'] },
});
