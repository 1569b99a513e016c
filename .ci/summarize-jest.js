// Prints jest's totals as the plain closing line CI reads: "jest: N passed, N failed, N skipped".
const fs = require("node:fs");
const file = process.argv[2] ?? "test-artifacts/jest-results.json";
const r = JSON.parse(fs.readFileSync(file, "utf8"));
const skipped = r.numPendingTests + r.numTodoTests;
process.stdout.write(`jest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped\n`);
