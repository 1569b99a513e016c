/**
 * `npm run bench:demo-starts -- [N]`: starts and stops the demo N times in a
 * row (default 50) and counts the starts that failed, with their errors. A
 * demo start generates about a dozen SSH keys, so this is where a key that
 * does not parse (ssh2's generator, ~1 in 256) used to show up as ~4-5% of
 * failed starts.
 */
import fs from "node:fs";
import pino from "pino";
import { startDemo } from "../demo/start-demo";

async function main(): Promise<number> {
  const count = Number(process.argv[2] ?? "50");
  if (!Number.isInteger(count) || count < 1) throw new Error("usage: demo-starts [N]");
  const failures: string[] = [];
  const durations: number[] = [];
  for (let i = 1; i <= count; i++) {
    const started = Date.now();
    try {
      const demo = await startDemo({ port: 0, logLevel: "warn", logDestination: pino.destination({ dest: fs.openSync("/dev/null", "w"), sync: true }) });
      durations.push(Date.now() - started);
      await demo.stop();
    } catch (error) {
      failures.push(`start ${i}: ${error instanceof Error ? error.message : String(error)}`);
    }
    process.stdout.write(`start ${i}/${count}: ${failures.length} failed so far\n`);
  }
  durations.sort((a, b) => a - b);
  const median = durations[Math.floor(durations.length / 2)] ?? 0;
  process.stdout.write(`${failures.length === 0 ? "all" : count - failures.length} of ${count} demo starts came up (median start ${(median / 1000).toFixed(1)} s)\n`);
  for (const f of failures) process.stdout.write(`  ${f}\n`);
  process.stdout.write(`demo-starts: ${count - failures.length} passed, ${failures.length} failed\n`);
  return failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
