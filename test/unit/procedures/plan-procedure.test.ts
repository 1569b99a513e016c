import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import type { LeofsCluster } from "../../../src/config";
import { getProcedure, listProcedures } from "../../../src/procedures/catalog";
import type { ProcedureDefinition, StepTemplate } from "../../../src/procedures/model/procedure-definition";
import { computePlanHash } from "../../../src/procedures/planning/plan-hash";
import { planProcedure } from "../../../src/procedures/planning/plan-procedure";
import { renderPlanText } from "../../../src/procedures/planning/render-plan-text";
import { ParamError, PlanValidationError, PreconditionError, UnknownProcedureError } from "../../../src/procedures/procedure-errors";
import { inventoryFrom, lhcbCluster, NOW, prodCluster, SIM_YAML, simCluster } from "./inventory-fixture";

const recover = getProcedure("leofs.recover-manager");

function toy(steps: StepTemplate[]): ProcedureDefinition<{ n?: number | undefined }, LeofsCluster> {
  return { id: "test.toy", kind: "leofs", title: "Toy", summary: "", seed: "none", params: z.object({ n: z.number().int().optional() }).strict(), build: () => steps };
}

describe("planProcedure: the hash binds approvals to exactly this plan", () => {
  it("is deterministic: same inputs, same plan and hash", () => {
    const a = planProcedure(recover, prodCluster(), "prod", { target: "manager-slave" }, NOW);
    const b = planProcedure(recover, prodCluster(), "prod", { target: "manager-slave" }, new Date(NOW.getTime()));
    expect(b).toEqual(a);
    expect(a.planHash).toMatch(/^[0-9a-f]{64}$/);
    expect(computePlanHash(a)).toBe(a.planHash);
  });

  it("changes with the parameters, the topology and the timestamp", () => {
    const base = planProcedure(recover, prodCluster(), "prod", { target: "manager-slave" }, NOW).planHash;
    expect(planProcedure(recover, prodCluster(), "prod", { target: "manager-master" }, NOW).planHash).not.toBe(base);
    expect(planProcedure(recover, prodCluster(), "prod", { target: "manager-slave" }, new Date(NOW.getTime() + 1000)).planHash).not.toBe(base);
    const moved = inventoryFrom(
      fs.readFileSync(path.join(__dirname, "../../../config/inventory.example.yaml"), "utf8").replace("installDir: /usr/local/leofs/current ", "installDir: /opt/leofs "),
    ).clusters.prod!;
    expect(planProcedure(recover, moved, "prod", { target: "manager-slave" }, NOW).planHash).not.toBe(base);
  });

  it("ignores key order (canonical JSON) but not content", () => {
    const plan = planProcedure(recover, prodCluster(), "prod", { target: "manager-slave" }, NOW);
    const reordered = { plannedAt: plan.plannedAt, steps: plan.steps, params: plan.params, procedureId: plan.procedureId, cluster: plan.cluster, clusterKind: plan.clusterKind, procedureTitle: plan.procedureTitle };
    expect(computePlanHash(reordered)).toBe(plan.planHash);
    const tampered = { ...plan, steps: plan.steps.map((s, i) => (i === 6 ? { ...s, destructive: false } : s)) };
    expect(computePlanHash(tampered)).not.toBe(plan.planHash);
  });
});

describe("planProcedure: parameters", () => {
  function paramError(raw: unknown): ParamError {
    try {
      planProcedure(recover, prodCluster(), "prod", raw, NOW);
    } catch (e) {
      if (e instanceof ParamError) return e;
      throw e;
    }
    throw new Error("expected a ParamError");
  }

  it("a wrong value says what is allowed", () => {
    expect(paramError({ target: "manager-2" }).problems).toEqual([
      { field: "target", message: '"manager-2" is not allowed; write one of: manager-slave, manager-master (e.g. target=manager-slave)' },
    ]);
  });
  it("a missing value says how to write it", () => {
    expect(paramError({}).problems).toEqual([{ field: "target", message: "missing; write one of: manager-slave, manager-master (e.g. target=manager-slave)" }]);
  });
  it("an unknown parameter lists the known ones", () => {
    const e = paramError({ target: "manager-slave", force: "yes" });
    expect(e.problems).toEqual([{ field: "force", message: "unknown parameter; this procedure takes target" }]);
    expect(e.message).toBe("invalid parameters for leofs.recover-manager:\n  force: unknown parameter; this procedure takes target");
    expect(e.retryable).toBe(false);
  });
  it("a wrong type says the type", () => {
    expect(() => planProcedure(toy([]), prodCluster(), "prod", { n: "three" }, NOW)).toThrow('n: "three" is not a number; write n=<number>');
  });
});

describe("planProcedure: preconditions, defaults and plan rules", () => {
  it("refuses a procedure of the other cluster kind", () => {
    expect(() => planProcedure(recover, lhcbCluster(), "lhcb", { target: "manager-slave" }, NOW)).toThrow(PreconditionError);
  });

  it("applies defaults per kind", () => {
    const plan = planProcedure(
      toy([
        { id: "a", title: "A", kind: "exec", cite: "c", targets: [{ host: "leofs-m0", command: "true" }] },
        { id: "b", title: "B", kind: "check", cite: "c", targets: [{ host: "leofs-m0", command: "true" }] },
        { id: "c", title: "C", kind: "wait", cite: "c", targets: [], wait: { delayMs: 10_000 } },
        { id: "d", title: "D", kind: "confirm", cite: "c", targets: [], prompt: "Check the logs" },
        { id: "e", title: "E", kind: "exec", cite: "c", destructive: true, targets: [{ host: "leofs-m0", command: "rm x" }] },
      ]),
      prodCluster(),
      "prod",
      {},
      NOW,
    );
    expect(plan.steps.map((s) => [s.id, s.index, s.timeoutMs, s.idempotent, s.destructive, s.onFailure, s.parallel, s.retries.max, s.expect?.type])).toEqual([
      ["a", 0, 300_000, false, false, "pause", null, 0, "exit-zero"],
      ["b", 1, 60_000, true, false, "pause", null, 0, "exit-zero"],
      ["c", 2, 70_000, true, false, "pause", null, 0, undefined],
      ["d", 3, 86_400_000, true, false, "pause", null, 0, undefined],
      ["e", 4, 300_000, false, true, "pause", null, 0, "exit-zero"],
    ]);
    expect(plan.params).toEqual({});
  });

  it("rejects broken plans with every problem listed", () => {
    const build = () =>
      planProcedure(
        toy([
          { id: "a", title: "A", kind: "exec", cite: "c", targets: [{ host: "nowhere", command: "true" }] },
          { id: "a", title: "A2", kind: "check", cite: "", destructive: true, targets: [{ host: "leofs-m0", command: "kill {{pids}}" }] },
          { id: "c", title: "C", kind: "confirm", cite: "c", prompt: " ", targets: [] },
          { id: "d", title: "D", kind: "check", cite: "c", targets: [{ host: "leofs-m0", command: "x" }], captures: [{ name: "p", pattern: "\\d+", valuePattern: "\\d+" }], expect: { type: "stdout-matches", pattern: "(" } },
        ]),
        prodCluster(),
        "prod",
        {},
        NOW,
      );
    expect(build).toThrow(PlanValidationError);
    try {
      build();
    } catch (e) {
      expect((e as PlanValidationError).problems).toEqual([
        "step 1 (a): target host nowhere is not in the cluster's inventory",
        "step 2 (a): duplicate step id",
        "step 2 (a): every step cites the seed section or reference fact it implements",
        "step 2 (a): a check step is read-only and cannot be destructive",
        "step 2 (a): {{pids}} is not captured by an earlier step",
        "step 3 (c): confirm step without a prompt",
        "step 4 (d): expectation pattern /(/ is invalid: Invalid regular expression: /(/: Unterminated group",
        "step 4 (d): capture p pattern has no group 1",
      ]);
    }
  });
});

describe("catalog", () => {
  it("finds procedures by id and lists them by kind", () => {
    expect(getProcedure("leofs.launch").title).toBe("Launch a LeoFS system");
    expect(() => getProcedure("leofs.nope")).toThrow(UnknownProcedureError);
    expect(listProcedures("leofs").map((p) => p.id)).toEqual(["leofs.recover-manager", "leofs.launch", "leofs.storage", "leofs.takeover-manager", "leofs.upgrade"]);
    expect(listProcedures("dirac").map((p) => p.id)).toEqual(["dirac.intervention"]);
    expect(listProcedures().length).toBe(6);
  });

  it("every procedure's every step cites its source", () => {
    const plans = [
      planProcedure(getProcedure("leofs.recover-manager"), simCluster(), "sim", { target: "manager-master" }, NOW),
      planProcedure(getProcedure("leofs.launch"), simCluster(), "sim", { forceStart: "slave" }, NOW),
      ...["attach", "detach", "suspend", "resume"].map((operation) => planProcedure(getProcedure("leofs.storage"), simCluster(), "sim", { operation, node: "storage_1@127.0.0.2" }, NOW)),
      planProcedure(getProcedure("leofs.takeover-manager"), simCluster(), "sim", { replace: "manager-slave", newHost: "s1", newNode: "manager_2@127.0.0.3" }, NOW),
      planProcedure(getProcedure("leofs.upgrade"), prodCluster(), "prod", { target: "all", version: "1.4.4" }, NOW),
      planProcedure(getProcedure("dirac.intervention"), lhcbCluster(), "lhcb", { innodbJournal: true }, NOW),
    ];
    for (const plan of plans) for (const step of plan.steps) expect(step.cite).toMatch(/seed|reference/);
  });
});

describe("renderPlanText", () => {
  it("numbers steps and shows hosts, exact commands, ⚠ marks, approvals, cites and notes", () => {
    const text = renderPlanText(planProcedure(recover, prodCluster(), "prod", { target: "manager-slave" }, NOW));
    expect(text).toContain("Recover a LeoFS manager from its peer's Mnesia (leofs.recover-manager) on prod — target=manager-slave\n18 steps, 3 destructive");
    expect(text).toContain("4. ⚠ Stop manager-slave (manager_1@10.0.0.102) [exec, destructive, not re-runnable]\n   APPROVAL required before this step: Stops manager_1@10.0.0.102 on leofs-m1.");
    expect(text).toContain("   leofs-m1$ /usr/local/leofs/current/leo_manager_1/bin/leo_manager stop\n");
    expect(text).toContain("   copy leofs-m0:/usr/local/leofs/current/leo_manager_0/work/mnesia/127.0.0.1 -> leofs-m1:/usr/local/leofs/current/leo_manager_1/work/mnesia/127.0.0.1 (checksums verified)");
    expect(text).toContain("   cite: seed 000 Case 1 (stop both managers); reference §2 `stop`");
    expect(text).toContain("   note: Stops manager-slave first so that manager-master");
    expect(text).toContain("18. Wait until the status shows no error and every storage node running [wait]\n   poll every 5 s for up to 3 min until");
    expect(text.match(/⚠/g)?.length).toBe(4); // 3 steps + the legend
  });

  it("renders simulator paths with the host root and quoting", () => {
    expect(SIM_YAML).toContain("root: /srv/sim/m0");
    const text = renderPlanText(planProcedure(recover, simCluster(), "sim", { target: "manager-master" }, NOW));
    expect(text).toContain("m0$ d=/srv/sim/m0/usr/local/leofs/current/leo_manager_0/work/mnesia/127.0.0.1; b='/srv/sim/m0/var/backups/my intervene/sim/20240501T102030Z-manager-master-mnesia'; mkdir -p");
  });
});
