import { getProcedure } from "../../../src/procedures/catalog";
import { evaluateExpectation } from "../../../src/procedures/expectations/evaluate-expectation";
import { planProcedure } from "../../../src/procedures/planning/plan-procedure";
import { simCluster, NOW } from "../../unit/procedures/inventory-fixture";
import { leofsAdm, startLeofsSim, type LeofsSim } from "../../../sim/leofs/start-leofs-sim";

const S = (i: number): string => `storage_${i}@127.0.0.${12 + i}`;

/**
 * Issue 11 point 8. A storage node whose RPC fails during `rebalance` prints
 * `ERROR  <n>% - <node>` while the manager's reply still ends in `OK`
 * (leo-project/leofs 1.4.4 apps/leo_manager/src/leo_manager_api.erl:
 * output_message_to_console/3 and rebalance_4_loop). leofs-adm exits 0, so
 * exit code and `[ERROR]` checks pass: the rebalance step must read the
 * per-node lines and fail, naming the node.
 */
describe("point 8: rebalance per-node errors under an overall OK", () => {
  let sim: LeofsSim;
  const adm = (...args: string[]) => sim.exec("leofs-m0", leofsAdm(...args));

  beforeAll(async () => {
    sim = await startLeofsSim({ storage: 4, gateways: 1, replicas: 2, started: true, waitReady: { retries: 3, intervalSeconds: 0.05 } });
  });
  afterAll(async () => {
    await sim.stop();
  });

  it("the sim prints ERROR for the node it cannot reach and still answers OK; the procedure's rebalance step fails naming it", async () => {
    expect((await adm("detach", S(3))).stdout).toBe("OK\r\n");
    // storage_1 stays `running` in the member table but its host's epmd is gone, so the manager's RPC
    // to it fails. The sim's epmd was started by this test's sim: found by pid among the sim's own.
    const [epmd] = await sim.state.epmdPids("leofs-s1");
    expect(epmd).toBeDefined();
    process.kill(epmd!, "SIGKILL");
    const rebalance = await adm("rebalance");
    expect(rebalance.code).toBe(0);
    const lines = rebalance.stdout.split("\r\n");
    expect(lines.slice(0, 3)).toEqual(["Generating rebalance-list...", "Generated rebalance-list", "Distributing rebalance-list to the storage nodes"]);
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^ERROR {1,3}\\d{1,3}% - ${S(1).replace(/\./g, "\\.")}$`)));
    expect(rebalance.stdout.endsWith("OK\r\n")).toBe(true);

    const plan = planProcedure(getProcedure("leofs.storage"), simCluster(), "sim", { operation: "detach", node: "storage_1@127.0.0.2" }, NOW);
    const step = plan.steps.find((s) => s.id === "rebalance");
    expect(step?.expect).toBeDefined();
    const outcome = evaluateExpectation(step!.expect!, { exitCode: rebalance.code, stdout: rebalance.stdout, stderr: rebalance.stderr });
    expect(outcome.ok).toBe(false);
    expect(outcome.reason).toContain(`${S(1)} (ERROR at`);
  });
});
