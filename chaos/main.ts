/**
 * `npm run chaos [-- --quick]`: runs the chaos rows (jest project `chaos`,
 * one file at a time: each brings its own simulators and faults), then prints
 * the table from chaos/results.json. Exit code: jest's.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ChaosRow } from "./chaos-row";

const quick = process.argv.includes("--quick");
const results = path.join(__dirname, "results.json");
fs.writeFileSync(results, `${JSON.stringify({ date: new Date().toISOString(), quick, machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}`, rows: [] }, null, 2)}\n`);
const jest = spawnSync(process.execPath, [require.resolve("jest/bin/jest"), "--ci", "--selectProjects", "chaos", "--runInBand"], {
  cwd: path.join(__dirname, ".."),
  stdio: "inherit",
  env: { ...process.env, CHAOS_QUICK: quick ? "1" : "0", CHAOS_RESULTS: results },
});
const rows = (JSON.parse(fs.readFileSync(results, "utf8")) as { rows: ChaosRow[] }).rows;
const cell = (v: number | undefined): string => (v === undefined ? "-" : String(v));
const lines = [
  "| row | trials | faults | runs lost | steps run twice | duplicate posts | final messages wrong | recovery p50 / max s |",
  "|---|---|---|---|---|---|---|---|",
  ...rows.map((r) => `| ${r.name} | ${r.trials} | ${r.faults} | ${r.runsLost} | ${r.stepsRunTwice} | ${r.duplicateSlackPosts} | ${r.finalMessagesWrong} | ${cell(r.recoveryP50Seconds)} / ${cell(r.recoveryMaxSeconds)} |`),
];
process.stdout.write(`\n${lines.join("\n")}\n\n${rows.map((r) => `- ${r.name}: ${r.detail}`).join("\n")}\n\nwritten: ${results}\n`);
process.exit(jest.status ?? 1);
