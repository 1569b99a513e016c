import { performance } from "node:perf_hooks";
import Redis from "ioredis";
import { sshTargetFor, type RunRecord } from "../src/jobs";
import type { Plan } from "../src/procedures";
import type { BenchBed } from "./bench-bed";
import type { BenchBot } from "./bench-bot";
import { BENCH_PROCEDURE_ID } from "./bench-procedure";
import { RawSshPool } from "./raw-ssh-pool";
import { CpuMeter, treeCpuTimes, type CpuTimes } from "./cpu-meter";
import { rssMb, RssSampler } from "./rss-sampler";
import { bytesIn, commandCalls, readsProcessed, splitCommands, type CommandSplit } from "./redis-command-count";
import { analyseSlack, type SlackDiscipline } from "./slack-discipline";
import { median, summarize, type Summary } from "./stats";
import { REQUESTER } from "./step-latency";

export interface ThroughputRep {
  readonly engineStepsPerSec: number;
  readonly rawStepsPerSec: number;
  readonly engineWallMs: number;
  readonly rawWallMs: number;
  /** Resident size of each product process once this rep's Slack backlog was done: a leak would grow rep after rep. */
  readonly rssMbAfter: Readonly<Record<string, number>>;
}

export interface ThroughputResult {
  readonly runs: number;
  readonly stepsPerRun: number;
  readonly hosts: number;
  readonly reps: readonly ThroughputRep[];
  readonly engineStepsPerSec: number;
  readonly rawStepsPerSec: number;
  /** Per step: from the previous step's step.finished event (the run's start for the first) to its own. */
  readonly stepLatency: Summary;
  readonly peakRssMb: Readonly<Record<string, number>>;
  readonly slack: SlackDiscipline;
  /** Medians from the run records (ms resolution): queued -> a worker began it, began -> finished, and the exec itself. */
  readonly spans: { readonly queuedToRunning: number; readonly runningToFinished: number; readonly exec: number };
  /** CPU ms per step while the engine's runs ran (Slack backlog excluded), by process; and per exec for the raw chains (bench process). */
  readonly cpuMsPerStep: Readonly<Record<string, number>>;
  /** Channel opens sshd refused to the raw chains (retried). */
  readonly rawRefusals: number;
  /** How long after the last run finished the bot was done with Slack. */
  readonly slackDrainMs: number;
  /** Redis commands per step over the timed reps (INFO commandstats delta, from engine.start to the bot done with Slack), every process included. */
  readonly redisCmdsPerStep: number;
  /** Bytes every client sent Redis over the timed runs, per step (a run record written whole each transition shows here). */
  readonly redisBytesInPerStep: number;
  /** Reads Redis made from client sockets per step (INFO stats total_reads_processed): its wake-ups for input. */
  readonly redisReadsPerStep: number;
  /** Per step, who sent them (MONITOR over an extra, untimed rep of 10 runs). */
  readonly redisSplitPerStep: CommandSplit;
}

export interface ThroughputOptions {
  readonly runs: number;
  readonly stepsPerRun: number;
  readonly reps: number;
  /** The product's processes (bot, workers) by name: their CPU and resident size are sampled. */
  readonly processes: ReadonlyMap<string, number>;
  readonly redisPid?: number;
  /** The bed's sshd listeners: the CPU of their trees (connections, sessions, commands) is counted as `sshd`. */
  readonly sshdPids?: readonly number[];
  /** The bench's Redis and the product's key prefix: commands are counted there. */
  readonly redisUrl: string;
  readonly prefix: string;
}

/** Step j of run i runs on host (i + j) mod hosts: every run walks all hosts, and at any moment the load is spread. */
const hostIndex = (run: number, step: number, hosts: number): number => (run + step) % hosts;

/** The same commands as the engine runs, as `runs` concurrent chains of sequential execs on open connections. */
async function rawChains(bed: BenchBed, raw: RawSshPool, options: ThroughputOptions): Promise<number> {
  const hosts = bed.throughputHosts;
  const targets = hosts.map((h) => sshTargetFor(bed.inventory, { cluster: bed.throughputClusters[0]!, host: h }));
  const start = performance.now();
  await Promise.all(
    Array.from({ length: options.runs }, async (_, i) => {
      for (let j = 0; j < options.stepsPerRun; j++) {
        if ((await raw.exec(targets[hostIndex(i, j, hosts.length)]!, "true")) !== 0) throw new Error("bench: raw exec failed");
      }
    }),
  );
  return performance.now() - start;
}

/**
 * Each worker process opens its pooled connection to a host the first time
 * it runs a step there: 4 steps per run over every host get both workers
 * connected to every host (a host missed by one worker has odds of about
 * 1 in 1000), so the measured runs, like the raw chains, use open connections.
 */
export async function warmUp(bed: BenchBed, bot: BenchBot, clusters: readonly string[]): Promise<void> {
  const hosts = bed.throughputHosts;
  const runs = await Promise.all(
    clusters.map(async (cluster, i) => {
      const steps = Array.from({ length: 4 }, (_, j) => ({ hosts: [hosts[(i * 4 + j) % hosts.length]!] }));
      return bot.engine.start(await bot.engine.plan({ procedureId: BENCH_PROCEDURE_ID, cluster, params: { steps } }, REQUESTER), REQUESTER);
    }),
  );
  for (const r of runs) {
    await bot.probe.runFinished(r.id);
    bot.probe.forget(r.id);
  }
  await bot.slackSettled();
}

export function planRuns(bot: BenchBot, bed: BenchBed, clusters: readonly string[], stepsPerRun: number): Promise<Plan[]> {
  const hosts = bed.throughputHosts;
  return Promise.all(
    clusters.map((cluster, i) =>
      bot.engine.plan({ procedureId: BENCH_PROCEDURE_ID, cluster, params: { steps: Array.from({ length: stepsPerRun }, (_, j) => ({ hosts: [hosts[hostIndex(i, j, hosts.length)]!] })) } }, REQUESTER),
    ),
  );
}

/** Starts every plan at once and waits for every run's end and the bot's last Slack call. */
async function runAll(bot: BenchBot, plans: readonly Plan[]): Promise<void> {
  const runs = await Promise.all(plans.map((plan) => bot.engine.start(plan, REQUESTER)));
  for (const r of runs) {
    await bot.probe.runFinished(r.id);
    bot.probe.forget(r.id);
  }
  await bot.slackSettled();
}

/**
 * `runs` runs of `stepsPerRun` steps at once, one per cluster (one active
 * run per cluster is the product's rule), executed by the worker processes;
 * against the raw chains of the same commands, alternating, `reps` times.
 * Slack calls made for the engine's runs are read from the fake Web API
 * once the bot has stopped calling Slack.
 */
export async function measureThroughput(bed: BenchBed, bot: BenchBot, options: ThroughputOptions): Promise<ThroughputResult> {
  const hosts = bed.throughputHosts;
  const clusters = bed.throughputClusters.slice(0, options.runs);
  if (clusters.length < options.runs) throw new Error(`bench: ${options.runs} runs need as many clusters`);
  const raw = new RawSshPool();
  await raw.open(hosts.map((h) => sshTargetFor(bed.inventory, { cluster: clusters[0]!, host: h })));
  await rawChains(bed, raw, { ...options, runs: 10, stepsPerRun: 2 });
  await warmUp(bed, bot, clusters);

  const sampler = new RssSampler(new Map([...options.processes, ["bench", process.pid]]));
  const reps: ThroughputRep[] = [];
  const latencies: number[] = [];
  const finalRuns: RunRecord[] = [];
  const spans = { queuedToRunning: [] as number[], runningToFinished: [] as number[], exec: [] as number[] };
  const callsFrom = await bot.fake.callCount();
  let slackDrainMs = 0;
  const cpuPids = new Map<string, number | (() => CpuTimes)>([...options.processes, ["bench", process.pid]]);
  if (options.redisPid !== undefined) cpuPids.set("redis", options.redisPid);
  const sshdPids = options.sshdPids ?? [];
  const sshdTree = (): CpuTimes => treeCpuTimes(sshdPids);
  if (sshdPids.length > 0) cpuPids.set("sshd", sshdTree);
  const cpuSpent: Record<string, number> = {};
  const addCpu = (spent: Record<string, number>, prefix = ""): void => {
    for (const [k, v] of Object.entries(spent)) cpuSpent[prefix + k] = (cpuSpent[prefix + k] ?? 0) + v;
  };
  const counter = new Redis(options.redisUrl);
  let redisCalls = 0;
  let redisBytes = 0;
  let redisReads = 0;
  sampler.start();
  try {
    for (let rep = 0; rep < options.reps; rep++) {
      const rawMeter = new CpuMeter(new Map<string, number | (() => CpuTimes)>([["bench", process.pid], ...(sshdPids.length > 0 ? [["sshd", sshdTree] as const] : [])]), true);
      rawMeter.start();
      const rawWallMs = await rawChains(bed, raw, options);
      addCpu(rawMeter.stop(), "raw:");
      const plans = await planRuns(bot, bed, clusters, options.stepsPerRun);
      const callsBefore = await commandCalls(counter);
      const bytesBefore = await bytesIn(counter);
      const readsBefore = await readsProcessed(counter);
      const meter = new CpuMeter(cpuPids, true);
      meter.start();
      const start = performance.now();
      const runs = await Promise.all(plans.map((plan) => bot.engine.start(plan, REQUESTER)));
      const finished = await Promise.all(runs.map((r) => bot.probe.runFinished(r.id)));
      const engineWallMs = Math.max(...finished.map((f) => f.at)) - start;
      addCpu(meter.stop());
      for (const [k, f] of finished.entries()) {
        if (f.run.state !== "succeeded") throw new Error(`bench: run ${f.run.id} ended ${f.run.state}: ${f.run.reason ?? ""}`);
        const times = bot.probe.stepTimes(runs[k]!.id);
        let previous = start;
        for (let j = 0; j < options.stepsPerRun; j++) {
          const at = times.get(j)!;
          latencies.push(at - previous);
          previous = at;
        }
        bot.probe.forget(runs[k]!.id);
      }
      const lastFinished = Date.now();
      slackDrainMs = Math.max(slackDrainMs, (await bot.slackSettled()) - lastFinished);
      redisCalls += (await commandCalls(counter)) - callsBefore;
      redisBytes += (await bytesIn(counter)) - bytesBefore;
      redisReads += (await readsProcessed(counter)) - readsBefore;
      for (const r of runs) {
        const final = await bot.engine.get(r.id);
        if (final === undefined) continue;
        finalRuns.push(final);
        let queuedAt = Date.parse(final.startedAt ?? final.requestedAt);
        for (const step of final.steps) {
          const began = Date.parse(step.startedAt ?? "");
          const ended = Date.parse(step.finishedAt ?? "");
          spans.queuedToRunning.push(began - queuedAt);
          spans.runningToFinished.push(ended - began);
          spans.exec.push(step.outputs[0]?.durationMs ?? Number.NaN);
          queuedAt = ended;
        }
      }
      const total = options.runs * options.stepsPerRun;
      const rssMbAfter = Object.fromEntries([...options.processes].map(([name, pid]) => [name, Math.round(rssMb(pid) ?? 0)]));
      reps.push({ engineStepsPerSec: (total / engineWallMs) * 1000, rawStepsPerSec: (total / rawWallMs) * 1000, engineWallMs, rawWallMs, rssMbAfter });
    }
  } finally {
    raw.close();
    counter.disconnect();
  }
  const peak = sampler.stop();
  const splitRuns = clusters.slice(0, 10);
  const splitPlans = await planRuns(bot, bed, splitRuns, options.stepsPerRun);
  const split = await splitCommands(options.redisUrl, options.prefix, () => runAll(bot, splitPlans));
  const splitSteps = splitRuns.length * options.stepsPerRun;
  return {
    runs: options.runs,
    stepsPerRun: options.stepsPerRun,
    hosts: hosts.length,
    reps,
    engineStepsPerSec: median(reps.map((r) => r.engineStepsPerSec)),
    rawStepsPerSec: median(reps.map((r) => r.rawStepsPerSec)),
    stepLatency: summarize(latencies),
    peakRssMb: Object.fromEntries(peak),
    slack: analyseSlack(await bot.fake.dump(callsFrom), finalRuns),
    slackDrainMs,
    rawRefusals: raw.refusals,
    cpuMsPerStep: Object.fromEntries(Object.entries(cpuSpent).map(([k, v]) => [k, v / (options.runs * options.stepsPerRun * options.reps)])),
    redisCmdsPerStep: redisCalls / (options.runs * options.stepsPerRun * options.reps),
    redisBytesInPerStep: redisBytes / (options.runs * options.stepsPerRun * options.reps),
    redisReadsPerStep: redisReads / (options.runs * options.stepsPerRun * options.reps),
    redisSplitPerStep: { ours: split.ours / splitSteps, bullmq: split.bullmq / splitSteps, other: split.other / splitSteps, top: split.top, sent: split.sent / splitSteps, topSent: split.topSent },
    spans: { queuedToRunning: median(spans.queuedToRunning), runningToFinished: median(spans.runningToFinished), exec: median(spans.exec) },
  };
}
