/** The bench proper, started by main.ts on plain node from the transpiled tree (no TypeScript compiler in this process). */
import path from "node:path";
import { runBench } from "./run-bench";

const repo = process.env.INTERVENE_BENCH_REPO ?? path.resolve(__dirname, "..");
runBench({ quick: process.argv.includes("--quick"), profile: process.argv.includes("--profile"), traceGc: process.argv.includes("--trace-gc"), soak: process.argv.includes("--soak"), latencyOnly: process.argv.includes("--latency"), repo }).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
