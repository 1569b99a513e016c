import { getProcedure } from "../../../../src/procedures/catalog";
import { planProcedure } from "../../../../src/procedures/planning/plan-procedure";
import { ParamError } from "../../../../src/procedures/procedure-errors";
import { NOW, prodCluster, simCluster } from "../inventory-fixture";
import { planRows } from "./plan-rows";

const storage = getProcedure("leofs.storage");
const ADM = "m0$ /srv/sim/m0/usr/local/leofs/current/leofs-adm -h 127.0.0.1 -p 10010";
const S1 = "s0$ /srv/sim/s0/usr/local/leofs/current/leo_storage_1/bin/leo_storage";
const plan = (operation: string) => planProcedure(storage, simCluster(), "sim", { operation, node: "storage_1@127.0.0.2" }, NOW);

describe("leofs.storage (seed 001 operation flow, reference §3)", () => {
  it("attach: starts the node (attach is not a leofs-adm command), waits for attached, rebalances, waits for one ring", () => {
    const p = plan("attach");
    expect(planRows(p)).toEqual([
      ["check-not-member", "check", false, [`${ADM} status`]],
      ["start-node", "exec", false, [`${S1} ping >/dev/null 2>&1 || ${S1.slice("s0$ ".length)} start`]],
      ["wait-attached", "wait", false, [`${ADM} status`]],
      ["check-rebalance-allowed", "check", false, [`${ADM} status`]],
      ["rebalance", "exec", true, [`${ADM} rebalance`]],
      ["wait-all-running", "wait", false, [`${ADM} status`]],
    ]);
    expect(p.steps[1]?.note).toMatch(/`attach` is not a leofs-adm command/);
    expect(p.steps[3]?.expect).toEqual({
      type: "all",
      of: [{ type: "all", of: [{ type: "exit-zero" }, { type: "no-leofs-error" }] }, { type: "leofs-status", condition: { kind: "operation-allowed", operation: "rebalance" } }],
    });
  });

  it("detach: checks the manager's conditions, detaches, rebalances, waits until the node is gone", () => {
    expect(planRows(plan("detach"))).toEqual([
      ["check-detach-allowed", "check", false, [`${ADM} status`]],
      ["detach", "exec", true, [`${ADM} detach storage_1@127.0.0.2`]],
      ["wait-detached", "wait", false, [`${ADM} status`]],
      ["check-rebalance-allowed", "check", false, [`${ADM} status`]],
      ["rebalance", "exec", true, [`${ADM} rebalance`]],
      ["wait-removed", "wait", false, [`${ADM} status`]],
    ]);
  });

  it("suspend: suspends, then stops the node and checks it stays suspended", () => {
    expect(planRows(plan("suspend"))).toEqual([
      ["check-suspend-allowed", "check", false, [`${ADM} status`]],
      ["suspend", "exec", true, [`${ADM} suspend storage_1@127.0.0.2`]],
      ["wait-suspended", "wait", false, [`${ADM} status`]],
      ["stop-node", "exec", true, [`${S1} stop`]],
      ["check-node-down", "check", false, [`${S1} ping`]],
      ["check-still-suspended", "check", false, [`${ADM} status`]],
    ]);
  });

  it("resume: starts the node unless it runs, waits ready, resumes, waits for running", () => {
    const p = plan("resume");
    expect(planRows(p)).toEqual([
      ["check-resume-allowed", "check", false, [`${ADM} status`]],
      ["start-node", "exec", false, [`${S1} ping >/dev/null 2>&1 || /srv/sim/s0/usr/local/leofs/current/leo_storage_1/bin/leo_storage start`]],
      ["wait-ready", "exec", false, [`s0$ { /srv/sim/s0/usr/local/leofs/current/leo_storage_1/bin/leo_storage ping >/dev/null 2>&1 || /srv/sim/s0/usr/local/leofs/current/leo_storage_1/bin/leo_storage start; } && /srv/sim/s0/usr/local/leofs/current/leo_storage_1/bin/leo_storage wait_ready`]],
      ["resume", "exec", false, [`${ADM} resume storage_1@127.0.0.2`]],
      ["wait-running", "wait", false, [`${ADM} status`]],
    ]);
    expect(p.steps[1]?.idempotent).toBe(true);
  });

  it("an unknown node is a parameter error listing the valid nodes", () => {
    let error: unknown;
    try {
      planProcedure(storage, prodCluster(), "prod", { operation: "detach", node: "storage_9@10.0.0.109" }, NOW);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ParamError);
    expect((error as ParamError).problems).toEqual([
      { field: "node", message: "storage_9@10.0.0.109 is not a storage node of prod; write one of: storage_0@10.0.0.104, storage_1@10.0.0.105, storage_2@10.0.0.106" },
    ]);
  });

  it("chat text that is not a node name never reaches planning", () => {
    expect(() => planProcedure(storage, prodCluster(), "prod", { operation: "detach", node: "storage_0@10.0.0.104;reboot" }, NOW)).toThrow(
      /node: "storage_0@10.0.0.104;reboot": write a storage node as name@host/,
    );
    expect(() => planProcedure(storage, prodCluster(), "prod", { operation: "attach-all", node: "storage_0@10.0.0.104" }, NOW)).toThrow(
      /operation: "attach-all" is not allowed; write one of: attach, detach, suspend, resume/,
    );
  });
});
