import { defineConfig } from 'vitest/config';

// When OPTKIT_TEST_REPORT names a file, a JSON report is written there as well (CI counts results from it).
const jsonReport = process.env.OPTKIT_TEST_REPORT;

// One configuration for the whole monorepo: tests run from TypeScript sources, resolved through the
// `@optkit/source` export condition so no package needs building before its tests run.
export default defineConfig({
  resolve: { conditions: ['@optkit/source'] },
  ssr: { resolve: { conditions: ['@optkit/source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'tools/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: jsonReport ? ['default', 'json'] : ['default'],
    ...(jsonReport ? { outputFile: { json: jsonReport } } : {}),
  },
});
