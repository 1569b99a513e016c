import { performance } from "node:perf_hooks";
import { sshTargetFor } from "../src/jobs";
import type { BenchBed } from "./bench-bed";
import type { BenchBot } from "./bench-bot";
import { BENCH_PROCEDURE_ID } from "./bench-procedure";
import { RawSshPool } from "./raw-ssh-pool";
import { median, summarize, type Summary } from "./stats";
import { REQUESTER } from "./step-latency";

export interface FanoutResult {
  readonly hosts: number;
  readonly parallel: number;
  /** engine.start -> step.finished at the notifier, for the one step on every host. */
  readonly wall: Summary;
  /** The worker's own view: the step record's finishedAt - startedAt. */
  readonly workerStepMs: number;
  /** The same execs on open connections, `parallel` at a time: what this machine can do at best. */
  readonly rawWallMs: number;
}

/**
 * One step on every fan-out host, `parallel` at a time, against the same execs
 * on open connections. The two alternate rep by rep, each after the bot's
 * Slack work of the rep before is done (the run message's paced updates, its
 * thread, its report), so that drift on a shared machine and one rep's
 * leftovers hit both alike, as in the step latency's interleaved blocks. The
 * first cluster is a warm-up of the engine; the raw connections are opened
 * before any rep.
 */
export async function measureFanout(bed: BenchBed, bot: BenchBot, parallel: number): Promise<FanoutResult> {
  const hosts = bed.fanoutHosts;
  const walls: number[] = [];
  const workerMs: number[] = [];
  const rawWalls: number[] = [];
  const raw = new RawSshPool();
  const targets = hosts.map((h) => sshTargetFor(bed.inventory, { cluster: bed.fanoutClusters[0]!, host: h }));
  await raw.open(targets);
  const rawOnce = async (): Promise<number> => {
    let next = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (next < targets.length) await raw.exec(targets[next++]!, "true");
      }),
    );
    return performance.now() - start;
  };
  try {
    await rawOnce();
    for (const [rep, cluster] of bed.fanoutClusters.entries()) {
      await bot.slackSettled(QUIET_MS);
      const plan = await bot.engine.plan({ procedureId: BENCH_PROCEDURE_ID, cluster, params: { steps: [{ hosts: [...hosts], parallel }] } }, REQUESTER);
      const start = performance.now();
      const run = await bot.engine.start(plan, REQUESTER);
      const finishedAt = await bot.probe.stepFinished(run.id, 0);
      const { run: final } = await bot.probe.runFinished(run.id);
      bot.probe.forget(run.id);
      if (final.state !== "succeeded") throw new Error(`bench: fan-out run ${run.id} ended ${final.state}: ${final.reason ?? ""}`);
      if (rep === 0) continue;
      walls.push(finishedAt - start);
      const step = final.steps[0]!;
      workerMs.push(Date.parse(step.finishedAt ?? "") - Date.parse(step.startedAt ?? ""));
      await bot.slackSettled(QUIET_MS);
      rawWalls.push(await rawOnce());
    }
  } finally {
    raw.close();
  }
  return { hosts: hosts.length, parallel, wall: summarize(walls), workerStepMs: median(workerMs), rawWallMs: median(rawWalls) };
}

/** How long the fake Slack must hear nothing from the bot before a rep starts. */
const QUIET_MS = 500;
