import { defineProject } from 'vitest/config';
import { sourceConditions } from '../../vitest.shared.js';

export default defineProject({
  ...sourceConditions,
  // Real child processes and a real VictoriaMetrics: generous limits for a loaded 2-core machine.
  test: { testTimeout: 30_000, hookTimeout: 60_000 },
});
