import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { LeofsCluster } from "../../../../src/config";
import { getProcedure } from "../../../../src/procedures/catalog";
import { evaluateExpectation } from "../../../../src/procedures/expectations/evaluate-expectation";
import { setConfKeys } from "../../../../src/procedures/leofs/manager-config-edit";
import { planProcedure } from "../../../../src/procedures/planning/plan-procedure";
import { renderPlanText } from "../../../../src/procedures/planning/render-plan-text";
import { ParamError } from "../../../../src/procedures/procedure-errors";
import { inventoryFrom, NOW, SIM_YAML } from "../inventory-fixture";
import { planRows } from "./plan-rows";
import { moveIntoBackup } from "../../../../src/procedures/leofs/move-into-backup";

const takeover = getProcedure("leofs.takeover-manager");

/** The contract example plus a spare host leofs-m2 for the new manager. */
function prodWithSpare(): LeofsCluster {
  const file = path.join(__dirname, "../../../../config/inventory.example.yaml");
  const text = fs.readFileSync(file, "utf8").replace(/^( +)leofs-g0: .*$/m, (line, indent: string) => `${line}\n${indent}leofs-m2: { address: 10.0.0.107, os: deb }`);
  const c = inventoryFrom(text, file).clusters.prod;
  if (c?.kind !== "leofs") throw new Error("prod is leofs");
  return c;
}

function sim(): LeofsCluster {
  const c = inventoryFrom(SIM_YAML).clusters.sim;
  if (c?.kind !== "leofs") throw new Error("sim is leofs");
  return c;
}

const I = "/usr/local/leofs/current";
const BK = "/var/backups/intervene/prod/20240501T102030Z-takeover";
const DUMP = `${BK}/mnesia-dump/leo_manager.mnesia.txt`;
const ADM0 = `leofs-m0$ ${I}/leofs-adm -h 127.0.0.1 -p 10010`;
const conf = (dir: string) => `${I}/${dir}/etc/leo_manager.conf`;

describe("leofs.takeover-manager replace=manager-slave on prod (seed 000 Case 2)", () => {
  const params = { replace: "manager-slave", newHost: "leofs-m2", newNode: "manager_2@10.0.0.107" };
  const plan = planProcedure(takeover, prodWithSpare(), "prod", params, NOW);
  const step = (id: string) => plan.steps.find((s) => s.id === id)!;

  it("dumps from the surviving master, stops both, moves Mnesia aside, rewrites both configs, starts, loads, compares ring hashes, update-managers, verifies", () => {
    const rows = planRows(plan);
    expect(rows.map((r) => [r[0], r[1], r[2]])).toEqual([
      ["preflight-status", "check", false],
      ["check-gateways-running", "check", false],
      ["ping-manager-master", "check", false],
      ["check-new-host-install", "check", false],
      ["prepare-mnesia-backup-dir", "exec", false],
      ["dump-mnesia", "exec", false],
      ["verify-mnesia-dump", "check", false],
      ["stop-old-manager-slave", "exec", true],
      ["stop-manager-master", "exec", true],
      ["check-managers-stopped", "check", false],
      ["move-aside-manager-master-mnesia", "exec", true],
      ["move-aside-new-manager-slave-mnesia", "exec", true],
      ["show-manager-config", "check", false],
      ["set-partner-manager-master", "exec", true],
      ["set-config-new-manager-slave", "exec", true],
      ["start-manager-master", "exec", false],
      ["start-manager-slave", "exec", false],
      ["wait-ready-manager-master", "exec", false],
      ["wait-ready-manager-slave", "exec", false],
      ["wait-manager-tables", "wait", false],
      ["load-mnesia", "exec", true],
      ["compare-ring-hashes", "check", false],
      ["wait-new-manager-slave-tables", "exec", false],
      ["restart-new-manager-slave", "exec", true],
      ["verify-new-manager-slave-tables", "wait", false],
      ["update-managers", "exec", true],
      ["set-managers-lines", "exec", true],
      ["verify-managers-answer", "check", false],
      ["verify-status", "wait", false],
    ]);
    const cmd = new Map(rows.map((r) => [r[0], r[3]]));
    expect(cmd.get("prepare-mnesia-backup-dir")).toEqual([`leofs-m0$ mkdir -p ${BK}/mnesia-dump && chown leofs:leofs ${BK}/mnesia-dump`]);
    expect(cmd.get("dump-mnesia")).toEqual([`leofs-m0$ ${I}/leo_manager_0/bin/leo_manager dump-mnesia-data ${DUMP}`]);
    expect(cmd.get("verify-mnesia-dump")).toEqual([`leofs-m0$ test -s ${DUMP} && ls -l ${DUMP}`]);
    expect(cmd.get("stop-old-manager-slave")).toEqual([`leofs-m1$ ${I}/leo_manager_1/bin/leo_manager stop`]);
    expect(cmd.get("stop-manager-master")).toEqual([`leofs-m0$ ${I}/leo_manager_0/bin/leo_manager stop`]);
    expect(cmd.get("check-managers-stopped")).toEqual([`leofs-m0$ ${I}/leo_manager_0/bin/leo_manager ping`, `leofs-m2$ ${I}/leo_manager_1/bin/leo_manager ping`]);
    expect(cmd.get("move-aside-manager-master-mnesia")).toEqual([
      `leofs-m0$ ${moveIntoBackup(`${I}/leo_manager_0/work/mnesia/127.0.0.1`, `${BK}/manager-master-mnesia`, "refuse")}`,
    ]);
    expect(cmd.get("move-aside-new-manager-slave-mnesia")).toEqual([
      `leofs-m2$ ${moveIntoBackup(`${I}/leo_manager_1/work/mnesia/127.0.0.1`, `${BK}/manager-slave-mnesia`, "record-empty")}`,
    ]);
    expect(cmd.get("start-manager-slave")).toEqual([`leofs-m2$ ${I}/leo_manager_1/bin/leo_manager ping >/dev/null 2>&1 || ${I}/leo_manager_1/bin/leo_manager start`]);
    // A Retry of the wait starts the new manager again if its VM died while booting (reference §2: start then wait_ready).
    expect(cmd.get("wait-ready-manager-slave")).toEqual([
      `leofs-m2$ { ${I}/leo_manager_1/bin/leo_manager ping >/dev/null 2>&1 || ${I}/leo_manager_1/bin/leo_manager start; } && ${I}/leo_manager_1/bin/leo_manager wait_ready`,
    ]);
    expect(cmd.get("load-mnesia")).toEqual([`leofs-m0$ echo ring hashes at the start of this run: {{ring_cur_before}} {{ring_prev_before}}; ${I}/leo_manager_0/bin/leo_manager load-mnesia-data ${DUMP}`]);
    expect(cmd.get("update-managers")).toEqual([`${ADM0} update-managers manager_0@10.0.0.101 manager_2@10.0.0.107`]);
    expect(cmd.get("verify-managers-answer")).toEqual([`leofs-m0$ ${I}/leo_manager_0/bin/leo_manager ping`, `leofs-m2$ ${I}/leo_manager_1/bin/leo_manager ping`]);
  });

  it("point 1: carries the ring and the members with the launch script's dump-mnesia-data / load-mnesia-data, not backup-mnesia, and compares ring hashes", () => {
    expect(step("dump-mnesia").note).toContain("backup-mnesia checkpoints 11 tables and leaves out leo_ring_cur/prv and leo_members_cur/prv");
    expect(step("load-mnesia").note).toContain("nodetool exits 1");
    expect(plan.steps.flatMap((s) => s.targets.map((t) => t.command ?? "")).some((c) => /(backup|restore)-mnesia/.test(c))).toBe(false);
    expect(step("preflight-status").captures?.map((c) => c.name)).toEqual(["ring_cur_before", "ring_prev_before"]);
    const load = step("load-mnesia");
    const judge = (exitCode: number, stdout: string) => evaluateExpectation(load.expect!, { exitCode, stdout, stderr: "" });
    const entered = ["leo_system_conf", "leo_ring_cur", "leo_members_cur"].map((t) => `** Table ${t} already exists on 'manager_0@10.0.0.101', just entering data\n`).join("");
    expect(judge(1, `ring hashes at the start of this run: 3a2e7b8c 3a2e7b8c\n${entered}`).ok).toBe(true);
    expect(judge(1, "ring hashes at the start of this run: 3a2e7b8c 3a2e7b8c\n").ok).toBe(false);
    expect(load.approvalDetail).toContain("compares the ring hashes");
    const compare = step("compare-ring-hashes").targets[0]?.command ?? "";
    expect(compare).toContain('grep -Eq "^ *current ring-hash \\| "{{ring_cur_before}}" *$"');
    expect(compare).toContain('grep -Eq "^ *previous ring-hash \\| "{{ring_prev_before}}" *$"');
    // The new slave's own console must show the same ring: a node on a schema of its own still answers ping.
    const onNew = `leofs-m2$ ${compare.replace("-p 10010", "-p 10011")}`;
    expect(step("verify-new-manager-slave-tables").targets.map((t) => `${t.host}$ ${t.command}`)).toEqual([onNew]);
    // The wait before it polls the same check for 20 s, never fails on time, and names the node it restarts when the check never held.
    const wait = step("wait-new-manager-slave-tables");
    expect(wait.targets[0]?.command).toContain(compare.replace("-p 10010", "-p 10011"));
    expect(wait.captures?.map((c) => [c.name, c.valuePattern])).toEqual([["new_manager_without_tables", "[A-Za-z][A-Za-z0-9_-]*@[A-Za-z0-9][A-Za-z0-9.-]*"]]);
    const restart = step("restart-new-manager-slave");
    expect(restart.runIf?.anyCapture).toEqual(["new_manager_without_tables"]);
    expect(restart.targets.map((t) => `${t.host}$ ${t.command}`)).toEqual([
      `leofs-m2$ ${I}/leo_manager_1/bin/leo_manager stop; { ${I}/leo_manager_1/bin/leo_manager ping >/dev/null 2>&1 || ${I}/leo_manager_1/bin/leo_manager start; } && ${I}/leo_manager_1/bin/leo_manager wait_ready`,
    ]);
    expect(step("prepare-mnesia-backup-dir").cite).toMatch(/writes the dump as the leofs user/);
  });

  it("shows the config diff in the approval and rewrites with a backup copy, a quoted value and a grep proof", () => {
    expect(step("set-partner-manager-master").approvalDetail).toBe(
      `leofs-m0:${conf("leo_manager_0")}\n- manager.partner = manager_1@10.0.0.102\n+ manager.partner = manager_2@10.0.0.107`,
    );
    expect(step("set-config-new-manager-slave").approvalDetail).toBe(
      `leofs-m2:${conf("leo_manager_1")}\n- nodename = (package value)\n+ nodename = manager_2@10.0.0.107\n- manager.partner = (package value)\n+ manager.partner = manager_0@10.0.0.101`,
    );
    const edit = step("set-partner-manager-master").targets[0]!.command!;
    expect(edit.startsWith(`mkdir -p ${BK}/manager-master-etc && { [ -e ${BK}/manager-master-etc/leo_manager.conf ] || { cp -p ${conf("leo_manager_0")} ${BK}/manager-master-etc/leo_manager.conf.part && mv -f ${BK}/manager-master-etc/leo_manager.conf.part ${BK}/manager-master-etc/leo_manager.conf; }; }`)).toBe(true);
    expect(edit).toContain(`grep -qxF 'manager.partner = manager_2@10.0.0.107' ${conf("leo_manager_0")}`);
    expect(edit).not.toContain("sed -i");
  });

  it("expects update-managers to print OK and treats [ERROR] with exit 0 as failure", () => {
    const expectation = step("update-managers").expect!;
    expect(evaluateExpectation(expectation, { exitCode: 0, stdout: "OK\r\n", stderr: "" }).ok).toBe(true);
    expect(evaluateExpectation(expectation, { exitCode: 0, stdout: "[ERROR] Mnesia does not start, yet\r\n", stderr: "" }).ok).toBe(false);
  });

  it("point 3: refuses a stopped gateway before anything stops, and writes the new pair into every storage and gateway conf, the diff in the approval", () => {
    const check = step("check-gateways-running");
    expect(check.expect).toEqual({ type: "all", of: [{ type: "all", of: [{ type: "exit-zero" }, { type: "no-leofs-error" }] }, { type: "leofs-status", condition: { kind: "all-in-state", nodeType: "G", states: ["running"] } }] });
    expect(plan.steps.findIndex((s) => s.id === "check-gateways-running")).toBeLessThan(plan.steps.findIndex((s) => s.destructive));

    const lines = step("set-managers-lines");
    expect(lines.targets.map((t) => t.host)).toEqual(["leofs-s0", "leofs-s1", "leofs-s2", "leofs-g0"]);
    expect(lines.targets[0]?.command).toContain(`grep -qxF 'managers = [manager_0@10.0.0.101,manager_2@10.0.0.107]' ${I}/leo_storage/etc/leo_storage.conf`);
    expect(lines.targets[3]?.command).toContain(`${I}/leo_gateway/etc/leo_gateway.conf`);
    expect(lines.approvalDetail).toContain(`leofs-g0:${I}/leo_gateway/etc/leo_gateway.conf\n- managers = [manager_0@10.0.0.101, manager_1@10.0.0.102]\n+ managers = [manager_0@10.0.0.101,manager_2@10.0.0.107]`);
    expect(lines.idempotent).toBe(true);
  });

  it("renders the dry run with ⚠ on each of the 10 destructive steps", () => {
    const text = renderPlanText(plan);
    expect(text).toContain("29 steps, 10 destructive");
    expect(text).toContain("14. ⚠ Point manager-master's manager.partner at manager_2@10.0.0.107 [exec, destructive]\n   APPROVAL required before this step: leofs-m0:");
    expect(text.match(/⚠ /g)?.length).toBe(11); // 10 steps + the legend
  });
});

describe("leofs.takeover-manager replace=manager-master on the rooted simulator inventory", () => {
  const plan = planProcedure(takeover, sim(), "sim", { replace: "manager-master", newHost: "s0", newNode: "manager_2@127.0.0.2" }, NOW);
  const rows = new Map(planRows(plan).map((r) => [r[0], r[3]]));
  const M1 = "/srv/sim/m1/usr/local/leofs/current";
  const S0 = "/srv/sim/s0/usr/local/leofs/current";

  it("dumps and loads through the slave's launch script on m1, starts the new master on s0 first, and sends update-managers to it", () => {
    const dump = "'/srv/sim/m1/var/backups/my intervene/sim/20240501T102030Z-takeover/mnesia-dump/leo_manager.mnesia.txt'";
    expect(rows.get("dump-mnesia")).toEqual([`m1$ ${M1}/leo_manager_1/bin/leo_manager dump-mnesia-data ${dump}`]);
    expect(rows.get("load-mnesia")).toEqual([`m1$ echo ring hashes at the start of this run: {{ring_cur_before}} {{ring_prev_before}}; ${M1}/leo_manager_1/bin/leo_manager load-mnesia-data ${dump}`]);
    // The admin host defaults to the collapsed master's m0: leofs-adm runs on the new master's own host instead.
    expect(rows.get("update-managers")).toEqual([`s0$ ${S0}/leofs-adm -h 127.0.0.1 -p 10010 update-managers manager_2@127.0.0.2 manager_1@127.0.0.3`]);
    expect(rows.get("start-manager-master")).toEqual([`s0$ ${S0}/leo_manager_0/bin/leo_manager ping >/dev/null 2>&1 || ${S0}/leo_manager_0/bin/leo_manager start`]);
    expect([...rows.keys()].indexOf("start-manager-master")).toBeLessThan([...rows.keys()].indexOf("start-manager-slave"));
    expect(rows.get("stop-old-manager-master")).toEqual(["m0$ /srv/sim/m0/usr/local/leofs/current/leo_manager_0/bin/leo_manager stop"]);
  });
});

describe("leofs.takeover-manager parameters", () => {
  const plan = (params: unknown) => planProcedure(takeover, prodWithSpare(), "prod", params, NOW);
  const problems = (params: unknown): string[] => {
    try {
      plan(params);
    } catch (error) {
      if (error instanceof ParamError) return error.problems.map((p) => `${p.field}: ${p.message}`);
      throw error;
    }
    throw new Error("expected a ParamError");
  };

  it("refuses a host that is not in the inventory, listing the hosts", () => {
    expect(problems({ replace: "manager-slave", newHost: "leofs-m9", newNode: "manager_2@10.0.0.107" })).toEqual([
      "newHost: leofs-m9 is not a host of prod; add it to the inventory first, or write one of: leofs-m0, leofs-m1, leofs-s0, leofs-s1, leofs-s2, leofs-g0, leofs-m2",
    ]);
  });

  it("refuses the surviving manager's host and node", () => {
    expect(problems({ replace: "manager-slave", newHost: "leofs-m0", newNode: "manager_0@10.0.0.101" })).toEqual([
      "newHost: leofs-m0 runs the surviving manager-master; the new manager needs another host",
      "newNode: manager_0@10.0.0.101 is the surviving manager-master; write the new manager's own node name",
    ]);
  });

  it("refuses shell text and malformed names before anything is planned", () => {
    expect(problems({ replace: "manager-slave", newHost: "leofs-m2;reboot", newNode: "manager_2@10.0.0.107'$(reboot)'" })).toEqual([
      'newHost: "leofs-m2;reboot": write an inventory host name, e.g. leofs-m2',
      `newNode: "manager_2@10.0.0.107'$(reboot)'": write an Erlang node name as name@host, e.g. manager_2@10.0.0.107`,
    ]);
    expect(problems({ replace: "manager-3", newHost: "leofs-m2", newNode: "manager_2@10.0.0.107" })[0]).toMatch(/^replace: "manager-3" is not allowed; write one of: manager-master, manager-slave/);
    expect(problems({ replace: "manager-slave", newHost: "leofs-m2", newNode: "storage_0@10.0.0.104" })).toEqual(["newNode: storage_0@10.0.0.104 is already a storage node or gateway of prod"]);
    expect(problems({ replace: "manager-slave", newHost: "leofs-m2", newNode: "manager_2@10.0.0.107", force: true })[0]).toMatch(/^force: unknown parameter; this procedure takes replace, newHost, newNode/);
  });
});

describe("setConfKeys (the manager.partner / nodename edit), run on a real file", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-conf-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("replaces uncommented keys only, appends a missing key, keeps the mode, backs up the original once", () => {
    const confFile = path.join(dir, "leo manager.conf");
    const original = "## manager.partner = manager_9@127.0.0.1\nnodename = manager_1@127.0.0.1\n  manager.partner  =  manager_0@127.0.0.1\nmanager.partnerX = keep\n";
    fs.writeFileSync(confFile, original, { mode: 0o640 });
    const backup = path.join(dir, "bk dir");
    const run = (settings: { key: string; value: string }[]) => execFileSync("/bin/sh", ["-c", setConfKeys(confFile, backup, "leo_manager.conf", settings)], { encoding: "utf8" });

    const out = run([{ key: "manager.partner", value: "manager_2@10.0.0.107" }, { key: "distributed_cookie", value: "401321b4" }]);
    expect(fs.readFileSync(confFile, "utf8")).toBe(
      "## manager.partner = manager_9@127.0.0.1\nnodename = manager_1@127.0.0.1\nmanager.partner = manager_2@10.0.0.107\nmanager.partnerX = keep\ndistributed_cookie = 401321b4\n",
    );
    expect(out).toBe("3:manager.partner = manager_2@10.0.0.107\n5:distributed_cookie = 401321b4\n");
    expect(fs.statSync(confFile).mode & 0o777).toBe(0o640);
    run([{ key: "manager.partner", value: "manager_3@10.0.0.108" }]);
    expect(fs.readFileSync(path.join(backup, "leo_manager.conf"), "utf8")).toBe(original);
    expect(fs.existsSync(`${confFile}.intervene-tmp`)).toBe(false);
  });

  it("refuses a value that is not one word", () => {
    expect(() => setConfKeys("/x.conf", "/bk", "x.conf", [{ key: "manager.partner", value: "a b" }])).toThrow(TypeError);
  });
});
