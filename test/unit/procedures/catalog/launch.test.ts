import { getProcedure } from "../../../../src/procedures/catalog";
import { planProcedure } from "../../../../src/procedures/planning/plan-procedure";
import { PreconditionError } from "../../../../src/procedures/procedure-errors";
import { evaluateExpectation } from "../../../../src/procedures";
import { inventoryFrom, NOW, prodCluster, SIM_YAML } from "../inventory-fixture";
import { planRows } from "./plan-rows";
import { waitOf } from "../../../helpers/step-fields";

const launch = getProcedure("leofs.launch");
const I = "/usr/local/leofs/current";
const ADM = `leofs-m0$ ${I}/leofs-adm -h 127.0.0.1 -p 10010`;
const startUnlessRunning = (script: string) => `${I}/${script} ping >/dev/null 2>&1 || ${I}/${script} start`;
const startAndWait = (script: string) => `{ ${startUnlessRunning(script)}; } && ${I}/${script} wait_ready`;
const STORAGE = ["storage_0@10.0.0.104", "storage_1@10.0.0.105", "storage_2@10.0.0.106"];

describe("leofs.launch on prod (seed 001, reference §3 launch order)", () => {
  const plan = planProcedure(launch, prodCluster(), "prod", {}, NOW);

  it("starts managers, storage (attached), the storage cluster, then gateways", () => {
    expect(planRows(plan)).toEqual([
      ["start-manager-master", "exec", false, [`leofs-m0$ ${startUnlessRunning("leo_manager_0/bin/leo_manager")}`]],
      ["start-manager-slave", "exec", false, [`leofs-m1$ ${startUnlessRunning("leo_manager_1/bin/leo_manager")}`]],
      ["wait-ready-manager-master", "exec", false, [`leofs-m0$ ${startAndWait("leo_manager_0/bin/leo_manager")}`]],
      ["wait-ready-manager-slave", "exec", false, [`leofs-m1$ ${startAndWait("leo_manager_1/bin/leo_manager")}`]],
      // ping || start: a retry after a partial failure must not trip over nodes already up (`Node is already running!`, exit 1),
      // and restarts a node whose VM died while booting; wait_ready follows start as in the official packaging tests (reference §2).
      ["start-storage-nodes", "exec", false, ["leofs-s0", "leofs-s1", "leofs-s2"].map((h) => `${h}$ ${startAndWait("leo_storage/bin/leo_storage")}`)],
      ["wait-storage-attached", "wait", false, [`${ADM} status`]],
      ["start-storage-cluster", "exec", false, [`${ADM} start`]],
      ["wait-storage-running", "wait", false, [`${ADM} status`]],
      ["start-gateways", "exec", false, [`leofs-g0$ ${startAndWait("leo_gateway/bin/leo_gateway")}`]],
      ["wait-all-running", "wait", false, [`${ADM} status`]],
    ]);
  });

  it("point 9: gives start-and-wait steps the time of wait_ready (120 × (nodetool ready + 1 s), up to 240 s) with margin, and a failure that names `Not ready`", () => {
    for (const id of ["wait-ready-manager-master", "start-storage-nodes", "start-gateways"]) {
      const step = plan.steps.find((s) => s.id === id)!;
      // launch.sh wait_ready: 120 rounds of `escript nodetool ready` (up to ~1 s) + `sleep 1` = up to 240 s (issue 11 point 9).
      expect(step.timeoutMs).toBeGreaterThanOrEqual(240_000 + 30_000);
      expect(step.idempotent).toBe(true);
      expect(evaluateExpectation(step.expect!, { exitCode: 1, stdout: "Not ready after 120 reties\n", stderr: "" }).reason).toBe('stdout includes "Not ready after": "Not ready after 120 reties"');
    }
  });

  it("checks attached before `leofs-adm start` and running after it, treating [ERROR] as failure", () => {
    const attached = plan.steps.find((s) => s.id === "wait-storage-attached")!;
    expect(waitOf(attached)?.poll?.expect).toEqual({
      type: "all",
      of: [{ type: "all", of: [{ type: "exit-zero" }, { type: "no-leofs-error" }] }, { type: "leofs-status", condition: { kind: "nodes-in-state", nodes: STORAGE, states: ["attached", "running"] } }],
    });
    // A relaunch of a cluster that ran before answers `[ERROR] Storage cluster already started` (reference §1): that is success here; any other [ERROR] is not.
    const start = plan.steps.find((s) => s.id === "start-storage-cluster")!;
    const ok = (stdout: string) => evaluateExpectation(start.expect!, { exitCode: 0, stdout, stderr: "" }).ok;
    expect(ok("Generating RING...\r\nGenerated RING\r\nOK  33% - storage_0@10.0.0.104\r\nOK\r\n")).toBe(true);
    expect(ok("[ERROR] Storage cluster already started\r\n")).toBe(true);
    expect(ok("[ERROR] Attached nodes less than # of replicas\r\n")).toBe(false);
    const all = plan.steps.at(-1)!;
    expect(JSON.stringify(waitOf(all)?.poll?.expect)).toContain('"rings-consistent"');
    expect(JSON.stringify(waitOf(all)?.poll?.expect)).toContain('"gateway_0@10.0.0.103"');
  });
});

describe("leofs.launch forceStart (both managers down, the one not terminated last)", () => {
  const plan = planProcedure(launch, prodCluster(), "prod", { forceStart: "slave" }, NOW);

  it("point 7: starts the forced manager with `leo_manager start force_load` behind an approval with a split-brain warning, then the other normally", () => {
    expect(planRows(plan).slice(0, 4).map((r) => [r[0], r[1], r[2], r[3]])).toEqual([
      ["check-managers-stopped", "check", false, ["leofs-m0$ /usr/local/leofs/current/leo_manager_0/bin/leo_manager ping", "leofs-m1$ /usr/local/leofs/current/leo_manager_1/bin/leo_manager ping"]],
      ["force-load-manager-slave", "exec", true, ["leofs-m1$ /usr/local/leofs/current/leo_manager_1/bin/leo_manager start force_load"]],
      ["start-manager-master", "exec", false, ["leofs-m0$ /usr/local/leofs/current/leo_manager_0/bin/leo_manager ping >/dev/null 2>&1 || /usr/local/leofs/current/leo_manager_0/bin/leo_manager start"]],
      ["start-manager-slave", "exec", false, ["leofs-m1$ /usr/local/leofs/current/leo_manager_1/bin/leo_manager ping >/dev/null 2>&1 || /usr/local/leofs/current/leo_manager_1/bin/leo_manager start"]],
    ]);
    const gate = plan.steps[1]!;
    expect(gate.approvalDetail).toMatch(/^SPLIT-BRAIN RISK: manager_1@10.0.0.102 loads its own Mnesia tables as the truth without waiting for manager_0@10.0.0.101\./);
    expect(gate.note).toContain("leo_manager_sup.erl load_tables/1");
    // No Mnesia files are copied by hand any more: force_load exists (reference §0).
    expect(plan.steps.some((s) => s.kind === "copy")).toBe(false);
  });

  it("refuses an unknown forceStart", () => {
    expect(() => planProcedure(launch, prodCluster(), "prod", { forceStart: "both" }, NOW)).toThrow(/forceStart: "both" is not allowed; write one of: master, slave/);
  });
});

describe("leofs.launch preconditions", () => {
  it("cannot start a storage cluster with fewer storage nodes than replicas", () => {
    // The inventory loader refuses replicas > storage nodes, so build such a cluster by hand.
    const base = inventoryFrom(SIM_YAML).clusters.sim!;
    if (base.kind !== "leofs") throw new Error("sim is leofs");
    const tooFew = { ...base, leofs: { ...base.leofs, replicas: 5 } };
    expect(() => planProcedure(launch, tooFew, "sim", {}, NOW)).toThrow(PreconditionError);
    expect(() => planProcedure(launch, tooFew, "sim", {}, NOW)).toThrow(/3 storage node\(s\) but the cluster keeps 5 replicas/);
  });
});
