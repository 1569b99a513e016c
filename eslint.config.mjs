// Lint is part of `npm test`: floating promises are the bug class that loses
// step results and Slack updates, so they are errors, not warnings.
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "coverage/**", "sim/**/*.sh", "**/*.js", "**/*.mjs"] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { arguments: false, attributes: false } }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true, allowBoolean: true }],
      "no-restricted-imports": "off",
    },
  },
  {
    // Layering (STYLE.md habit 1): the procedure domain stays pure.
    files: ["src/procedures/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [
          { group: ["**/bot/**", "**/jobs/**", "**/ssh/**", "@slack/*", "bullmq", "ioredis", "node-ssh", "ssh2"], message: "src/procedures is pure: no Slack, BullMQ, Redis or SSH imports." },
        ],
      }],
    },
  },
  {
    files: ["src/ssh/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [{ group: ["**/bot/**", "**/jobs/**", "**/procedures/**", "@slack/*", "bullmq"], message: "src/ssh knows nothing of procedures, jobs or Slack." }],
      }],
    },
  },
  {
    files: ["src/jobs/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [{ group: ["**/bot/**", "@slack/*"], message: "src/jobs knows no Slack types; talk to the notifier interface." }],
      }],
    },
  },
  {
    files: ["test/**/*.ts", "bench/**/*.ts", "sim/**/*.ts", "demo/**/*.ts"],
    rules: {
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/unbound-method": "off",
    },
  },
);
