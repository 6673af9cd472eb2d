import { defineConfig } from 'vitest/config';

// One run over every workspace's unit and integration tests (each package keeps its own config).
export default defineConfig({
  test: {
    projects: ['protocol', 'stream-token', 'gateway', 'media-server', 'infra', 'web'],
  },
});
