/**
 * Jest: ts-jest for TypeScript; three tiers, split by folder (`scripts/test.sh` runs them in order):
 * - `hermetic` (tests/hermetic): pure core, records, renderers, clients against in-process fakes;
 *   no Temporal server, no env server.
 * - `server` (tests/server): the real Temporal dev server (one per run, tests/global-setup.ts),
 *   real workers and envs, the CLI as a user runs it.
 * - `slow` (tests/slow): every ALFWorld evaluation game, every ScienceWorld task, the kill -9 chaos
 *   and load runs; one file at a time, since each spreads its work over both cores.
 */
const shared = {
  testEnvironment: 'node',
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  setupFiles: ['<rootDir>/tests/support/quiet-runtime.ts'],
};
const withServer = {
  globalSetup: '<rootDir>/tests/global-setup.ts',
  globalTeardown: '<rootDir>/tests/global-teardown.ts',
};

module.exports = {
  testTimeout: 120000,
  maxWorkers: 2,
  projects: [
    { ...shared, displayName: 'hermetic', roots: ['<rootDir>/tests/hermetic'] },
    { ...shared, ...withServer, displayName: 'server', roots: ['<rootDir>/tests/server'] },
    { ...shared, ...withServer, displayName: 'slow', roots: ['<rootDir>/tests/slow'] },
  ],
};
