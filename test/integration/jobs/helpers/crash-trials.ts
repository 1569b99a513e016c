import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Actor, RunRecord } from "../../../../src/jobs";
import { APPENDS, crashPlan } from "./crash-plan";
import { compileWorkerEntry } from "./compile-worker-entry";
import { createHarness, waitForRun, type Harness } from "./jobs-harness";
import { spawnWorkerProcess, type WorkerProcess } from "./worker-process";

/** What the SIGKILL trials did and found; every "wrong" figure must be 0. */
export interface CrashFigures {
  killedMidRun: number;
  killedMidStep: number;
  interrupted: number;
  retried: number;
  skipped: number;
  rerunIdempotent: number;
  succeeded: number;
  /** Runs that did not end succeeded. */
  lost: number;
  /** Appends found twice in their file. */
  twice: number;
  /** Appends whose line is not in their file (a skipped step that never ran). */
  missing: number;
  /** Lines in a file that no append wrote. */
  strayLines: number;
  /** A paused run whose current step was not `interrupted`. */
  pausedNotInterrupted: number;
  /** A cluster lock still held after its run ended. */
  locksLeft: number;
  /** ms from each kill that landed in a running run to that run moving on. */
  recoveriesMs: number[];
}

const operator: Actor = { userId: "UOPS" };

/** What changes when a run goes on after a kill: the cursor, a step's state, or the run's. */
const progressOf = (r: RunRecord): string => `${r.state}:${r.cursor}:${r.steps.map((s) => s.state).join(",")}`;

/**
 * `trials` times: start the crash plan, SIGKILL the active worker process at a
 * random moment, let a fresh one take over, and drive the run to its end as an
 * operator would (a paused, interrupted append: skip it when its line is in
 * the file, retry it otherwise). Shared by the crash test (`npm test`) and the
 * chaos row (`npm run chaos`).
 */
export async function runCrashTrials(h: Harness, dir: string, spawnWorker: () => WorkerProcess, trials: number): Promise<CrashFigures> {
  const f: CrashFigures = { killedMidRun: 0, killedMidStep: 0, interrupted: 0, retried: 0, skipped: 0, rerunIdempotent: 0, succeeded: 0, lost: 0, twice: 0, missing: 0, strayLines: 0, pausedNotInterrupted: 0, locksLeft: 0, recoveriesMs: [] };
  let active = spawnWorker();
  let spare = spawnWorker();
  await active.ready;
  active.go();

  for (let trial = 0; trial < trials; trial++) {
    const file = path.join(dir, `t${trial}.log`);
    const run = await h.engine.start(crashPlan(file, path.join(dir, `d${trial}`), trial), operator);
    await new Promise((r) => setTimeout(r, Math.random() * 1400));
    await active.kill();
    const killedAt = Date.now();
    const atKill = (await h.engine.get(run.id))!;
    if (atKill.state === "running") f.killedMidRun++;
    if (atKill.steps.some((s) => s.state === "running")) f.killedMidStep++;
    await spare.ready;
    spare.go();
    active = spare;
    spare = spawnWorker();
    if (atKill.state === "running") {
      await waitForRun(h.engine, run.id, (r) => progressOf(r) !== progressOf(atKill), 60_000);
      f.recoveriesMs.push(Date.now() - killedAt);
    }

    let final: RunRecord;
    for (;;) {
      final = await waitForRun(h.engine, run.id, (r) => ["succeeded", "paused", "failed", "aborted"].includes(r.state), 60_000);
      if (final.state !== "paused") break;
      if (final.steps[final.cursor]?.state !== "interrupted") f.pausedNotInterrupted++;
      f.interrupted++;
      const line = `t${trial}-${final.plan.steps[final.cursor]!.id}`;
      const written = fs.existsSync(file) && fs.readFileSync(file, "utf8").split("\n").includes(line);
      if (written) {
        f.skipped++;
        await h.engine.skip(run.id, final.cursor, operator, "the line is already in the file");
      } else {
        f.retried++;
        await h.engine.retry(run.id, final.cursor, operator);
      }
    }
    if (final.state === "succeeded") f.succeeded++;
    else f.lost++;
    const lines = fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter((l) => l !== "") : [];
    for (const i of APPENDS) {
      const n = lines.filter((l) => l === `t${trial}-append-${i}`).length;
      if (n > 1) f.twice++;
      if (n === 0) f.missing++;
    }
    f.strayLines += lines.filter((l) => !APPENDS.some((i) => l === `t${trial}-append-${i}`)).length;
    f.rerunIdempotent += (await h.engine.audit(run.id)).filter((e) => e.type === "step.started" && e.data?.rerunAfterCrash === true).length;
    if ((await h.engine.store.lockHolder("crash")) !== undefined) f.locksLeft++;
  }
  await Promise.all([active.stop(), spare.stop()]);
  return f;
}

/**
 * The bed of the crash trials, set up and torn down around a describe block:
 * a harness on `clusters` (the trials use cluster `crash`), a temp dir,
 * worker processes of the product's own entry.
 */
export interface CrashBed {
  harness(): Harness;
  dir(): string;
  spawnWorker(): WorkerProcess;
}

export function useCrashBed(dirPrefix: string, clusters: Record<string, string> = { crash: "{}" }): CrashBed {
  let h: Harness | undefined;
  let dir = "";
  let compiled: ReturnType<typeof compileWorkerEntry> | undefined;
  const processes: WorkerProcess[] = [];
  beforeAll(() => {
    h = createHarness(Object.keys(clusters).join("-"), clusters);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), dirPrefix));
    compiled = compileWorkerEntry();
  });
  afterAll(async () => {
    await Promise.allSettled(processes.map((p) => p.stop()));
    await h?.close();
    if (dir !== "") fs.rmSync(dir, { recursive: true, force: true });
    if (compiled !== undefined) fs.rmSync(compiled.dir, { recursive: true, force: true });
  });
  const harness = (): Harness => {
    if (h === undefined) throw new Error("the crash bed is not set up yet");
    return h;
  };
  return {
    harness,
    dir: () => dir,
    spawnWorker() {
      if (compiled === undefined) throw new Error("the crash bed is not set up yet");
      const p = spawnWorkerProcess({ redisUrl: harness().redisUrl, prefix: harness().prefix, clusters }, compiled);
      processes.push(p);
      return p;
    },
  };
}
