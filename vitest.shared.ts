// Tests and typecheck resolve workspace packages to their TypeScript sources through the
// `@otsdb/source` export condition, so no build is needed before testing.
const conditions = ['@otsdb/source', 'module', 'node', 'import', 'default'];

export const sourceConditions = {
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  // Project configs do not inherit the root's test options. Real servers and child processes on
  // a loaded 2-core machine need generous limits; a package may set its own `test` block.
  test: { testTimeout: 30_000, hookTimeout: 60_000 },
};
