import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Actor, RunRecord } from "../src/jobs";
import { APPENDS, crashPlan } from "../test/integration/jobs/helpers/crash-plan";
import { compileWorkerEntry } from "../test/integration/jobs/helpers/compile-worker-entry";
import { createHarness, waitForRun, type Harness } from "../test/integration/jobs/helpers/jobs-harness";
import { spawnWorkerProcess, type WorkerProcess } from "../test/integration/jobs/helpers/worker-process";
import { recordRow, recoveryFigures, trials } from "./chaos-row";

const TRIALS = trials(50, 12);
const operator: Actor = { userId: "UOPS" };
const CLUSTERS = { crash: "{}" };

jest.setTimeout(1_200_000);

/**
 * Issue 15 points 3 and 4, row "worker SIGKILL": a worker process (the
 * product's own entry) is SIGKILLed at a random point of a ten-step run with
 * four non-idempotent appends over SSH; a fresh worker takes over. Counted:
 * runs lost, lines written twice, and the time from the kill to the run going
 * on (the killed step marked interrupted, or the run past it).
 */
describe("chaos: worker SIGKILL at random points", () => {
  let h: Harness;
  let dir: string;
  let compiled: ReturnType<typeof compileWorkerEntry>;
  const processes: WorkerProcess[] = [];

  beforeAll(() => {
    h = createHarness("crash", CLUSTERS);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-chaos-"));
    compiled = compileWorkerEntry();
  });
  afterAll(async () => {
    await Promise.allSettled(processes.map((p) => p.stop()));
    await h.close();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(compiled.dir, { recursive: true, force: true });
  });

  const spawnWorker = (): WorkerProcess => {
    const p = spawnWorkerProcess({ redisUrl: h.redisUrl, prefix: h.prefix, clusters: CLUSTERS }, compiled);
    processes.push(p);
    return p;
  };
  /** What changes when the run goes on after a kill: the cursor, a step's state, or the run's. */
  const progressOf = (r: RunRecord): string => `${r.state}:${r.cursor}:${r.steps.map((s) => s.state).join(",")}`;

  it(`${TRIALS} SIGKILLs: no run lost, no line written twice`, async () => {
    let lost = 0;
    let twice = 0;
    let killedMidStep = 0;
    const recoveries: number[] = [];
    let active = spawnWorker();
    let spare = spawnWorker();
    await active.ready;
    active.go();

    for (let trial = 0; trial < TRIALS; trial++) {
      const file = path.join(dir, `t${trial}.log`);
      const run = await h.engine.start(crashPlan(file, path.join(dir, `d${trial}`), trial), operator);
      await new Promise((r) => setTimeout(r, Math.random() * 1400));
      await active.kill();
      const killedAt = Date.now();
      const atKill = (await h.engine.get(run.id))!;
      const runningStep = atKill.steps.findIndex((s) => s.state === "running");
      if (runningStep >= 0) killedMidStep++;
      await spare.ready;
      spare.go();
      active = spare;
      spare = spawnWorker();
      if (atKill.state === "running") {
        // Recovery: the run moves on from where the kill left it (interrupted, or re-run if idempotent, or the next step).
        await waitForRun(h.engine, run.id, (r) => progressOf(r) !== progressOf(atKill), 60_000);
        recoveries.push(Date.now() - killedAt);
      }

      let final: RunRecord;
      for (;;) {
        final = await waitForRun(h.engine, run.id, (r) => ["succeeded", "paused", "failed", "aborted"].includes(r.state), 60_000);
        if (final.state !== "paused") break;
        // The operator looks at the host: the line is there (the command ran) -> skip; not there -> retry.
        const line = `t${trial}-${final.plan.steps[final.cursor]!.id}`;
        const written = fs.existsSync(file) && fs.readFileSync(file, "utf8").split("\n").includes(line);
        if (written) await h.engine.skip(run.id, final.cursor, operator, "the line is already in the file");
        else await h.engine.retry(run.id, final.cursor, operator);
      }
      if (final.state !== "succeeded") lost++;
      const lines = fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter((l) => l !== "") : [];
      for (const i of APPENDS) if (lines.filter((l) => l === `t${trial}-append-${i}`).length > 1) twice++;
    }
    await Promise.all([active.stop(), spare.stop()]);
    recordRow({
      name: "worker SIGKILL at random points",
      trials: TRIALS,
      faults: TRIALS,
      runsLost: lost,
      stepsRunTwice: twice,
      duplicateSlackPosts: 0,
      finalMessagesWrong: 0,
      ...recoveryFigures(recoveries),
      detail: `${killedMidStep} kills landed inside a step; recovery = kill to the run moving on (the stalled job re-delivered and the step marked interrupted or re-run); no Slack in this row`,
    });
    expect({ lost, twice }).toEqual({ lost: 0, twice: 0 });
  });
});
