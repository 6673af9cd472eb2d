import { defineConfig } from 'vitest/config';

// The web app's unit tests: beside the code in src/ (never the Playwright specs in e2e/). Pure
// logic runs in node; a test that needs a DOM says so (`// @vitest-environment happy-dom`).
export default defineConfig({
  test: {
    name: 'web',
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
    environment: 'node',
  },
});
