import fs from "node:fs";
import path from "node:path";
import { getProcedure } from "../../../src/procedures/catalog";
import { extractCaptures, resolveCommand } from "../../../src/procedures/expectations/captures";
import type { PlannedStep } from "../../../src/procedures/model/step";
import { planProcedure } from "../../../src/procedures/planning/plan-procedure";
import { inventoryFrom, NOW } from "../../unit/procedures/inventory-fixture";
import { startDiracSim, type DiracSim } from "../../../sim/dirac/start-dirac-sim";

jest.setTimeout(150_000);

const AGENTS = "volhcb35";
const PILOT = "WorkloadManagement_PilotStatusAgent";
const FTS = "DataManagement_FTS3Agent";

/**
 * Issue 11 point 6. DIRAC gives each agent a runit control/t that touches
 * <instance>/control/<System>/<Agent>/stop_agent and exits 0
 * (DIRACGrid/DIRAC ComponentInstaller.py), so `runsvctrl d` sends no TERM
 * (runit runsv custom control) and the agent ends after its current cycle
 * (AgentReactor.py go/__checkControlDir). The intervention lets them finish
 * for agentCycles × dirac.agentPollingTime, printing progress, lists what is
 * left, and TERMs that only in a separate, approved step, which the engine
 * skips when nothing is left.
 */
describe("point 6: DIRAC agents stop at the end of their cycle", () => {
  let sim: DiracSim;
  let step: (id: string) => PlannedStep;
  beforeAll(async () => {
    sim = await startDiracSim({
      boxes: [
        { name: AGENTS, roles: ["agents"], components: [PILOT, FTS] },
        { name: "volhcb36", roles: ["services"], frameworkServer: true, components: ["Framework_SystemAdministrator"] },
      ],
      // 2 cycles of 10 s: room for a loaded machine, well under the busy agent's 45 s cycle.
      agentPollingTime: "10s",
      firstAddress: 95,
    });
    const inventory = inventoryFrom(fs.readFileSync(sim.inventoryPath, "utf8"), sim.inventoryPath);
    const cluster = inventory.clusters[sim.cluster];
    if (cluster?.kind !== "dirac") throw new Error("no dirac cluster in the sim inventory");
    const plan = planProcedure(getProcedure("dirac.intervention"), cluster, sim.cluster, { agentCycles: 2 }, NOW);
    step = (id) => {
      const found = plan.steps.find((s) => s.id === id);
      if (found === undefined) throw new Error(`no step ${id}`);
      return found;
    };
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it("waits 2 cycles with progress, lists the agent still in its cycle, and the approved TERM step stops only that one", async () => {
    const ids = ["stop-agents", "wait-agents-cycle-end", "term-agents-left", "wait-agents-down"];
    expect(ids.map((id) => step(id).id)).toEqual(ids);
    expect(step("term-agents-left")).toMatchObject({ destructive: true, runIf: { anyCapture: ["still_running_volhcb35"] } });
    expect(step("wait-agents-cycle-end").title).toContain("up to 20 s");

    // FTS3Agent works 30 s per cycle; give it a fresh cycle with that knob (t: DIRAC's restart).
    sim.fault.busyCycle(AGENTS, FTS, 45);
    const before = sim.state.componentStatus(AGENTS)[FTS]!.pid;
    expect((await sim.exec(AGENTS, `runsvctrl t ${path.join(sim.box(AGENTS).startupDir, FTS)}`)).code).toBe(0);
    // The old agent notices stop_agent within a nap, runsv starts a new one: seconds, but more on a loaded CI machine.
    await sim.waitFor(() => sim.state.componentStatus(AGENTS)[FTS]?.state === "run" && sim.state.componentStatus(AGENTS)[FTS]?.pid !== before, "FTS3Agent in a fresh cycle", 60_000);
    const busyPid = sim.state.componentStatus(AGENTS)[FTS]!.pid!;

    expect((await sim.exec(AGENTS, step("stop-agents").targets[0]!.command!)).code).toBe(0);
    const waited = await sim.exec(AGENTS, step("wait-agents-cycle-end").targets[0]!.command!);
    expect(waited.code).toBe(0);
    expect(waited.stdout).toMatch(/^\d still finishing their cycle after \d+ s of 20 s: /m);
    expect(waited.stdout).toContain(`still running: ${path.join(sim.box(AGENTS).startupDir, FTS)} pid ${busyPid}`);
    expect(sim.state.componentStatus(AGENTS)[PILOT]?.state).toBe("down");
    expect(sim.state.componentStatus(AGENTS)[FTS]).toMatchObject({ state: "run", gotTerm: false });

    const captured = extractCaptures(step("wait-agents-cycle-end").captures!, waited.stdout);
    expect(captured).toEqual({ ok: true, values: { still_running_volhcb35: [String(busyPid)] } });
    if (!captured.ok) return;
    const term = await sim.exec(AGENTS, resolveCommand(step("term-agents-left").targets[0]!.command!, captured.values));
    expect(term).toEqual({ code: 0, stdout: `TERM sent to ${busyPid}\n`, stderr: "" });
    await sim.waitFor(() => sim.state.componentStatus(AGENTS)[FTS]?.state === "down", "FTS3Agent down after the TERM");

    // A pid that is no longer an agent (here: this test's own shell) is left alone.
    const stranger = await sim.exec(AGENTS, resolveCommand(step("term-agents-left").targets[0]!.command!, { still_running_volhcb35: ["1"] }));
    expect(stranger.stdout).toBe("1 is gone or no longer a DIRAC component: left alone\n");
    sim.fault.clear(AGENTS);
  });

  it("agents that end by themselves: the wait says so at once and captures nothing, so the TERM step is skipped", async () => {
    sim.fault.clear(AGENTS);
    const dir = sim.box(AGENTS).startupDir;
    // Fresh agents whatever the test before left behind: KILL (runsv restarts them at once, without the knob).
    const before = sim.state.componentStatus(AGENTS)[FTS]?.pid;
    expect((await sim.exec(AGENTS, `runsvctrl u ${dir}/* && runsvctrl k ${dir}/*`)).code).toBe(0);
    await sim.waitFor(() => sim.state.componentStatus(AGENTS)[FTS]?.state === "run" && sim.state.componentStatus(AGENTS)[FTS]?.pid !== before, "fresh agents", 60_000);
    await sim.waitUntilUp(AGENTS);
    expect((await sim.exec(AGENTS, step("stop-agents").targets[0]!.command!)).code).toBe(0);
    const waited = await sim.exec(AGENTS, step("wait-agents-cycle-end").targets[0]!.command!);
    expect(waited.stdout).toMatch(/every component is down after \d+ s\n$/);
    expect(extractCaptures(step("wait-agents-cycle-end").captures!, waited.stdout)).toEqual({ ok: true, values: { still_running_volhcb35: [] } });
  });
});
