import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { DiracCluster } from "../../../../src/config";
import { getProcedure } from "../../../../src/procedures/catalog";
import { extractCaptures, resolveCommand } from "../../../../src/procedures/expectations/captures";
import { evaluateExpectation } from "../../../../src/procedures/expectations/evaluate-expectation";
import { planProcedure } from "../../../../src/procedures/planning/plan-procedure";
import { renderPlanText } from "../../../../src/procedures/planning/render-plan-text";
import { ParamError } from "../../../../src/procedures/procedure-errors";
import { inventoryFrom, lhcbCluster, NOW } from "../inventory-fixture";
import { planRows } from "./plan-rows";
import { waitOf } from "../../../helpers/step-fields";

const intervention = getProcedure("dirac.intervention");

/** A simulator-style DIRAC setup: every box has a host root; one box has agents and services. */
const DIRAC_SIM_YAML = `
version: 1
defaults:
  approval:
    requesters: { users: [U0OPERATOR] }
    approvers: { users: [U0APPROVER1] }
clusters:
  dsim:
    kind: dirac
    channel: C0DSIM
    dirac:
      setup: Sim-Production
      maintenance: { command: sms, reason: power stop }
      innodbJournal: { from: /opt/dirac/mysql/log, to: /home/dirac/mysql-log }
      waitBeforeAgents: 30s
      boxes:
        - { host: ag, roles: [agents] }
        - { host: fw, roles: [services], frameworkServer: true }
        - { host: sv, roles: [services] }
        - { host: db, roles: [databases], innodbJournal: true }
    hosts:
      ag: { address: 127.0.0.2, root: /srv/dsim/ag }
      fw: { address: 127.0.0.3, root: /srv/dsim/fw }
      sv: { address: 127.0.0.4, root: /srv/dsim/sv }
      db: { address: 127.0.0.2, root: /srv/dsim/db }
`;

function dsim(yaml = DIRAC_SIM_YAML): DiracCluster {
  const c = inventoryFrom(yaml).clusters.dsim;
  if (c?.kind !== "dirac") throw new Error("dsim is dirac");
  return c;
}

const R = (box: string) => `/srv/dsim/${box}/opt/dirac`;
const MYSQL = "/srv/dsim/db/opt/dirac/pro/mysql/share/mysql/mysql.server";
/** mysql.server status exit 4 or 5 (a mysqld without its PID file, mysql.server.sh 'status'): refused with how to go on. */
const refuse = (box: string): string =>
  `case $rc in 4|5) echo 'intervene: a mysqld runs on ${box} without its PID file (status exit' "$rc"'): stop it by hand (mysqladmin shutdown), then Retry.' >&2; exit $rc ;; esac`;
const mysqlStatus = (server: string, box: string): string => `rc=0; ${server} status || rc=$?; ${refuse(box)}; exit $rc`;
const mysqlStop = (server: string, box: string): string => `rc=0; ${server} status >/dev/null 2>&1 || rc=$?; ${refuse(box)}; ${server} stop`;
const LOGS = (box: string) =>
  `since={{started_at_${box}}}; m=${R(box)}/.intervene-log-check; ` +
  `if [ -f "$m" ]; then since=$(printf '%s\\n%s\\n' "$since" "$(cat "$m")" | sort | tail -n 1); fi; ` +
  `date -u '+%Y-%m-%d %H:%M:%S' > "$m"; ` +
  `awk -v since="$since" 'substr($0, 1, 19) >= since && $0 ~ /^[0-9][0-9][0-9][0-9]-/ && / (ERROR|FATAL): / { print FILENAME ": " $0; n++ } END { exit (n > 0) }' ${R(box)}/startup/*/log/current`;
const startup = (box: string): [string, string, boolean, string[]][] => [
  [`restore-links-${box}`, "exec", false, [`${box}$ date -u '+started at %Y-%m-%d %H:%M:%S' && mv ${R(box)}/startup-save/* ${R(box)}/startup/`]],
  [`wait-running-${box}`, "wait", false, [`${box}$ runsvstat ${R(box)}/startup/*`]],
  [`check-logs-${box}`, "check", false, [`${box}$ ${LOGS(box)}`]],
];

/** Point 6: wait for the agents' cycle end with progress (run on the sim by test/sim/dirac/point-06-agents-end-of-cycle.test.ts). */
const cycleEnd = (box: string, limit: number): string =>
  `d=${R(box)}/startup; limit=${limit}; start=$(date +%s); last=; while :; do left=$(runsvstat "$d"/* 2>&1 | grep ': run (') || true; el=$(( $(date +%s) - start )); ` +
  `if [ -z "$left" ]; then echo "every component is down after $el s"; exit 0; fi; ` +
  String.raw`if [ "$el" -ge "$limit" ]; then printf '%s\n' "$left" | sed -n 's/^\(.*\): run (pid \([0-9]*\)).*/still running: \1 pid \2/p'; exit 0; fi; ` +
  String.raw`n=$(printf '%s\n' "$left" | wc -l); ` +
  String.raw`if [ "$n" != "$last" ]; then echo "$n still finishing their cycle after $el s of $limit s: $(printf '%s\n' "$left" | sed 's/: run.*//; s#.*/##' | tr '\n' ' ')"; last=$n; fi; sleep 1; done`;
const termLeft = (box: string): string =>
  `for pid in {{still_running_${box}}}; do ` +
  String.raw`if tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -Eq '[/]srv/dsim/` +
  `${box}/opt/dirac/.*dirac-(agent|service|executor)'; then kill -TERM "$pid" && echo "TERM sent to $pid"; ` +
  `else echo "$pid is gone or no longer a DIRAC component: left alone"; fi; done`;

describe("dirac.intervention on a rooted simulator setup (seed 003)", () => {
  const plan = planProcedure(intervention, dsim(), "dsim", { setup: "Sim-Production", innodbJournal: true }, NOW);

  it("maintenance, agents down, services down, MySQL down (+ journal), confirm, MySQL, framework, services, wait, agents, maintenance off", () => {
    const saveGuard = (box: string) =>
      `${box}$ if [ -n "$(ls -A ${R(box)}/startup-save 2>/dev/null)" ]; then echo '${R(box)}/startup-save is not empty: an earlier intervention did not finish' >&2; exit 1; fi; ls -l ${R(box)}/startup`;
    const noProcess = (box: string) => `${box}$ runsvstat ${R(box)}/startup-save/* 2>&1; ! pgrep -af '[/]srv/dsim/${box}/opt/dirac/.*dirac-(agent|service|executor)'`;
    expect(planRows(plan)).toEqual([
      ["set-maintenance", "exec", true, ["ag", "fw", "sv", "db"].map((b) => `${b}$ sms set maintenance 'power stop' ${b}`)],
      ["list-agents-startup", "check", false, [saveGuard("ag")]],
      ["confirm-agents-startup", "confirm", false, ["ag"]],
      ["stop-agents", "exec", true, [`ag$ runsvctrl d ${R("ag")}/startup/*`]],
      ["wait-agents-cycle-end", "exec", false, [`ag$ ${cycleEnd("ag", 240)}`]],
      ["term-agents-left", "exec", true, [`ag$ ${termLeft("ag")}`]],
      ["wait-agents-down", "wait", false, [`ag$ runsvstat ${R("ag")}/startup/*`]],
      ["save-agents-links", "exec", true, [`ag$ mkdir -p ${R("ag")}/startup-save && mv ${R("ag")}/startup/* ${R("ag")}/startup-save/`]],
      ["verify-agents-stopped", "wait", false, [noProcess("ag")]],
      ["list-services-startup", "check", false, [saveGuard("fw"), saveGuard("sv")]],
      ["confirm-services-startup", "confirm", false, ["fw", "sv"]],
      ["stop-services", "exec", true, [`fw$ runsvctrl d ${R("fw")}/startup/*`, `sv$ runsvctrl d ${R("sv")}/startup/*`]],
      ["wait-services-down", "wait", false, [`fw$ runsvstat ${R("fw")}/startup/*`, `sv$ runsvstat ${R("sv")}/startup/*`]],
      [
        "save-services-links",
        "exec",
        true,
        [`fw$ mkdir -p ${R("fw")}/startup-save && mv ${R("fw")}/startup/* ${R("fw")}/startup-save/`, `sv$ mkdir -p ${R("sv")}/startup-save && mv ${R("sv")}/startup/* ${R("sv")}/startup-save/`],
      ],
      ["verify-services-stopped", "wait", false, [noProcess("fw"), noProcess("sv")]],
      ["stop-databases", "exec", true, [`db$ ${mysqlStop(MYSQL, "db")}`]],
      ["verify-databases-stopped", "check", false, [`db$ ${mysqlStatus(MYSQL, "db")}`]],
      [
        "move-innodb-journal-db",
        "exec",
        true,
        [
          "db$ test -d /srv/dsim/db/opt/dirac/mysql/log && test ! -L /srv/dsim/db/opt/dirac/mysql/log && test ! -e /srv/dsim/db/home/dirac/mysql-log && mv /srv/dsim/db/opt/dirac/mysql/log /srv/dsim/db/home/dirac/mysql-log && ln -s /srv/dsim/db/home/dirac/mysql-log /srv/dsim/db/opt/dirac/mysql/log && ls -ld /srv/dsim/db/opt/dirac/mysql/log",
        ],
      ],
      ["confirm-intervention-done", "confirm", false, []],
      ["check-databases-started", "check", false, [`db$ ${mysqlStatus(MYSQL, "db")}`]],
      ["start-databases", "exec", false, [`db$ rc=0; ${MYSQL} status || rc=$?; ${refuse("db")}; case $rc in 0) ;; 1|2|3) ${MYSQL} start ;; *) exit $rc ;; esac`]],
      ["verify-databases-up", "check", false, [`db$ ${mysqlStatus(MYSQL, "db")}`]],
      ...startup("fw"),
      ...startup("sv"),
      ["wait-before-agents", "wait", false, []],
      ...startup("ag"),
      ["clear-maintenance", "exec", false, ["ag", "fw", "sv", "db"].map((b) => `${b}$ sms clear maintenance 'power stop' ${b}`)],
    ]);
  });

  it("cites seed 003 sections and says where it departs from the seed", () => {
    const cite = (id: string) => plan.steps.find((s) => s.id === id)!.cite;
    expect(cite("stop-agents")).toMatch(/^seed 003 §1\.2/);
    expect(cite("save-services-links")).toMatch(/^seed 003 §2\.3/);
    expect(cite("list-services-startup")).toMatch(/^seed 003 §2\.1/);
    expect(cite("stop-databases")).toMatch(/§3/);
    expect(cite("check-databases-started")).toMatch(/§4\.1/);
    expect(cite("restore-links-fw")).toMatch(/§5/);
    expect(cite("restore-links-sv")).toMatch(/§6/);
    expect(cite("wait-before-agents")).toMatch(/§6/);
    expect(cite("check-logs-ag")).toMatch(/§7.*reference §5/);
    expect(plan.steps.find((s) => s.id === "verify-agents-stopped")?.note).toMatch(/`ps fax \| grep run` is replaced/);
    expect(plan.steps.find((s) => s.id === "set-maintenance")?.note).toMatch(/`other`.*left out/);
  });

  it("waits the inventory's waitBeforeAgents unless the parameter overrides it", () => {
    expect(waitOf(plan.steps.find((s) => s.id === "wait-before-agents"))).toEqual({ delayMs: 30_000 });
    const longer = planProcedure(intervention, dsim(), "dsim", { waitBeforeAgents: "10m" }, NOW);
    const wait = longer.steps.find((s) => s.id === "wait-before-agents")!;
    expect(waitOf(wait)).toEqual({ delayMs: 600_000 });
    expect(wait.note).toBe("waitBeforeAgents=10m overrides the inventory's 30 s.");
    expect(longer.steps.some((s) => s.id.startsWith("move-innodb-journal"))).toBe(false);
  });

  it("judges the stop and start checks on real runsvstat and mysql.server outputs", () => {
    const down = waitOf(plan.steps.find((s) => s.id === "wait-agents-down"))!.poll!.expect;
    expect(evaluateExpectation(down, { exitCode: 0, stdout: `${R("ag")}/startup/WorkloadManagement_PilotStatusAgent: down 3 seconds, normally up\n`, stderr: "" }).ok).toBe(true);
    expect(evaluateExpectation(down, { exitCode: 0, stdout: `${R("ag")}/startup/WorkloadManagement_PilotStatusAgent: run (pid 1234) 56 seconds\n`, stderr: "" }).ok).toBe(false);
    const stopped = plan.steps.find((s) => s.id === "verify-databases-stopped")!.expect!;
    expect(evaluateExpectation(stopped, { exitCode: 3, stdout: " ERROR! MySQL is not running\n", stderr: "" }).ok).toBe(true);
    expect(evaluateExpectation(stopped, { exitCode: 1, stdout: " ERROR! MySQL is not running, but PID file exists\n", stderr: "" }).ok).toBe(false);
    const up = plan.steps.find((s) => s.id === "verify-databases-up")!.expect!;
    expect(evaluateExpectation(up, { exitCode: 0, stdout: " SUCCESS! MySQL running (4242)\n", stderr: "" }).ok).toBe(true);
  });

  it("renders the dry run with a ⚠ for each of the 8 destructive steps and the confirm checkpoint", () => {
    const text = renderPlanText(plan);
    expect(text).toContain("33 steps, 8 destructive");
    expect(text.match(/⚠ /g)?.length).toBe(9); // 8 steps + the legend
    expect(text).toContain("CONFIRM: Continue only when the intervention is over and every box (ag, fw, sv, db) is up again.");
  });
});

describe("the log check after a restart, run on real files", () => {
  const plan = planProcedure(intervention, dsim(), "dsim", {}, NOW);
  const restore = plan.steps.find((s) => s.id === "restore-links-fw")!;
  const check = plan.steps.find((s) => s.id === "check-logs-fw")!;
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-logs-"));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const writeLog = (component: string, lines: string[]) => {
    fs.mkdirSync(path.join(root, component, "log"), { recursive: true });
    fs.writeFileSync(path.join(root, component, "log", "current"), lines.map((l) => `${l}\n`).join(""));
  };
  const runCheck = () => {
    const captured = extractCaptures(restore.captures!, "started at 2024-05-01 10:20:30\n");
    if (!captured.ok) throw new Error(captured.reason);
    const command = resolveCommand(check.targets[0]!.command!, captured.values)
      .replace(`${R("fw")}/startup`, root)
      .replace(`${R("fw")}/.intervene-log-check`, path.join(root, ".marker"));
    return spawnSync("/bin/sh", ["-c", command], { encoding: "utf8" });
  };

  it("ignores errors logged before the restart and passes when the new lines are clean", () => {
    writeLog("Framework_SystemAdministrator", [
      "2024-05-01 09:00:00 UTC Framework/SystemAdministrator ERROR: old trouble before the intervention",
      "2024-05-01 10:20:31 UTC Framework/SystemAdministrator  INFO: Service Framework/SystemAdministrator listening",
    ]);
    const result = runCheck();
    expect(result.status).toBe(0);
    expect(result.stdout).toBe("");
  });

  it("fails with the ERROR and FATAL lines logged since the restart", () => {
    writeLog("Configuration_Server", ["2024-05-01 10:20:35 UTC Configuration/Server ERROR: Cannot connect to MySQL", "Traceback (most recent call last): ERROR: not a log line"]);
    writeLog("Framework_Monitoring", ["2024-05-01 10:21:00 UTC Framework/Monitoring FATAL: Service could not be started"]);
    const result = runCheck();
    expect(result.status).toBe(1);
    expect(result.stdout.trim().split("\n")).toEqual([
      `${root}/Configuration_Server/log/current: 2024-05-01 10:20:35 UTC Configuration/Server ERROR: Cannot connect to MySQL`,
      `${root}/Framework_Monitoring/log/current: 2024-05-01 10:21:00 UTC Framework/Monitoring FATAL: Service could not be started`,
    ]);
    expect(evaluateExpectation(check.expect!, { exitCode: result.status, stdout: result.stdout, stderr: result.stderr }).ok).toBe(false);
  });

  it("a retry after the operator dealt with the shown lines checks only what was logged since the previous check", () => {
    writeLog("Configuration_Server", ["2024-05-01 10:20:35 UTC Configuration/Server ERROR: Cannot connect to MySQL"]);
    expect(runCheck().status).toBe(1);
    const retried = runCheck();
    expect(retried.status).toBe(0);
    expect(retried.stdout).toBe("");
    writeLog("Configuration_Server", [
      "2024-05-01 10:20:35 UTC Configuration/Server ERROR: Cannot connect to MySQL",
      "2099-01-01 00:00:00 UTC Configuration/Server ERROR: new trouble after the retry",
    ]);
    const again = runCheck();
    expect(again.status).toBe(1);
    expect(again.stdout).toContain("new trouble after the retry");
    expect(again.stdout).not.toContain("Cannot connect to MySQL");
  });

  it("only a timestamp can fill the restart-time capture", () => {
    expect(extractCaptures(restore.captures!, "started at 2024-05-01 10:20:30\n")).toEqual({ ok: true, values: { started_at_fw: ["2024-05-01 10:20:30"] } });
    expect(extractCaptures(restore.captures!, "started at 2024-05-01 10:20:3'\n")).toEqual({ ok: true, values: { started_at_fw: [] } });
  });
});

describe("dirac.intervention on the example lhcb setup", () => {
  it("stops volhcb20, then the four services boxes, then both databases; starts volhcb18 first and volhcb20 last", () => {
    const plan = planProcedure(intervention, lhcbCluster(), "lhcb", {}, NOW);
    const ids = plan.steps.map((s) => s.id);
    expect(plan.steps.find((s) => s.id === "stop-agents")?.targets.map((t) => t.host)).toEqual(["volhcb20"]);
    expect(plan.steps.find((s) => s.id === "stop-services")?.targets.map((t) => t.host)).toEqual(["volhcb18", "volhcb19", "volhcb15", "volhcb17"]);
    expect(plan.steps.find((s) => s.id === "stop-databases")?.targets).toEqual([
      { host: "volhcb21", command: mysqlStop("/opt/dirac/pro/mysql/share/mysql/mysql.server", "volhcb21") },
      { host: "volhcb22", command: mysqlStop("/opt/dirac/pro/mysql/share/mysql/mysql.server", "volhcb22") },
    ]);
    expect(ids.filter((id) => id.startsWith("restore-links-"))).toEqual(["restore-links-volhcb18", "restore-links-volhcb19", "restore-links-volhcb15", "restore-links-volhcb17", "restore-links-volhcb20"]);
    expect(ids.indexOf("wait-before-agents")).toBe(ids.indexOf("restore-links-volhcb20") - 1);
    expect(waitOf(plan.steps.find((s) => s.id === "wait-before-agents"))).toEqual({ delayMs: 300_000 });
    expect(ids.at(0)).toBe("set-maintenance");
    expect(ids.at(-1)).toBe("clear-maintenance");
  });

  it("leaves maintenance out when the inventory names no maintenance tool", () => {
    const plan = planProcedure(intervention, dsim(DIRAC_SIM_YAML.replace("      maintenance: { command: sms, reason: power stop }\n", "")), "dsim", {}, NOW);
    expect(plan.steps.some((s) => s.id.endsWith("-maintenance"))).toBe(false);
    expect(plan.steps[0]?.id).toBe("list-agents-startup");
  });
});

describe("dirac.intervention parameters", () => {
  const problems = (params: unknown, cluster: DiracCluster = lhcbCluster()): string[] => {
    try {
      planProcedure(intervention, cluster, "lhcb", params, NOW);
    } catch (error) {
      if (error instanceof ParamError) return error.problems.map((p) => `${p.field}: ${p.message}`);
      throw error;
    }
    throw new Error("expected a ParamError");
  };

  it("refuses another setup than the cluster's", () => {
    expect(problems({ setup: "LHCb-Certification" })).toEqual(["setup: LHCb-Certification is not the setup of lhcb; this cluster runs LHCb-Production"]);
    expect(problems({ setup: "x'; reboot" })).toEqual([`setup: "x'; reboot": write the DIRAC setup name, e.g. LHCb-Production`]);
  });

  it("refuses durations it cannot read or longer than 2h", () => {
    expect(problems({ waitBeforeAgents: "5 minutes" })).toEqual(['waitBeforeAgents: "5 minutes": write a duration of at most 2h, e.g. 30s, 5m or 1h']);
    expect(problems({ waitBeforeAgents: "3h" })).toEqual(['waitBeforeAgents: "3h": write a duration of at most 2h, e.g. 30s, 5m or 1h']);
  });

  it("refuses innodbJournal when no box is flagged, and unknown parameters", () => {
    const noFlag = dsim(DIRAC_SIM_YAML.replace("roles: [databases], innodbJournal: true", "roles: [databases]"));
    expect(problems({ innodbJournal: true }, noFlag)).toEqual(["innodbJournal: no database box of dsim is flagged innodbJournal: true"]);
    expect(problems({ innodbJournal: "yes" })).toEqual(['innodbJournal: "yes" is not a boolean; write innodbJournal=<boolean>']);
    expect(problems({ reboot: true })[0]).toMatch(/^reboot: unknown parameter; this procedure takes setup, agentCycles, innodbJournal, waitBeforeAgents/);
  });
});
