// Projects: pure unit tests run without services; integration (and chaos, run
// only by `npm run chaos`) share one private redis-server and a set of real
// sshd hosts started by globalSetup.
/** @type {import('jest').Config} */
const common = {
  preset: "ts-jest",
  testEnvironment: "node",
  transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] },
};

module.exports = {
  maxWorkers: 2,
  // testTimeout is a global option (ignored inside a project): integration tests need it.
  testTimeout: 60000,
  projects: [
    { ...common, displayName: "unit", testMatch: ["<rootDir>/test/unit/**/*.test.ts"] },
    {
      ...common,
      displayName: "integration",
      testMatch: [
        "<rootDir>/test/integration/**/*.test.ts",
        "<rootDir>/test/sim/**/*.test.ts",
        "<rootDir>/test/e2e/**/*.test.ts",
      ],
      globalSetup: "<rootDir>/test/helpers/global-setup.ts",
      globalTeardown: "<rootDir>/test/helpers/global-teardown.ts",
    },
    // `npm run chaos` only (chaos/main.ts): heavy fault runs, never part of `npm test`.
    {
      ...common,
      displayName: "chaos",
      testMatch: ["<rootDir>/chaos/**/*.chaos.ts"],
      globalSetup: "<rootDir>/test/helpers/global-setup.ts",
      globalTeardown: "<rootDir>/test/helpers/global-teardown.ts",
    },
  ],
};
