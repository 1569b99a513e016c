import path from "node:path";
import { getProcedure } from "../../../src/procedures/catalog";
import { evaluateExpectation } from "../../../src/procedures/expectations/evaluate-expectation";
import { planProcedure } from "../../../src/procedures/planning/plan-procedure";
import { lhcbCluster, NOW } from "../../unit/procedures/inventory-fixture";
import { startDiracSim, type DiracSim } from "../../../sim/dirac/start-dirac-sim";
import { waitOf } from "../../helpers/step-fields";

jest.setTimeout(60_000);

const BOX = "volhcb31";
const SYSADMIN = "Framework_SystemAdministrator";

/**
 * Real runit (void-linux/runit src/runsvdir.c runsvdir()): a service whose
 * link left the directory is TERMed at runsvdir's next scan, and services are
 * known by the inode of their directory. A link moved back before that scan
 * leaves the old runsv, told `d`, in charge: the component stays down for
 * good. This is why the intervention's "verify stopped" step also waits until
 * runsvdir has let go of every parked link (and what made the DIRAC e2e
 * pause at wait-running when the steps between parking and restoring ran fast).
 */
describe("a startup link moved back before runsvdir's next scan", () => {
  let sim: DiracSim;
  beforeAll(async () => {
    sim = await startDiracSim({ boxes: [{ name: BOX, roles: ["services"], components: [SYSADMIN] }], firstAddress: 70 });
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it("leaves the component down under its old runsv, and the verify step refuses to pass until runsvdir has let go", async () => {
    const box = sim.box(BOX);
    const link = path.join(box.startupDir, SYSADMIN);
    const parked = path.join(box.startupSaveDir, SYSADMIN);
    expect((await sim.exec(BOX, `runsvctrl d ${link}`)).code).toBe(0);
    await sim.waitFor(() => sim.state.componentStatus(BOX)[SYSADMIN]?.state === "down", "the component down");

    // Parked and at once back, in one command: no runsvdir scan can fall in between.
    expect((await sim.exec(BOX, `mkdir -p ${box.startupSaveDir} && mv ${link} ${parked} && runsvstat ${parked} 2>&1; mv ${parked} ${link}`)).code).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const after = await sim.exec(BOX, `runsvstat ${link}`);
    expect(after.stdout).toMatch(/: down \d+ seconds, normally up\n$/);

    // What the procedure's verify step sees right after parking: a runsv still supervises, so it must not pass yet.
    const plan = planProcedure(getProcedure("dirac.intervention"), lhcbCluster(), "lhcb", {}, NOW);
    const expectation = waitOf(plan.steps.find((s) => s.id === "verify-services-stopped"))?.poll?.expect;
    if (expectation === undefined) throw new Error("the plan has no verify-services-stopped poll");
    expect(evaluateExpectation(expectation, { exitCode: 0, stdout: `${parked}: down 3 seconds, normally up\n`, stderr: "" }).ok).toBe(false);
    expect(evaluateExpectation(expectation, { exitCode: 0, stdout: `runsvstat: warning: ${parked}: runsv not running.\n`, stderr: "" }).ok).toBe(true);

    // Recovery for this test: bring it up again under the runsv that kept it.
    expect((await sim.exec(BOX, `runsvctrl u ${link}`)).code).toBe(0);
    await sim.waitFor(() => sim.state.componentStatus(BOX)[SYSADMIN]?.state === "run", "the component up again");
  });
});
