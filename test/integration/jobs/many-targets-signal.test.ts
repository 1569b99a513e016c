import type { Actor } from "../../../src/jobs";
import { useCrashBed } from "./helpers/crash-trials";
import { HOSTS, isSettled, testPlan, waitForRun } from "./helpers/jobs-harness";

const requester: Actor = { userId: "UREQ" };

jest.setTimeout(60_000);

/**
 * A step's targets share the step's abort signal, and each exec in flight
 * listens on it (so that abort `now` kills its command). Past 10 listeners
 * Node printed "MaxListenersExceededWarning: Possible EventTarget memory leak
 * detected" on the worker's stderr, once per such step: seen in the bench's
 * fan-out profile (1 step on 100 hosts, 20 at a time), where formatting it
 * also cost CPU. The listeners are no leak: each is removed when its command
 * ends, and their number is bounded by the step's parallel limit. The worker
 * runs in its own process here, as in production, so its stderr is what an
 * operator would read.
 */
describe("a step with more targets in flight than Node's default listener limit", () => {
  const bed = useCrashBed("intervene-many-targets-", { c1: "{}" });

  it("runs 12 targets at once, every one to its end, and the worker warns of no listener leak", async () => {
    const h = bed.harness();
    const worker = bed.spawnWorker();
    await worker.ready;
    worker.go();
    // 4 per host: the worker's default SSH slots per host, so all 12 are in flight together.
    const targets = HOSTS.flatMap((host) => [0, 1, 2, 3].map((i) => ({ host, command: `sleep 0.5; echo ${host}-${i}` })));
    const run = await h.engine.start(testPlan("c1", [{ id: "fan-out", kind: "exec", parallel: { limit: 12 }, targets }]), requester);
    const done = await waitForRun(h.engine, run.id, isSettled);
    expect(done.state).toBe("succeeded");
    expect(done.steps[0]!.outputs.map((o) => o.tail.trim()).sort()).toEqual(HOSTS.flatMap((host) => [0, 1, 2, 3].map((i) => `${host}-${i}`)).sort());
    await worker.stop();
    expect(worker.stderr()).not.toContain("MaxListenersExceededWarning");
  });
});
