import { defineConfig } from 'vitest/config'

// The workspace runs from source: packages resolve each other's `src/*.ts` through the `source`
// export condition (their `default` is the built `dist/`, for installs from a tarball).
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    testTimeout: 60_000,
    reporters: ['default', './scripts/summary-reporter.ts'],
  },
})
