// Projects: `unit` (pure, no services: `npm run test:unit`), `integration`
// and `slow` share one private redis-server and a set of real sshd hosts
// started by globalSetup; `chaos` runs only from `npm run chaos`. `npm test`
// runs unit, integration and slow.
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
    // The engine, bot, SSH and runtime against real Redis and sshd: a minute or two.
    {
      ...common,
      displayName: "integration",
      testMatch: ["<rootDir>/test/integration/**/*.test.ts"],
      globalSetup: "<rootDir>/test/helpers/global-setup.ts",
      globalTeardown: "<rootDir>/test/helpers/global-teardown.ts",
    },
    // The simulators and whole flows (procedures on simulated clusters, Slack, the console): minutes.
    // Both projects share one testbed: globalSetup starts it once per jest process.
    {
      ...common,
      displayName: "slow",
      testMatch: ["<rootDir>/test/sim/**/*.test.ts", "<rootDir>/test/e2e/**/*.test.ts"],
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
