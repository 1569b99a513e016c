import { execFile } from "node:child_process";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import { sshTargetFor } from "../src/jobs";
import { SshPool } from "../src/ssh";
import type { BenchBed } from "./bench-bed";
import type { BenchBot } from "./bench-bot";
import { BENCH_PROCEDURE_ID } from "./bench-procedure";
import { CpuMeter, treeCpuTimes, type CpuTimes } from "./cpu-meter";
import { RawSshPool } from "./raw-ssh-pool";
import { median, summarize, type Summary } from "./stats";

const execFileAsync = promisify(execFile);
export const REQUESTER = { userId: "U0REQUESTER" };

export interface StepLatencyResult {
  /** engine.start of a planned 1-step run -> its step.finished event at the notifier. */
  readonly step: Summary;
  /** Bare exec channel on an open connection to the same sshd. */
  readonly raw: Summary;
  /** The product's SshPool.exec (process-group wrapper, output capture) on the same sshd, in this process. */
  readonly pool: Summary;
  /** `ssh host true` as a process. */
  readonly openssh: Summary;
  /** Medians of the parts of a step, from the run record (ms resolution) and the exec's own timing. */
  readonly spans: { readonly startToRunning: number; readonly runningToFinished: number; readonly exec: number; readonly finishedToEvent: number };
  /**
   * CPU ms per timed run, by process, over the blocks of runs only (not the
   * raw and pooled execs between them): what one sequential 1-step run costs
   * the machine. Work a process does for a run while the raw execs after
   * its block run (the bot's last Slack posts) is not counted, so the bot's
   * figure is a floor.
   */
  readonly cpuMsPerRun: Readonly<Record<string, number>>;
}

export interface StepLatencyOptions {
  readonly samples: number;
  readonly opensshSamples: number;
  /** The product's and the bed's processes by name (bot, workers, fake Slack, Redis): their CPU per run is counted. */
  readonly processes?: ReadonlyMap<string, number>;
  /** The bed's sshd listeners: the CPU of their trees is counted as `sshd`. */
  readonly sshdPids?: readonly number[];
}

/**
 * Sequential 1-step runs (`true` on h00) interleaved in blocks with raw and
 * pooled execs on the same sshd, so drift on a shared machine hits all three
 * alike. Each run is on its own cluster and channel in turn.
 */
export async function measureStepLatency(bed: BenchBed, bot: BenchBot, options: StepLatencyOptions): Promise<StepLatencyResult> {
  const clusters = bed.latencyClusters;
  const target = sshTargetFor(bed.inventory, { cluster: clusters[0]!, host: "h00" });
  const raw = new RawSshPool();
  await raw.open([target]);
  const pool = new SshPool();
  const rawSamples: number[] = [];
  const poolSamples: number[] = [];
  const stepSamples: number[] = [];
  const spans = { startToRunning: [] as number[], runningToFinished: [] as number[], exec: [] as number[], finishedToEvent: [] as number[] };
  let next = 0;
  const cpuPids = new Map<string, number | (() => CpuTimes)>([...(options.processes ?? []), ["bench", process.pid]]);
  const sshdPids = options.sshdPids ?? [];
  if (sshdPids.length > 0) cpuPids.set("sshd", () => treeCpuTimes(sshdPids));
  const cpuSpent: Record<string, number> = {};

  const oneRun = async (record: boolean): Promise<void> => {
    const cluster = clusters[next++ % clusters.length]!;
    const plan = await bot.engine.plan({ procedureId: BENCH_PROCEDURE_ID, cluster, params: { steps: [{ hosts: ["h00"] }] } }, REQUESTER);
    const wallStart = Date.now();
    const start = performance.now();
    const run = await bot.engine.start(plan, REQUESTER);
    const finishedAt = await bot.probe.stepFinished(run.id, 0);
    const wallEnd = Date.now();
    const { run: final } = await bot.probe.runFinished(run.id);
    bot.probe.forget(run.id);
    if (final.state !== "succeeded") throw new Error(`bench: latency run ${run.id} ended ${final.state}: ${final.reason ?? ""}`);
    if (!record) return;
    stepSamples.push(finishedAt - start);
    const step = final.steps[0]!;
    const started = Date.parse(step.startedAt ?? "");
    const finished = Date.parse(step.finishedAt ?? "");
    spans.startToRunning.push(started - wallStart);
    spans.runningToFinished.push(finished - started);
    spans.exec.push(step.outputs[0]?.durationMs ?? Number.NaN);
    spans.finishedToEvent.push(wallEnd - finished);
  };
  const rawOnce = async (samples?: number[]): Promise<void> => {
    const t = performance.now();
    if ((await raw.exec(target, "true")) !== 0) throw new Error("bench: raw exec failed");
    samples?.push(performance.now() - t);
  };
  const poolOnce = async (samples?: number[]): Promise<void> => {
    const t = performance.now();
    const r = await pool.exec(target, "true", { timeoutMs: 10_000 });
    if (r.code !== 0) throw new Error("bench: pooled exec failed");
    samples?.push(performance.now() - t);
  };

  try {
    // Warm-up: connections in both worker processes, JIT, Redis scripts loaded.
    for (let i = 0; i < 20; i++) {
      await rawOnce();
      await poolOnce();
      await oneRun(false);
    }
    const block = 10;
    while (stepSamples.length < options.samples) {
      for (let i = 0; i < block; i++) await rawOnce(rawSamples);
      for (let i = 0; i < block; i++) await poolOnce(poolSamples);
      const meter = new CpuMeter(cpuPids);
      meter.start();
      for (let i = 0; i < block && stepSamples.length < options.samples; i++) await oneRun(true);
      for (const [k, v] of Object.entries(meter.stop())) cpuSpent[k] = (cpuSpent[k] ?? 0) + v;
    }
  } finally {
    raw.close();
    await pool.close();
  }

  const sshd = bed.sshdOf("h00");
  const opensshSamples: number[] = [];
  for (let i = 0; i < options.opensshSamples; i++) {
    const t = performance.now();
    await execFileAsync("ssh", ["-F", bed.sshConfigPath, "-p", String(sshd.port), `${sshd.username}@${sshd.address}`, "true"]);
    opensshSamples.push(performance.now() - t);
  }

  return {
    step: summarize(stepSamples),
    raw: summarize(rawSamples),
    pool: summarize(poolSamples),
    openssh: summarize(opensshSamples),
    spans: {
      startToRunning: median(spans.startToRunning),
      runningToFinished: median(spans.runningToFinished),
      exec: median(spans.exec),
      finishedToEvent: median(spans.finishedToEvent),
    },
    cpuMsPerRun: Object.fromEntries(Object.entries(cpuSpent).map(([k, v]) => [k, v / stepSamples.length])),
  };
}
