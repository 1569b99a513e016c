import fs from "node:fs";
import path from "node:path";
import type { Actor } from "../../../src/jobs";
import { isSettled, testPlan, waitForRun, type Harness } from "./helpers/jobs-harness";
import { runCrashTrials, useCrashBed } from "./helpers/crash-trials";
import { shellQuote } from "../../../src/util/shell-quote";
import type { WorkerProcess } from "./helpers/worker-process";

const TRIALS = Number(process.env.CRASH_TRIALS ?? 20);
const operator: Actor = { userId: "UOPS" };

describe("worker crash at a random point of a run", () => {
  const bed = useCrashBed("intervene-crash-");
  let h: Harness;
  let dir: string;
  const spawnWorker = (): WorkerProcess => bed.spawnWorker();
  beforeAll(() => {
    h = bed.harness();
    dir = bed.dir();
  });

  it(`${TRIALS} SIGKILLs of the worker process: no line written twice, no run lost`, async () => {
    const figures = await runCrashTrials(h, dir, spawnWorker, TRIALS);
    console.log(`crash figures over ${TRIALS} trials: ${JSON.stringify({ ...figures, recoveriesMs: undefined })}`);
    expect({ lost: figures.lost, twice: figures.twice, missing: figures.missing, strayLines: figures.strayLines, pausedNotInterrupted: figures.pausedNotInterrupted, locksLeft: figures.locksLeft }).toEqual({ lost: 0, twice: 0, missing: 0, strayLines: 0, pausedNotInterrupted: 0, locksLeft: 0 });
    expect(figures.succeeded).toBe(TRIALS);
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
