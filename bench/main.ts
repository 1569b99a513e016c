/**
 * `npm run bench` (about 2 minutes on 2 cores) and `npm run bench -- --quick`
 * (under a minute): the engine's overhead, latency and throughput, and its
 * Slack discipline, each as a ratio to a baseline measured in the same run on
 * the same private Redis and sshd processes. Prints a table beside the targets
 * and writes bench/results.json (definitions included). `--profile` adds
 * --cpu-prof to the worker processes, the bot and the bench process (started
 * here), and `--trace-gc` traces the bot's and
 * workers' heaps; both keep their output in $TMPDIR/intervene-bench-profiles/.
 * `--latency` times the step latency alone and prints it (nothing written).
 *
 * The sources are transpiled first (what `ts-node --transpile-only` does, ahead
 * of time), then everything runs on plain node as in production, each in a
 * process of its own: the bot and 2 workers (`node dist/src/main.js` by ROLE),
 * the fake Slack Web API, a bare Bolt app (the ack floor) and the bench itself
 * (its own engine to plan and start runs, the raw SSH baselines, the clients).
 *
 * Step latency: from `engine.start(plan)` of a planned 1-step run (planning
 * excluded) to its `step.finished` event arriving on the run events channel,
 * as the bot's notifier hears it: run record + lock + BullMQ enqueue, a worker
 * process taking the job, the begin transition, the host semaphore, the exec on
 * a pooled connection, the output write, the finish transition, pub/sub.
 * Raw exec: an exec channel running `true` on an already open ssh2 connection
 * to the same sshd, from the bench process.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { transpileTree } from "../sim/process/transpile-tree";
import { cpuProfileArgs } from "./cpu-profile-args";

async function outer(): Promise<number> {
  const repo = path.resolve(__dirname, "..");
  const build = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-bench-build-"));
  try {
    const files = transpileTree(repo, ["src", "sim", "bench", "test/helpers"], build);
    process.stderr.write(`[bench] transpiled ${files} files to ${build}\n`);
    // The bench process too: its engine starts the runs and hears their events, as the bot would.
    const profileDir = path.join(os.tmpdir(), "intervene-bench-profiles");
    const profile = process.argv.includes("--profile") ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`, "--cpu-prof-name=bench.cpuprofile"] : cpuProfileArgs();
    const child = spawn(process.execPath, [...profile, path.join(build, "bench", "bench-process.js"), ...process.argv.slice(2)], {
      stdio: "inherit",
      env: { ...process.env, NODE_PATH: path.join(repo, "node_modules"), INTERVENE_BENCH_REPO: repo, INTERVENE_REPO_ROOT: repo },
    });
    const forward = (signal: NodeJS.Signals): void => {
      if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, signal);
    };
    process.on("SIGINT", forward);
    process.on("SIGTERM", forward);
    return await new Promise<number>((resolve) => child.once("exit", (code) => resolve(code ?? 1)));
  } finally {
    fs.rmSync(build, { recursive: true, force: true });
  }
}

outer().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
