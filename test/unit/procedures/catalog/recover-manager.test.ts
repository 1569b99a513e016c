import { getProcedure } from "../../../../src/procedures/catalog";
import { evaluateExpectation } from "../../../../src/procedures/expectations/evaluate-expectation";
import { extractCaptures, resolveCommand } from "../../../../src/procedures/expectations/captures";
import { planProcedure } from "../../../../src/procedures/planning/plan-procedure";
import { NOW, prodCluster, simCluster } from "../inventory-fixture";
import { planRows } from "./plan-rows";
import { moveIntoBackup } from "../../../../src/procedures/leofs/move-into-backup";
import { waitOf, copyOf } from "../../../helpers/step-fields";

/** What follows the quoted `d=…; b=…;` in a refusing move (test/unit/procedures/move-into-backup.test.ts runs it). */
const MOVE_BODY = moveIntoBackup("/d", "/b", "refuse").replace("d=/d; b=/b; ", "");

const recover = getProcedure("leofs.recover-manager");
const M0 = "/usr/local/leofs/current/leo_manager_0";
const M1 = "/usr/local/leofs/current/leo_manager_1";
const ADM = "leofs-m0$ /usr/local/leofs/current/leofs-adm -h 127.0.0.1 -p 10010";
const BACKUP = "/var/backups/intervene/prod/20240501T102030Z-manager-slave-mnesia";
const startUnlessRunning = (dir: string) => `${dir}/bin/leo_manager ping >/dev/null 2>&1 || ${dir}/bin/leo_manager start`;
const digest = (dir: string) => `cd ${dir} && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum | sha256sum | cut -d ' ' -f 1`;

describe("leofs.recover-manager target=manager-slave on prod (seed 000 Case 1)", () => {
  const plan = planProcedure(recover, prodCluster(), "prod", { target: "manager-slave" }, NOW);

  it("runs this exact sequence: preflight, stop slave then master, back up, copy, verify, start both, verify", () => {
    expect(planRows(plan)).toEqual([
      ["preflight-status", "check", false, [`${ADM} status`]],
      ["ping-manager-master", "check", false, [`leofs-m0$ ${M0}/bin/leo_manager ping`]],
      ["ping-manager-slave", "check", false, [`leofs-m1$ ${M1}/bin/leo_manager ping`]],
      ["stop-manager-slave", "exec", true, [`leofs-m1$ ${M1}/bin/leo_manager stop`]],
      ["stop-manager-master", "exec", true, [`leofs-m0$ ${M0}/bin/leo_manager stop`]],
      ["check-managers-stopped", "check", false, [`leofs-m0$ ${M0}/bin/leo_manager ping`, `leofs-m1$ ${M1}/bin/leo_manager ping`]],
      ["backup-manager-slave-mnesia", "exec", true, [`leofs-m1$ ${moveIntoBackup(`${M1}/work/mnesia/127.0.0.1`, BACKUP, "refuse")}`]],
      ["verify-manager-slave-mnesia-backup", "check", false, [`leofs-m1$ ls -A ${BACKUP}`]],
      ["copy-manager-master-mnesia", "copy", false, ["leofs-m1"]],
      ["chown-manager-slave-mnesia", "exec", false, [`leofs-m1$ chown -R leofs:leofs ${M1}/work/mnesia/127.0.0.1`]],
      ["digest-manager-master-mnesia", "check", false, [`leofs-m0$ test -n "$(ls -A ${M0}/work/mnesia/127.0.0.1)" && ${digest(`${M0}/work/mnesia/127.0.0.1`)}`]],
      ["compare-manager-slave-mnesia", "check", false, [`leofs-m1$ digest=$(${digest(`${M1}/work/mnesia/127.0.0.1`)}) && echo "$digest" && test "$digest" = {{source_mnesia_digest}}`]],
      ["start-manager-master", "exec", false, [`leofs-m0$ ${startUnlessRunning(M0)}`]],
      ["start-manager-slave", "exec", false, [`leofs-m1$ ${startUnlessRunning(M1)}`]],
      // Retry of a failed wait starts the manager again when it does not answer ping (its VM died while booting).
      ["wait-ready-manager-master", "exec", false, [`leofs-m0$ { ${startUnlessRunning(M0)}; } && ${M0}/bin/leo_manager wait_ready`]],
      ["wait-ready-manager-slave", "exec", false, [`leofs-m1$ { ${startUnlessRunning(M1)}; } && ${M1}/bin/leo_manager wait_ready`]],
      ["verify-managers-answer", "check", false, [`leofs-m0$ ${M0}/bin/leo_manager ping`, `leofs-m1$ ${M1}/bin/leo_manager ping`]],
      ["verify-status", "wait", false, [`${ADM} status`]],
    ]);
  });

  it("copies the master's Mnesia directory onto the slave's, and gates every destructive step with a reason", () => {
    expect(copyOf(plan.steps[8])).toEqual({ fromHost: "leofs-m0", fromPath: `${M0}/work/mnesia/127.0.0.1`, toHost: "leofs-m1", toPath: `${M1}/work/mnesia/127.0.0.1` });
    for (const step of plan.steps.filter((s) => s.destructive)) {
      // Only the move into the backup can run again (issue 11 point 12); stops and copies over cannot.
      expect(step.idempotent).toBe(step.id === "backup-manager-slave-mnesia");
      expect(step.approvalDetail).toEqual(expect.any(String));
    }
  });

  it("starts both managers in re-runnable steps and calls a wait that ends in `Not ready after` a failure that says so", () => {
    for (const id of ["start-manager-master", "start-manager-slave", "wait-ready-manager-master", "wait-ready-manager-slave"]) {
      expect(plan.steps.find((s) => s.id === id)?.idempotent).toBe(true);
    }
    const wait = plan.steps.find((s) => s.id === "wait-ready-manager-slave")!;
    expect(wait.cite).toMatch(/reference §2 \(`start` then `wait_ready`, as the official packaging tests run them/);
    expect(evaluateExpectation(wait.expect!, { exitCode: 1, stdout: "Not ready after 120 reties\n", stderr: "" })).toEqual({ ok: false, reason: 'stdout includes "Not ready after": "Not ready after 120 reties"' });
    expect(evaluateExpectation(wait.expect!, { exitCode: 1, stdout: "", stderr: "" })).toEqual({ ok: false, reason: "exit code 1, expected 0" });
    expect(evaluateExpectation(wait.expect!, { exitCode: 0, stdout: "", stderr: "" }).ok).toBe(true);
  });

  it("accepts a slave that is already down but insists both are down before touching Mnesia", () => {
    const stopSlave = plan.steps.find((s) => s.id === "stop-manager-slave")!;
    expect(evaluateExpectation(stopSlave.expect!, { exitCode: 1, stdout: "Cannot connect Node 'manager_1@10.0.0.102'\n", stderr: "" }).ok).toBe(true);
    const down = plan.steps.find((s) => s.id === "check-managers-stopped")!;
    expect(evaluateExpectation(down.expect!, { exitCode: 0, stdout: "pong\n", stderr: "" }).ok).toBe(false);
  });

  it("compares the copy through a captured digest that only a hex string can fill", () => {
    const source = plan.steps.find((s) => s.id === "digest-manager-master-mnesia")!;
    const hex = "ab".repeat(32);
    const captured = extractCaptures(source.captures!, `${hex}\n`);
    expect(captured).toEqual({ ok: true, values: { source_mnesia_digest: [hex] } });
    expect(extractCaptures(source.captures!, "$(reboot)\n")).toEqual({ ok: true, values: { source_mnesia_digest: [] } });
    const compare = plan.steps.find((s) => s.id === "compare-manager-slave-mnesia")!;
    expect(resolveCommand(compare.targets[0]!.command!, captured.ok ? captured.values : {})).toMatch(new RegExp(`test "\\$digest" = ${hex}$`));
  });

  it("verifies the end state with the parsed status", () => {
    const verify = plan.steps.at(-1)!;
    expect(waitOf(verify)?.poll?.expect).toEqual({
      type: "all",
      of: [
        { type: "all", of: [{ type: "exit-zero" }, { type: "no-leofs-error" }] },
        { type: "leofs-status", condition: { kind: "nodes-in-state", nodes: ["storage_0@10.0.0.104", "storage_1@10.0.0.105", "storage_2@10.0.0.106"], states: ["running"] } },
      ],
    });
  });
});

describe("leofs.recover-manager target=manager-master on a rooted simulator inventory", () => {
  const plan = planProcedure(recover, simCluster(), "sim", { target: "manager-master" }, NOW);
  const rows = planRows(plan);

  it("asks the healthy slave's console on its own host, stops the master first, and copies slave → master", () => {
    expect(rows[0]).toEqual(["preflight-status", "check", false, ["m1$ /srv/sim/m1/usr/local/leofs/current/leofs-adm -h 127.0.0.1 -p 10011 status"]]);
    expect(rows.slice(3, 5).map((r) => r[0])).toEqual(["stop-manager-master", "stop-manager-slave"]);
    expect(plan.steps.find((s) => s.kind === "copy")?.copy).toEqual({
      fromHost: "m1",
      fromPath: "/srv/sim/m1/usr/local/leofs/current/leo_manager_1/work/mnesia/127.0.0.1",
      toHost: "m0",
      toPath: "/srv/sim/m0/usr/local/leofs/current/leo_manager_0/work/mnesia/127.0.0.1",
    });
  });

  it("quotes a backup dir with a space, under the host root", () => {
    expect(rows.find((r) => r[0] === "backup-manager-master-mnesia")?.[3]).toEqual([
      `m0$ d=/srv/sim/m0/usr/local/leofs/current/leo_manager_0/work/mnesia/127.0.0.1; b='/srv/sim/m0/var/backups/my intervene/sim/20240501T102030Z-manager-master-mnesia'; ${MOVE_BODY}`,
    ]);
  });
});
