import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Actor, RunRecord } from "../../../src/jobs";
import { createHarness, isSettled, testPlan, waitForRun, type Harness } from "./helpers/jobs-harness";
import { APPENDS, crashPlan } from "./helpers/crash-plan";
import { shellQuote } from "../../../src/util/shell-quote";
import { compileWorkerEntry } from "./helpers/compile-worker-entry";
import { spawnWorkerProcess, type WorkerProcess } from "./helpers/worker-process";

const TRIALS = Number(process.env.CRASH_TRIALS ?? 20);
const operator: Actor = { userId: "UOPS" };
const CLUSTERS = { crash: "{}" };

describe("worker crash at a random point of a run", () => {
  let h: Harness;
  let dir: string;
  let compiled: ReturnType<typeof compileWorkerEntry>;
  const processes: WorkerProcess[] = [];

  beforeAll(() => {
    h = createHarness("crash", CLUSTERS);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-crash-"));
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

  it(`${TRIALS} SIGKILLs of the worker process: no line written twice, no run lost`, async () => {
    const figures = { killedMidRun: 0, interrupted: 0, retried: 0, skipped: 0, rerunIdempotent: 0, succeeded: 0 };
    let active = spawnWorker();
    let spare = spawnWorker();
    await active.ready;
    active.go();

    for (let trial = 0; trial < TRIALS; trial++) {
      const file = path.join(dir, `t${trial}.log`);
      const run = await h.engine.start(crashPlan(file, path.join(dir, `d${trial}`), trial), operator);
      await new Promise((r) => setTimeout(r, Math.random() * 1400));
      const before = (await h.engine.get(run.id))!;
      if (before.state === "running") figures.killedMidRun++;
      await active.kill();
      await spare.ready;
      spare.go();
      active = spare;
      spare = spawnWorker();

      let final: RunRecord;
      for (;;) {
        final = await waitForRun(h.engine, run.id, (r) => r.state === "succeeded" || r.state === "paused" || r.state === "failed" || r.state === "aborted", 30_000);
        if (final.state !== "paused") break;
        const step = final.steps[final.cursor]!;
        expect(step.state).toBe("interrupted");
        figures.interrupted++;
        // The operator looks at the host: the line is there (the command ran) -> skip; not there -> retry.
        const line = `t${trial}-${final.plan.steps[final.cursor]!.id}`;
        const written = fs.existsSync(file) && fs.readFileSync(file, "utf8").split("\n").includes(line);
        if (written) {
          figures.skipped++;
          await h.engine.skip(run.id, final.cursor, operator, "the line is already in the file");
        } else {
          figures.retried++;
          await h.engine.retry(run.id, final.cursor, operator);
        }
      }
      expect(final.state).toBe("succeeded");
      figures.succeeded++;
      const lines = fs.readFileSync(file, "utf8").split("\n").filter((l) => l !== "");
      for (const i of APPENDS) {
        expect(lines.filter((l) => l === `t${trial}-append-${i}`)).toHaveLength(1);
      }
      expect(lines).toHaveLength(APPENDS.length);
      figures.rerunIdempotent += (await h.engine.audit(run.id)).filter((e) => e.type === "step.started" && e.data?.rerunAfterCrash === true).length;
      expect(await h.engine.store.lockHolder("crash")).toBeUndefined();
    }
    console.log(`crash figures over ${TRIALS} trials: ${JSON.stringify(figures)}`);
    expect(figures.succeeded).toBe(TRIALS);
    await Promise.all([active.stop(), spare.stop()]);
  }, 300_000);

  it("abort now reaches the worker process running the step (pub/sub) and kills the remote command", async () => {
    const worker = spawnWorker();
    await worker.ready;
    worker.go();
    const pidFile = path.join(dir, "remote.pid");
    const plan = testPlan("crash", [{ id: "long", kind: "exec", timeoutMs: 60_000, targets: [{ host: "h2", command: `echo $$ > ${shellQuote(pidFile)}; exec sleep 30` }] }]);
    const run = await h.engine.start(plan, operator);
    await waitForRun(h.engine, run.id, (r) => r.steps[0]!.state === "running");
    const deadline = Date.now() + 10_000;
    while (!(fs.existsSync(pidFile) && fs.readFileSync(pidFile, "utf8").trim() !== "") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const remotePid = Number(fs.readFileSync(pidFile, "utf8").trim());
    expect(fs.existsSync(`/proc/${remotePid}`)).toBe(true);
    await h.engine.abort(run.id, operator, "now");
    const aborted = await waitForRun(h.engine, run.id, (r) => r.state === "aborted", 10_000);
    expect(aborted.steps[0]!.error).toMatch(/killed/);
    const goneBy = Date.now() + 5000;
    while (fs.existsSync(`/proc/${remotePid}`) && Date.now() < goneBy) await new Promise((r) => setTimeout(r, 20));
    expect(fs.existsSync(`/proc/${remotePid}`)).toBe(false);
    await worker.stop();
  }, 30_000);

  it("SIGTERM: the worker stops taking jobs and lets the running step finish; another worker goes on", async () => {
    const first = spawnWorker();
    const second = spawnWorker();
    await Promise.all([first.ready, second.ready]);
    first.go();
    const file = path.join(dir, "sigterm.log");
    const plan = testPlan("crash", [
      { id: "slow", kind: "exec", targets: [{ host: "h3", command: `sleep 0.8; echo slow >> ${shellQuote(file)}` }] },
      { id: "next", kind: "exec", targets: [{ host: "h4", command: `echo next >> ${shellQuote(file)}` }] },
    ]);
    const run = await h.engine.start(plan, operator);
    await waitForRun(h.engine, run.id, (r) => r.steps[0]!.state === "running");
    await first.terminate();
    const afterStop = (await h.engine.get(run.id))!;
    expect(afterStop.steps[0]!.state).toBe("succeeded");
    expect(afterStop.steps[1]!.state).toBe("queued");
    second.go();
    const done = await waitForRun(h.engine, run.id, (r) => r.state === "succeeded");
    expect(done.steps.map((s) => s.state)).toEqual(["succeeded", "succeeded"]);
    expect(fs.readFileSync(file, "utf8")).toBe("slow\nnext\n");
    await second.stop();
  }, 30_000);

  it("SIGTERM past the grace period leaves the step to the stalled-job path: the next worker marks it interrupted", async () => {
    const first = spawnWorker();
    const second = spawnWorker();
    await Promise.all([first.ready, second.ready]);
    first.go();
    const plan = testPlan("crash", [{ id: "too-slow", kind: "exec", targets: [{ host: "h2", command: "sleep 4" }] }]);
    const run = await h.engine.start(plan, operator);
    await waitForRun(h.engine, run.id, (r) => r.steps[0]!.state === "running");
    await first.terminate();
    second.go();
    const paused = await waitForRun(h.engine, run.id, isSettled, 15_000);
    expect(paused.state).toBe("paused");
    expect(paused.steps[0]!.state).toBe("interrupted");
    await h.engine.abort(run.id, operator, "now");
    await second.stop();
  }, 30_000);
});
