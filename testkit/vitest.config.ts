import { defineProject } from 'vitest/config';
import { sourceConditions } from '../vitest.shared.js';

// Real processes (VictoriaMetrics, openssl, npm) on a shared 2-core machine: generous timeouts.
// Project configs do not inherit the root's test options, so they are repeated here.
export default defineProject({
  ...sourceConditions,
  test: { testTimeout: 30_000, hookTimeout: 60_000 },
});
