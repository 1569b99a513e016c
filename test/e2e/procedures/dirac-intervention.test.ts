import { APPROVER, assertRunState, describeRun, stepById, type EngineHarness } from "../../helpers/engine-harness";
import { useSimClusterBed } from "../../helpers/sim-cluster-bed";
import type { SimCluster } from "../../../sim/start-sim-cluster";
import type { DiracSim } from "../../../sim/dirac/start-dirac-sim";

jest.setTimeout(180_000);

// Seed 003 "Intervention on VOBOXes" through the real engine, BullMQ worker and SSH pool, on simulated boxes under real runit.
describe("dirac.intervention on simulated VOBOXes", () => {
  let cluster: SimCluster<DiracSim>;
  let harness: EngineHarness;
  let sim: DiracSim;

  useSimClusterBed({
      kind: "dirac",
      waitBeforeAgents: "1s",
      boxes: [
        { name: "volhcb20", roles: ["agents"] },
        { name: "volhcb18", roles: ["services"], frameworkServer: true },
        { name: "volhcb21", roles: ["databases"], innodbJournal: true },
      ],
    }, {
    ready: (bed) => ({ cluster, sim, harness } = bed),
    abortAfterEach: true,
  });

  function expectAllUpAndInProduction(): void {
    for (const box of sim.boxes) {
      expect(sim.state.maintenance(box.name)).toBeNull();
      expect(sim.state.startupSaveLinks(box.name)).toEqual([]);
      for (const [name, s] of Object.entries(sim.state.componentStatus(box.name))) {
        expect([box.name, name, s.link, s.supervised, s.state]).toEqual([box.name, name, "startup", true, "run"]);
      }
    }
    expect(sim.state.mysqlRunning("volhcb21")).toBe(true);
  }

  it("stops agents, services and MySQL under maintenance, waits for the operator, and starts everything again in order", async () => {
    const pidsBefore = Object.values(sim.state.componentStatus("volhcb18")).map((s) => s.pid);
    const started = await harness.start("dirac.intervention", cluster.clusterName);
    // At the checkpoint "intervention done" everything is down, parked and in maintenance.
    const atDone = await harness.runToEnd(started.id, { stopAtConfirm: (step) => step.id === "confirm-intervention-done", confirmAs: APPROVER, timeoutMs: 120_000 });
    expect(atDone.run.state).toBe("awaiting_confirmation");
    expect(atDone.confirmed).toEqual(["confirm-agents-startup", "confirm-services-startup"]);
    expect(atDone.gates.map((g) => g.stepId)).toEqual(["set-maintenance", "stop-agents", "save-agents-links", "stop-services", "save-services-links", "stop-databases"]);
    for (const box of sim.boxes) {
      expect(sim.state.maintenance(box.name)).toMatchObject({ reason: "power stop" });
      expect(sim.state.startupLinks(box.name)).toEqual([]);
      // runsvdir lets go of a parked component's runsv at its next scan: "down" is what counts.
      for (const [name, s] of Object.entries(sim.state.componentStatus(box.name))) expect([box.name, name, s.link, s.state === "run"]).toEqual([box.name, name, "startup-save", false]);
    }
    expect(sim.state.mysqlRunning("volhcb21")).toBe(false);

    const { run, confirmed } = await harness.runToEnd(started.id, { confirmAs: APPROVER, timeoutMs: 120_000 });
    assertRunState(run, "succeeded");
    expect(confirmed).toEqual(["confirm-intervention-done"]);
    expectAllUpAndInProduction();
    // Restarted, not left alone: new processes.
    expect(Object.values(sim.state.componentStatus("volhcb18")).map((s) => s.pid)).not.toEqual(pidsBefore);
  });

  it("an ERROR logged by the framework server after the restart pauses the run with the line shown; once the operator has dealt with it, Retry checks again and the run succeeds", async () => {
    const started = await harness.start("dirac.intervention", cluster.clusterName);
    let injected = "";
    // The line must be newer than the restart the check measures from: logged once the links are back.
    const unsubscribe = await harness.engine.subscribe((event) => {
      if (event.type === "step.finished" && event.run.id === started.id && event.run.plan.steps[event.stepIndex]?.id === "restore-links-volhcb18" && injected === "") {
        injected = sim.fault.injectLogError("volhcb18", "Configuration_Server", "Cannot connect to the MySQL server");
      }
    });
    const paused = await harness.runToEnd(started.id, { timeoutMs: 120_000 });
    await unsubscribe();

    assertRunState(paused.run, "paused");
    // Once seen pausing one step early (wait-running): parked links restored before runsvdir let go of them
    // (test/sim/dirac/link-moved-back-early.test.ts). Should it recur, say which step and why.
    if (paused.run.cursor !== stepById(paused.run, "check-logs-volhcb18").step.index) throw new Error(`paused at the wrong step:\n${describeRun(paused.run)}`);
    expect(paused.run.cursor).toBe(stepById(paused.run, "check-logs-volhcb18").step.index);
    const check = stepById(paused.run, "check-logs-volhcb18");
    expect(check.record.state).toBe("failed");
    expect(injected).toMatch(/ Configuration\/Server ERROR: Cannot connect to the MySQL server$/);
    expect(check.record.outputs[0]?.tail).toContain(injected);
    expect(sim.state.maintenance("volhcb18")).not.toBeNull();

    // The operator looked at the line (it stays in the audited output) and fixed the cause: Retry checks only newer lines.
    const { run } = await harness.retryToEnd(started.id, { timeoutMs: 120_000 });

    assertRunState(run, "succeeded");
    const rechecked = stepById(run, "check-logs-volhcb18").record;
    expect(rechecked.state).toBe("succeeded");
    expect(rechecked.attempt).toBeGreaterThan(check.record.attempt);
    expectAllUpAndInProduction();
  });
});
