import { performance } from "node:perf_hooks";
import type { BenchBed } from "./bench-bed";
import type { BenchBot } from "./bench-bot";
import { summarize, type Summary } from "./stats";
import { measureStepLatency, REQUESTER } from "./step-latency";
import { planRuns, warmUp } from "./throughput";
import type { WorkerProcesses } from "./worker-processes";

export interface ScalingRow {
  readonly workers: number;
  readonly stepsPerSec: number;
  /** Gap between consecutive step.finished events of a run, over every step of every run. */
  readonly stepLatency: Summary;
  /**
   * Sequential 1-step runs on these processes (as the step latency phase,
   * `SEQUENTIAL_RUNS` of them), and the raw exec timed between them: with
   * more than one idle worker process, BullMQ wakes one more for each job it
   * activates (its `moveToActive` marks the queue for the others), so the
   * count can change a lone run's cost.
   */
  readonly sequential: { readonly step: Summary; readonly raw: Summary };
}

const SEQUENTIAL_RUNS = 100;

/**
 * Issue 13 point 6: the same load (`runs` concurrent runs of `stepsPerRun`
 * steps) on 1, 2 and 4 worker processes, each started fresh and warmed up
 * (pooled connections open) before its timed rep.
 */
export async function measureScaling(
  bed: BenchBed,
  bot: BenchBot,
  counts: readonly number[],
  start: (count: number) => Promise<WorkerProcesses>,
  load: { readonly runs: number; readonly stepsPerRun: number },
): Promise<ScalingRow[]> {
  const clusters = bed.throughputClusters.slice(0, load.runs);
  const rows: ScalingRow[] = [];
  for (const count of counts) {
    const workers = await start(count);
    try {
      await warmUp(bed, bot, clusters);
      const plans = await planRuns(bot, bed, clusters, load.stepsPerRun);
      const began = performance.now();
      const runs = await Promise.all(plans.map((plan) => bot.engine.start(plan, REQUESTER)));
      const finished = await Promise.all(runs.map((r) => bot.probe.runFinished(r.id)));
      const wall = Math.max(...finished.map((f) => f.at)) - began;
      const latencies: number[] = [];
      for (const r of runs) {
        let previous = began;
        for (const at of [...bot.probe.stepTimes(r.id).values()].sort((a, b) => a - b)) {
          latencies.push(at - previous);
          previous = at;
        }
        bot.probe.forget(r.id);
      }
      await bot.slackSettled();
      const sequential = await measureStepLatency(bed, bot, { samples: SEQUENTIAL_RUNS, opensshSamples: 0 });
      await bot.slackSettled();
      rows.push({ workers: count, stepsPerSec: ((load.runs * load.stepsPerRun) / wall) * 1000, stepLatency: summarize(latencies), sequential: { step: sequential.step, raw: sequential.raw } });
    } finally {
      await workers.stop();
    }
  }
  return rows;
}
