// Tests and typecheck resolve workspace packages to their TypeScript sources through the
// `@otsdb/source` export condition, so no build is needed before testing.
const conditions = ['@otsdb/source', 'module', 'node', 'import', 'default'];

export const sourceConditions = {
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
};
