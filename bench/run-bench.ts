/** The measurements behind `npm run bench`; see main.ts for what each figure means. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { measureAckLatency } from "./ack-latency";
import { startBenchBed, type BenchBed } from "./bench-bed";
import { startBenchBot, type BenchBot } from "./bench-bot";
import { measureFanout } from "./fanout";
import { ENV_DEFAULTS } from "../src/config/load-env-config";
import { HEAP_CEILING_ARG } from "../src/runtime/heap-ceiling";
import { formatTable, meets, type Row } from "./report";
import { rssMb } from "./rss-sampler";
import { round } from "./stats";
import { measureScaling, type ScalingRow } from "./scaling";
import { measureSoak, type SoakResult } from "./soak";
import { measureStepLatency } from "./step-latency";
import { measureThroughput } from "./throughput";
import { startWorkerProcesses, type WorkerProcesses } from "./worker-processes";

interface Plan {
  readonly latencySamples: number;
  readonly opensshSamples: number;
  readonly ackRounds: number;
  readonly throughputReps: number;
  readonly fanoutReps: number;
}

const FULL: Plan = { latencySamples: 500, opensshSamples: 30, ackRounds: 20, throughputReps: 5, fanoutReps: 10 };
const QUICK: Plan = { latencySamples: 60, opensshSamples: 8, ackRounds: 3, throughputReps: 1, fanoutReps: 4 };
const SSHD = 20;
const RUNS = 50;
const STEPS_PER_RUN = 10;
const FANOUT_HOSTS = 100;
const FANOUT_PARALLEL = 20;
const WORKERS = 2;
/** Per worker process: 2 x 25 can carry all 50 runs' steps at once (the product default is 8). */
const WORKER_CONCURRENCY = 25;

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)} rss ${(rssMb(process.pid) ?? 0).toFixed(0)} MB] ${message}\n`);
}

export interface BenchOptions {
  readonly quick: boolean;
  /** --cpu-prof in the worker processes. */
  readonly profile: boolean;
  /** --trace-gc in the bot and worker processes (their logs in the bench's temp dir show the heap after each GC). */
  readonly traceGc?: boolean;
  /** The repository: results.json and profiles/ go to its bench/ folder. */
  readonly repo: string;
  /** `--soak`: only the soak (10,000 one-step runs; 2,000 with --quick), merged into results.json. */
  readonly soak?: boolean;
  /** `--latency`: only the step latency (500 runs; 60 with --quick), printed and not written: for working on the hot path. */
  readonly latencyOnly?: boolean;
}

/** Runs every measurement (in a process started by main.ts from transpiled code) and writes results.json. */
export async function runBench({ quick, profile, traceGc = false, repo, soak = false, latencyOnly = false }: BenchOptions): Promise<void> {
  const plan = quick ? QUICK : FULL;
  const began = Date.now();
  const latencyClusters = 100;

  let bed: BenchBed | undefined;
  let bot: BenchBot | undefined;
  let workers: WorkerProcesses | undefined;
  try {
    log(`starting Redis and ${SSHD} sshd (${quick ? "quick" : "full"} run)`);
    bed = await startBenchBed({ sshdCount: SSHD, latencyClusters, throughputClusters: RUNS, fanoutClusters: plan.fanoutReps + 1, fanoutHosts: FANOUT_HOSTS });
    // Outside the repository: profiles and logs are large and never committed.
    const profileDir = path.join(os.tmpdir(), "intervene-bench-profiles");
    if (profile || traceGc) fs.mkdirSync(profileDir, { recursive: true });
    log(`starting ${WORKERS} worker processes and the bot`);
    const entry = path.join(__dirname, "..", "src", "main.js");
    const nodePath = path.join(repo, "node_modules");
    const common = { redisUrl: bed.redis.url, inventoryFile: bed.inventoryFile, privateKeyFile: bed.identity.privateKeyPath, knownHostsFile: bed.knownHostsPath, logDir: bed.dir };
    // The product's entry, plus the bench procedure for the workers' step checks.
    const workerOptions = { ...common, entry: path.join(__dirname, "bench-worker-main.js"), nodePath, count: WORKERS, concurrency: WORKER_CONCURRENCY, nodeArgs: [HEAP_CEILING_ARG, ...(profile ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []), ...(traceGc ? ["--trace-gc"] : [])] };
    [workers, bot] = await Promise.all([
      startWorkerProcesses(workerOptions),
      startBenchBot({ ...common, entry, nodePath, inventory: bed.inventory, nodeArgs: [HEAP_CEILING_ARG, ...(profile ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`, "--cpu-prof-name=bot.cpuprofile"] : []), ...(traceGc ? ["--trace-gc"] : []), ...(process.env.BENCH_HEAP_DIR !== undefined ? ["--heapsnapshot-signal=SIGUSR2", `--diagnostic-dir=${process.env.BENCH_HEAP_DIR}`] : [])] }),
    ]);

    if (soak) {
      const total = quick ? 2000 : 10_000;
      log(`soak: ${total} one-step runs, ${RUNS} clusters at once`);
      const result = await measureSoak(bed, bot, total, new Map([["bot", bot.pid], ...workers.workers.map((w) => [w.name, w.pid] as [string, number])]));
      writeSoak(repo, result);
      return;
    }

    log(`step latency: ${plan.latencySamples} sequential 1-step runs, interleaved with raw and pooled execs`);
    const latencyProcesses = new Map<string, number>([["bot", bot.pid], ...workers.workers.map((w) => [w.name, w.pid] as [string, number]), ["fake-slack", bot.fake.pid], ...(bed.redis.pid() !== undefined ? [["redis", bed.redis.pid()!] as [string, number]] : [])]);
    const latency = await measureStepLatency(bed, bot, { samples: plan.latencySamples, opensshSamples: plan.opensshSamples, processes: latencyProcesses, sshdPids: bed.sshd.flatMap((s) => s.pid() ?? []) });
    const latencyCpu = `CPU ms per run: ${Object.entries(latency.cpuMsPerRun).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(", ")}`;
    if (latencyOnly) {
      const { step, raw, pool, openssh, spans } = latency;
      log(`step ${step.median.toFixed(2)} ms (p99 ${step.p99.toFixed(2)}), raw exec ${raw.median.toFixed(2)}, pooled exec ${pool.median.toFixed(2)}, ssh ${openssh.median.toFixed(0)}: step_overhead_ratio ${(step.median / raw.median).toFixed(2)}, openssh_speedup ${(openssh.median / step.median).toFixed(1)}; spans ${JSON.stringify(spans)}; ${latencyCpu}`);
      return;
    }
    await bot.slackSettled();

    log(`ack latency: ${plan.ackRounds} rounds of 50 concurrent slash commands, real app vs bare Bolt`);
    const ack = await measureAckLatency(bed, bot, plan.ackRounds, { nodePath, logDir: bed.dir });

    log(`throughput: ${RUNS} runs x ${STEPS_PER_RUN} steps on ${SSHD} hosts, ${plan.throughputReps} rep(s), then the Slack backlog`);
    const tp = await measureThroughput(bed, bot, { runs: RUNS, stepsPerRun: STEPS_PER_RUN, reps: plan.throughputReps, processes: new Map([["bot", bot.pid], ...workers.workers.map((w) => [w.name, w.pid] as [string, number])]), ...(bed.redis.pid() !== undefined ? { redisPid: bed.redis.pid()! } : {}), sshdPids: bed.sshd.flatMap((s) => s.pid() ?? []), redisUrl: bed.redis.url, prefix: ENV_DEFAULTS.REDIS_PREFIX });

    log(`fan-out: 1 step on ${FANOUT_HOSTS} hosts, ${FANOUT_PARALLEL} at a time, ${plan.fanoutReps} rep(s)`);
    const fanout = await measureFanout(bed, bot, FANOUT_PARALLEL);

    // Full runs only: three fresh sets of worker processes, each warmed up and timed once.
    let scaling: ScalingRow[] = [];
    if (!quick) {
      log(`scaling: ${RUNS} runs x ${STEPS_PER_RUN} steps on 1, 2 and 4 worker processes`);
      const mainWorkers = workers;
      workers = undefined;
      await mainWorkers.stop();
      scaling = await measureScaling(bed, bot, [1, 2, 4], (count) => startWorkerProcesses({ ...workerOptions, count }), { runs: RUNS, stepsPerRun: STEPS_PER_RUN });
    }

    const stepRatio = latency.step.median / latency.raw.median;
    const fanoutIdeal = (FANOUT_HOSTS / FANOUT_PARALLEL) * latency.raw.median;
    const peakRss = Math.max(...Object.entries(tp.peakRssMb).flatMap(([name, mb]) => (name === "bench" ? [] : [mb])));
    const rows: Row[] = [
      { name: "step_overhead_ratio", value: stepRatio, unit: "x", target: { op: "<=", limit: 1.5 }, detail: `step ${latency.step.median.toFixed(2)} ms / raw exec ${latency.raw.median.toFixed(2)} ms (medians)` },
      { name: "step_p99_ratio", value: latency.step.p99 / latency.raw.p99, unit: "x", detail: `step p99 ${latency.step.p99.toFixed(2)} ms / raw p99 ${latency.raw.p99.toFixed(2)} ms` },
      { name: "pooled_exec_ratio", value: latency.pool.median / latency.raw.median, unit: "x", detail: `SshPool.exec ${latency.pool.median.toFixed(2)} ms (p99 ${latency.pool.p99.toFixed(2)}) / raw` },
      { name: "openssh_speedup", value: latency.openssh.median / latency.step.median, unit: "x", target: { op: ">=", limit: 40 }, detail: `ssh host true ${latency.openssh.median.toFixed(0)} ms / step ${latency.step.median.toFixed(2)} ms` },
      { name: "ack_p99_ratio", value: ack.pairedP99Ratio, unit: "x", target: { op: "<=", limit: 1.5 }, detail: `median of per-round p99 ratios; pooled p99 ${ack.real.p99.toFixed(1)} / bare ${ack.bare.p99.toFixed(1)} ms; medians ${ack.real.median.toFixed(1)} / ${ack.bare.median.toFixed(1)} ms; CPU/command ${ack.cpuMsPerCommand.real.toFixed(1)} / ${ack.cpuMsPerCommand.bare.toFixed(1)} ms` },
      { name: "throughput_ratio", value: tp.engineStepsPerSec / tp.rawStepsPerSec, unit: "x", target: { op: ">=", limit: 0.8 }, detail: `${tp.engineStepsPerSec.toFixed(0)} steps/s / raw ${tp.rawStepsPerSec.toFixed(0)} execs/s` },
      { name: "throughput_step_p99", value: tp.stepLatency.p99, unit: "ms", detail: `median ${tp.stepLatency.median.toFixed(1)} ms per step under load` },
      { name: "peak_rss_mb", value: peakRss, unit: "MB", target: { op: "<=", limit: 200 }, detail: Object.entries(tp.peakRssMb).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(", ") },
      { name: "fanout_vs_raw_ratio", value: fanout.wall.median / fanout.rawWallMs, unit: "x", target: { op: "<=", limit: 1.2 }, detail: `engine ${fanout.wall.median.toFixed(0)} ms / raw pooled fan-out ${fanout.rawWallMs.toFixed(0)} ms, ${FANOUT_PARALLEL} at a time` },
      // Information only (issue 13 point 7): an "ideal" of hosts/parallel x one exec, which no machine reaches under load.
      { name: "fanout_ratio", value: fanout.wall.median / fanoutIdeal, unit: "x", detail: `${fanout.wall.median.toFixed(0)} ms / ideal ${fanoutIdeal.toFixed(1)} ms` },
      { name: "max_updates_per_sec_per_message", value: tp.slack.maxUpdatesPerSecPerMessage, unit: "/s", target: { op: "<=", limit: 1 }, detail: `counting the post: ${tp.slack.maxWritesPerSecPerMessage.toFixed(2)}/s; min post gap per channel ${tp.slack.minPostGapMsPerChannel.toFixed(0)} ms` },
      { name: "lost_updates", value: tp.slack.lostUpdates, unit: "", target: { op: "<=", limit: 0 }, detail: `of ${tp.runs * tp.reps.length} runs` },
      { name: "redis_cmds_per_step", value: tp.redisCmdsPerStep, unit: "", detail: `INFO commandstats over the timed runs; per step by MONITOR: ours ${tp.redisSplitPerStep.ours.toFixed(1)}, BullMQ ${tp.redisSplitPerStep.bullmq.toFixed(1)}, other ${tp.redisSplitPerStep.other.toFixed(1)}; sent by clients (round trips) ${tp.redisSplitPerStep.sent.toFixed(1)}` },
      { name: "redis_bytes_in_per_step", value: Math.round(tp.redisBytesInPerStep), unit: "B", detail: "INFO stats total_net_input_bytes over the timed runs, every client" },
      { name: "redis_reads_per_step", value: tp.redisReadsPerStep, unit: "", detail: "INFO stats total_reads_processed over the timed runs: Redis's reads of client sockets (a client's write of several commands is one)" },
      { name: "bot_cpu_ms_per_step", value: tp.cpuMsPerStep.bot ?? Number.NaN, unit: "ms", detail: `CPU ms per step: ${Object.entries(tp.cpuMsPerStep).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(", ")}` },
      { name: "slack_calls_per_run", value: tp.slack.callsPerRun, unit: "", detail: Object.entries(tp.slack.callsByMethod).map(([k, v]) => `${k} ${v}`).join(", ") },
    ];

    const results = {
      step_overhead_ratio: round(stepRatio),
      step_p99_ratio: round(latency.step.p99 / latency.raw.p99),
      openssh_speedup: round(latency.openssh.median / latency.step.median),
      ack_p99_ratio: round(ack.pairedP99Ratio),
      throughput_ratio: round(tp.engineStepsPerSec / tp.rawStepsPerSec),
      peak_rss_mb: round(peakRss, 1),
      fanout_vs_raw_ratio: round(fanout.wall.median / fanout.rawWallMs),
      fanout_ratio: round(fanout.wall.median / fanoutIdeal),
      redis_cmds_per_step: round(tp.redisCmdsPerStep, 1),
      redis_bytes_in_per_step: Math.round(tp.redisBytesInPerStep),
      redis_reads_per_step: round(tp.redisReadsPerStep, 1),
      bot_cpu_ms_per_step: round(tp.cpuMsPerStep.bot ?? Number.NaN),
      max_updates_per_sec_per_message: round(tp.slack.maxUpdatesPerSecPerMessage),
      lost_updates: tp.slack.lostUpdates,
      slack_calls_per_run: round(tp.slack.callsPerRun, 2),
      targets: Object.fromEntries(rows.filter((r) => r.target !== undefined).map((r) => [r.name, { [r.target!.op]: r.target!.limit, met: meets(r) }])),
      figures: {
        step_ms: latency.step,
        raw_exec_ms: latency.raw,
        pooled_exec_ms: latency.pool,
        openssh_ms: latency.openssh,
        step_spans_median_ms: latency.spans,
        step_latency_cpu_ms_per_run: Object.fromEntries(Object.entries(latency.cpuMsPerRun).map(([k, v]) => [k, round(v)])),
        ack_ms: { real: ack.real, bare: ack.bare, pooled_p99_ratio: round(ack.real.p99 / ack.bare.p99), concurrency: ack.concurrency, rounds: ack.rounds, error_answers: ack.errorAnswers, cpu_ms_per_command: ack.cpuMsPerCommand },
        throughput: {
          engine_steps_per_sec: round(tp.engineStepsPerSec, 1),
          raw_execs_per_sec: round(tp.rawStepsPerSec, 1),
          reps: tp.reps,
          step_latency_ms: tp.stepLatency,
          peak_rss_mb_by_process: tp.peakRssMb,
          slack_drain_ms: Math.round(tp.slackDrainMs),
          raw_channel_refusals: tp.rawRefusals,
          step_spans_median_ms: tp.spans,
          cpu_ms_per_step: tp.cpuMsPerStep,
          redis_cmds_per_step_by_owner: tp.redisSplitPerStep,
        },
        fanout: { ...fanout, ideal_ms: fanoutIdeal },
        scaling: scaling.map((r) => ({ workers: r.workers, steps_per_sec: round(r.stepsPerSec, 1), step_latency_ms: r.stepLatency, sequential_step_ms: r.sequential.step, sequential_raw_exec_ms: r.sequential.raw, sequential_step_overhead_ratio: round(r.sequential.step.median / r.sequential.raw.median) })),
        slack: tp.slack,
      },
      definitions: {
        step_latency: "engine.start(plan) of a planned 1-step run (planning excluded) -> its step.finished event arriving at a subscriber of the run events channel, as the bot's notifier does",
        raw_exec: "exec channel running `true` on an already open ssh2 connection (setNoDelay) to the same sshd, from the bench process",
        throughput: `${RUNS} concurrent runs x ${STEPS_PER_RUN} steps (step j of run i on host (i+j) mod ${SSHD}), one cluster per run, ${WORKERS} worker processes x concurrency ${WORKER_CONCURRENCY}; raw: the same ${RUNS * STEPS_PER_RUN} execs as ${RUNS} concurrent chains on open connections (8 channels per connection)`,
        throughput_step_latency: "per step, the gap between consecutive step.finished events of a run (the first from engine.start)",
        hosts: `${SSHD} sshd processes on 127.0.0.10-${9 + SSHD}; fan-out: ${FANOUT_HOSTS} inventory host names sharing them (${FANOUT_HOSTS / SSHD} names each)`,
        fanout_ideal: `${FANOUT_HOSTS}/${FANOUT_PARALLEL} x median raw exec (fanout_ratio, information only)`,
        fanout_vs_raw_ratio: `the engine's 1-step run on ${FANOUT_HOSTS} hosts, ${FANOUT_PARALLEL} at a time (engine.start -> step.finished) / the same execs on open connections, ${FANOUT_PARALLEL} at a time, in the same run`,
        redis_reads_per_step: "reads Redis made from its clients' sockets (INFO stats total_reads_processed delta) over the same window as redis_cmds_per_step, / steps: each is a wake-up for input, so commands a client sends in one write count once",
        redis_bytes_in_per_step: "bytes all clients sent Redis (INFO stats total_net_input_bytes delta) over the same window as redis_cmds_per_step, / steps",
        redis_cmds_per_step: "Redis commands (INFO commandstats delta, every client) from the timed throughput runs' engine.start to the bot done with Slack, / steps; split into ours (intervene keys) and BullMQ's (<prefix>:bq:* keys) by MONITOR over one more, untimed, rep of 10 runs",
        bot_cpu_ms_per_step: "user + system CPU of the bot process (/proc/<pid>/stat) during the timed throughput runs / steps",
        ack: "client-side time to the HTTP response of a signed `/dirac intervention cluster=... --dry-run`, 50 at once, against the bot process and a bare Bolt process (handler: ack only) in alternating rounds; the ratio is the median over rounds of the round p99s' ratio",
        max_updates_per_sec_per_message: "1000 / shortest gap between two chat.update calls on one run message, at the fake Web API",
        lost_updates: "runs whose Slack message, once the bot has stopped calling Slack, differs from renderRunMessage(final run record)",
        peak_rss_mb: "largest VmRSS of the product's processes (the bot and the 2 workers, each `node dist/src/main.js`), sampled every 100 ms during the throughput runs; the bench process and the fake Slack are apart",
      },
      run: { mode: quick ? "quick" : "full", cores: os.cpus().length, node: process.version, at: new Date().toISOString(), seconds: Math.round((Date.now() - began) / 1000) },
    };
    fs.writeFileSync(path.join(repo, "bench", "results.json"), `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(`\n${formatTable(rows)}\n\n`);
    process.stdout.write(
      `step spans (medians, ms): start->running ${latency.spans.startToRunning}, running->finished ${latency.spans.runningToFinished} (exec ${latency.spans.exec.toFixed(2)}), finished->event ${latency.spans.finishedToEvent}\n`,
    );
    process.stdout.write(`step latency ${latencyCpu}\n`);
    process.stdout.write(
      `throughput step spans (medians, ms): queued->running ${tp.spans.queuedToRunning}, running->finished ${tp.spans.runningToFinished} (exec ${tp.spans.exec.toFixed(2)})\n`,
    );
    if (scaling.length > 0) {
      process.stdout.write(`scaling (${RUNS} runs x ${STEPS_PER_RUN} steps, concurrency ${WORKER_CONCURRENCY} per process):\n${scaling.map((r) => `  ${r.workers} worker process(es): ${r.stepsPerSec.toFixed(0)} steps/s, step p99 ${r.stepLatency.p99.toFixed(1)} ms (median ${r.stepLatency.median.toFixed(1)}); sequential 1-step runs ${r.sequential.step.median.toFixed(2)} ms ÷ raw exec ${r.sequential.raw.median.toFixed(2)} = ${(r.sequential.step.median / r.sequential.raw.median).toFixed(2)}`).join("\n")}\n`);
    }
    process.stdout.write(`throughput CPU ms per step: ${Object.entries(tp.cpuMsPerStep).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(", ")}\n`);
    if (ack.errorAnswers > 0) process.stdout.write(`warning: ${ack.errorAnswers} dry-run commands were answered with an error\n`);
    if (tp.slack.lostRunIds.length > 0) process.stdout.write(`lost updates in runs:\n${tp.slack.lostWhy.slice(0, 10).map((w) => `  ${w}`).join("\n")}\n`);
    process.stdout.write(`wrote bench/results.json (${results.run.seconds} s)\n`);
  } finally {
    const keepLogs = (profile || traceGc) && bed !== undefined;
    await bot?.close().catch((err: unknown) => log(`bot close failed: ${String(err)}`));
    await workers?.stop().catch((err: unknown) => log(`worker stop failed: ${String(err)}`));
    if (keepLogs) {
      for (const f of fs.readdirSync(bed!.dir).filter((name) => name.endsWith(".log"))) fs.copyFileSync(path.join(bed!.dir, f), path.join(os.tmpdir(), "intervene-bench-profiles", f));
      log(`profiles and logs kept in ${path.join(os.tmpdir(), "intervene-bench-profiles")}`);
    }
    await bed?.stop().catch((err: unknown) => log(`bed stop failed: ${String(err)}`));
  }
}


/** Merges the soak's figures into bench/results.json (a full run's other figures stay) and prints them. */
function writeSoak(repo: string, soak: SoakResult): void {
  const file = path.join(repo, "bench", "results.json");
  const current = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>) : {};
  const rows: Row[] = [
    { name: "soak_throughput_ratio", value: soak.throughputRatio, unit: "x", target: { op: ">=", limit: 0.9 }, detail: `last 1,000 runs ${soak.lastRunsPerSec.toFixed(1)}/s / first 1,000 ${soak.firstRunsPerSec.toFixed(1)}/s, ${soak.runs} runs` },
    { name: "soak_redis_bytes_per_run", value: soak.redisBytesPerRun, unit: "B", detail: `used_memory ${soak.redisUsedMbAtEnd.toFixed(1)} MB at the end; kept until retention (OUTPUT_TTL_DAYS) drops it` },
    { name: "soak_redis_bytes_without_ttl", value: soak.redisBytesNeverExpiring, unit: "B", detail: `${soak.keysNeverExpiring} keys without a TTL, freed by trimming, not by expiry (BullMQ's finished jobs go by age, keepJobsMs, 7 days, as later jobs finish): (${Object.entries(soak.neverExpiringPatterns).sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, v]) => `${k} ${v}`).join(", ")})` },
    { name: "soak_peak_rss_mb_at_end", value: Math.max(...Object.values(soak.rssMbAtEnd)), unit: "MB", target: { op: "<=", limit: 200 }, detail: Object.entries(soak.rssMbAtEnd).map(([k, v]) => `${k} ${v}`).join(", ") },
  ];
  const merged = {
    ...current,
    soak_throughput_ratio: round(soak.throughputRatio),
    soak: { ...soak, at: new Date().toISOString(), cores: os.cpus().length },
  };
  fs.writeFileSync(file, `${JSON.stringify(merged, null, 2)}\n`);
  process.stdout.write(`\n${formatTable(rows)}\n\nmerged the soak into bench/results.json\n`);
}
