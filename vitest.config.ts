import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'testkit'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
