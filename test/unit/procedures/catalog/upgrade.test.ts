import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { LeofsCluster } from "../../../../src/config";
import { getProcedure } from "../../../../src/procedures/catalog";
import { extractCaptures, resolveCommand } from "../../../../src/procedures/expectations/captures";
import { evaluateExpectation } from "../../../../src/procedures/expectations/evaluate-expectation";
import { planProcedure } from "../../../../src/procedures/planning/plan-procedure";
import { renderPlanText } from "../../../../src/procedures/planning/render-plan-text";
import { ParamError, PreconditionError } from "../../../../src/procedures/procedure-errors";
import { inventoryFrom, NOW, prodCluster, SIM_YAML } from "../inventory-fixture";
import { planRows } from "./plan-rows";

const upgrade = getProcedure("leofs.upgrade");
const I = "/usr/local/leofs/current";
const ADM = `leofs-m0$ ${I}/leofs-adm -h 127.0.0.1 -p 10010`;
const BK = "/var/backups/intervene/prod/20240501T102030Z-upgrade-1.4.4";
const PKG = "/var/cache/leofs-packages/leofs-1.4.4-1.el7.x86_64.rpm";
const NEW = "/usr/local/leofs/1.4.4/leo_storage";
const OLD = "/usr/local/leofs/1.4.3/leo_storage";
/** carryConfiguration's loop over the saved etc/ (its behaviour: test/unit/procedures/carry-configuration.test.ts). */
const CARRY_LOOP =
  `for f in "$o"/*; do b=\${f##*/}; [ -e "$f" ] || continue; case $b in *.schema) echo "kept the package's $b" ;; ` +
  `*.conf|*.environment|*.d) if [ -e "$n/$b" ] && [ ! -e "$p/$b" ]; then cp -pR "$n/$b" "$p/$b" || exit 1; fi; rm -rf "$n/$b.carry" && cp -pR "$f" "$n/$b.carry" && rm -rf "$n/$b" && mv "$n/$b.carry" "$n/$b" || exit 1; echo "carried $b" ;; ` +
  `*) if [ -e "$n/$b" ]; then echo "kept the package's $b"; else cp -pR "$f" "$n/$b" || exit 1; echo "carried $b (not in the package)"; fi ;; esac; done`;
const GUARD =
  "if pgrep -f '[b]eam.*( -progname leo_(manager|storage|gateway)| -name (storage_1@10\\.0\\.0\\.105))( |$)' >/dev/null; then echo 'refusing to touch epmd: a LeoFS node still runs on leofs-s1:' >&2; " +
  "pgrep -af '[b]eam.*( -progname leo_(manager|storage|gateway)| -name (storage_1@10\\.0\\.0\\.105))( |$)' >&2; exit 1; fi";
const KILL = 'kill "$@" || exit 1; for p in "$@"; do i=0; while kill -0 "$p" 2>/dev/null; do i=$((i+1)); if [ "$i" -gt 10 ]; then echo "epmd $p did not exit" >&2; exit 1; fi; sleep 1; done; done';

/** The simulator-style cluster with packages staged (the fixture has no packageDir). */
function simWithPackages(extra = ""): LeofsCluster {
  const c = inventoryFrom(SIM_YAML.replace("      replicas: 2\n", `      replicas: 2\n      packageDir: /var/cache/leofs-packages\n${extra}`)).clusters.sim;
  if (c?.kind !== "leofs") throw new Error("sim is leofs");
  return c;
}

describe("leofs.upgrade of one storage node on prod (seed 002, reference §3 rolling upgrade)", () => {
  const plan = planProcedure(upgrade, prodCluster(), "prod", { target: "storage_1@10.0.0.105", version: "1.4.4" }, NOW);
  const step = (id: string) => plan.steps.find((s) => s.id === id)!;

  it("suspends, stops, saves etc/, clears epmd, installs, carries config and data, chowns, cleans /tmp/usr, starts, resumes, verifies", () => {
    expect(planRows(plan)).toEqual([
      ["preflight-status", "check", false, [`${ADM} status`]],
      ["check-installed-version", "check", false, [`leofs-s1$ readlink ${I}`]],
      ["check-packages", "check", false, [`leofs-s1$ test -s ${PKG} && ls -l ${PKG}`]],
      ["check-rpm-single-version", "check", false, [`leofs-s1$ out=$(rpm -q leofs); printf '%s\\n' "$out"; test "$(printf '%s\\n' "$out" | grep -c '^leofs-')" -le 1`]],
      ["check-suspend-allowed-storage-1-10-0-0-105", "check", false, [`${ADM} status`]],
      ["suspend-storage-1-10-0-0-105", "exec", true, [`${ADM} suspend storage_1@10.0.0.105`]],
      ["wait-suspended-storage-1-10-0-0-105", "wait", false, [`${ADM} status`]],
      ["stop-storage-1-10-0-0-105", "exec", true, [`leofs-s1$ ${I}/leo_storage/bin/leo_storage stop`]],
      ["check-stopped-leofs-s1", "check", false, [`leofs-s1$ { ${I}/leo_storage/bin/leo_storage ping; [ $? -eq 1 ]; }`]],
      ["backup-config-leofs-s1", "exec", false, [`leofs-s1$ mkdir -p ${BK} && { [ -e ${BK}/leo_storage-etc ] || cp -a ${OLD}/etc ${BK}/leo_storage-etc; }`]],
      ["check-epmd-leofs-s1", "check", false, ["leofs-s1$ pgrep -a epmd"]],
      ["kill-epmd-leofs-s1", "exec", true, [`leofs-s1$ set -- {{epmd_pids_leofs_s1}}; if [ "$#" -eq 0 ]; then echo 'no epmd runs on leofs-s1: nothing to kill'; exit 0; fi; ${GUARD}; ${KILL}`]],
      [
        "install-leofs-s1",
        "exec",
        true,
        [
          `leofs-s1$ out=$(rpm -Uvh ${PKG} 2>&1); rc=$?; printf '%s\\n' "$out"; if [ "$rc" -ne 0 ]; then case "$out" in *'Job for leofs-epmd.socket failed'*) echo 'intervene: leofs-epmd.socket failed during the install; the epmd-socket steps of this run recover it'; exit 0;; esac; fi; exit "$rc"`,
        ],
      ],
      ["check-new-version-leofs-s1", "check", false, [`leofs-s1$ readlink ${I}`]],
      [
        "migrate-leofs-s1",
        "exec",
        true,
        [
          `leofs-s1$ { o=${BK}/leo_storage-etc; n=${NEW}/etc; p=${BK}/leo_storage-pkg-etc; mkdir -p "$p" && test -d "$o" && test -d "$n" && { ${CARRY_LOOP}; } && test -f "$n"/leo_storage.conf; }` +
            ` && if [ -e ${OLD}/work ]; then mkdir -p ${NEW} && { [ ! -e ${NEW}/work ] || mv ${NEW}/work ${BK}/leo_storage-pkg-work; } && mv ${OLD}/work ${NEW}/work; fi && test -e ${NEW}/work` +
            ` && if [ -e ${OLD}/avs ]; then mkdir -p ${NEW} && { [ ! -e ${NEW}/avs ] || mv ${NEW}/avs ${BK}/leo_storage-pkg-avs; } && mv ${OLD}/avs ${NEW}/avs; fi && test -e ${NEW}/avs`,
        ],
      ],
      ["chown-leofs-s1", "exec", false, [`leofs-s1$ for d in ${NEW}/log ${NEW}/work ${NEW}/avs; do if [ -e "$d" ]; then chown -R leofs:leofs "$d" || exit 1; fi; done`]],
      ["remove-launch-temp-leofs-s1", "exec", true, ["leofs-s1$ rm -rf /tmp/usr"]],
      [
        "check-epmd-socket-leofs-s1",
        "check",
        false,
        ['leofs-s1$ state=$(systemctl is-active leofs-epmd.socket 2>/dev/null); echo "leofs-epmd.socket: ${state:-unknown}"; if [ "$state" = failed ]; then pgrep -a epmd || true; fi'],
      ],
      [
        "recover-epmd-socket-leofs-s1",
        "exec",
        true,
        [
          `leofs-s1$ set -- {{epmd_socket_failed_leofs_s1}}; if [ "$#" -eq 0 ]; then echo 'leofs-epmd.socket did not fail: nothing to recover'; exit 0; fi; ${GUARD}; ` +
            `set -- {{epmd_socket_pids_leofs_s1}}; if [ "$#" -gt 0 ]; then ${KILL}; fi; systemctl start leofs-epmd.socket`,
        ],
      ],
      // Re-runnable: ping || start, and the wait starts the node again if it died while booting (reference §2).
      ["start-storage-1-10-0-0-105", "exec", false, [`leofs-s1$ ${I}/leo_storage/bin/leo_storage ping >/dev/null 2>&1 || ${I}/leo_storage/bin/leo_storage start`]],
      ["wait-ready-storage-1-10-0-0-105", "exec", false, [`leofs-s1$ { ${I}/leo_storage/bin/leo_storage ping >/dev/null 2>&1 || ${I}/leo_storage/bin/leo_storage start; } && ${I}/leo_storage/bin/leo_storage wait_ready`]],
      ["resume-storage-1-10-0-0-105", "exec", false, [`${ADM} resume storage_1@10.0.0.105`]],
      ["wait-running-storage-1-10-0-0-105", "wait", false, [`${ADM} status`]],
      ["verify-status", "wait", false, [`${ADM} status`]],
      ["verify-versions", "check", false, [`${ADM} version all`]],
    ]);
  });

  it("checks the current link before (1.4.3) and after (1.4.4) the install", () => {
    const before = step("check-installed-version").expect!;
    const after = step("check-new-version-leofs-s1").expect!;
    const link = (target: string) => ({ exitCode: 0, stdout: `${target}\n`, stderr: "" });
    expect(evaluateExpectation(before, link("/usr/local/leofs/1.4.3")).ok).toBe(true);
    expect(evaluateExpectation(before, link("1.4.3")).ok).toBe(true);
    expect(evaluateExpectation(before, link("/usr/local/leofs/1.4.33")).ok).toBe(false);
    expect(evaluateExpectation(after, link("/usr/local/leofs/1.4.4")).ok).toBe(true);
    expect(evaluateExpectation(after, link("/usr/local/leofs/1.4.3")).ok).toBe(false);
  });

  it("captures epmd pids only as digits, and the kill is a no-op when there are none", () => {
    const check = step("check-epmd-leofs-s1");
    const listed = extractCaptures(check.captures!, "812 /usr/local/leofs/1.4.3/leo_storage/erts-8.3.5.3/bin/epmd -daemon\n4411 epmd -daemon\n");
    expect(listed).toEqual({ ok: true, values: { epmd_pids_leofs_s1: ["812", "4411"] } });
    const kill = step("kill-epmd-leofs-s1").targets[0]!.command!;
    expect(resolveCommand(kill, { epmd_pids_leofs_s1: ["812", "4411"] })).toMatch(/^set -- 812 4411; /);
    // Nothing listed: the resolved command stops at its first branch (run for real, it never reaches kill).
    const none = resolveCommand(kill, extractCaptures(check.captures!, "").ok ? { epmd_pids_leofs_s1: [] } : {});
    expect(execFileSync("/bin/sh", ["-c", none], { encoding: "utf8" })).toBe("no epmd runs on leofs-s1: nothing to kill\n");
    expect(kill).not.toMatch(/pkill/);
  });

  it("the epmd-socket recovery does nothing unless the check saw the socket failed", () => {
    const check = step("check-epmd-socket-leofs-s1");
    expect(extractCaptures(check.captures!, "leofs-epmd.socket: active\n")).toEqual({ ok: true, values: { epmd_socket_failed_leofs_s1: [], epmd_socket_pids_leofs_s1: [] } });
    expect(extractCaptures(check.captures!, "leofs-epmd.socket: failed\n977 epmd -daemon\n")).toEqual({
      ok: true,
      values: { epmd_socket_failed_leofs_s1: ["failed"], epmd_socket_pids_leofs_s1: ["977"] },
    });
    const recover = step("recover-epmd-socket-leofs-s1").targets[0]!.command!;
    const noop = resolveCommand(recover, { epmd_socket_failed_leofs_s1: [], epmd_socket_pids_leofs_s1: [] });
    expect(execFileSync("/bin/sh", ["-c", noop], { encoding: "utf8" })).toBe("leofs-epmd.socket did not fail: nothing to recover\n");
  });

  it("documents the choices where the seed is vague, and gates every destructive step with a reason", () => {
    expect(step("kill-epmd-leofs-s1").note).toMatch(/`pkill epmd` is replaced by `kill` of the pids/);
    expect(step("install-leofs-s1").note).toMatch(/Job for leofs-epmd\.socket failed/);
    expect(step("migrate-leofs-s1").note).toMatch(/moved, not copied/);
    // Point 13: past the install there is no automatic way back; the run message names the state and the manual one.
    expect(step("install-leofs-s1").rollback).toMatch(/^leofs-s1 has LeoFS 1\.4\.4 installed .* Way back: reinstall the LeoFS 1\.4\.3 package on leofs-s1 \(rpm -U --oldpackage\)/);
    expect(step("migrate-leofs-s1").rollback).toContain("move leo_storage/work, leo_storage/avs back to /usr/local/leofs/1.4.3");
    expect(step("backup-config-leofs-s1").backups).toEqual([{ host: "leofs-s1", path: `${BK}/leo_storage-etc`, what: "storage_1@10.0.0.105's etc/ of LeoFS 1.4.3, before the install" }]);
    for (const s of plan.steps.filter((x) => x.destructive)) expect(s.approvalDetail).toEqual(expect.any(String));
    const text = renderPlanText(plan);
    expect(text).toContain("25 steps, 7 destructive");
    expect(text).toContain("13. ⚠ Install LeoFS 1.4.4 on leofs-s1 (rpm -U) [exec, destructive, not re-runnable]\n   APPROVAL required before this step: Installs /var/cache/leofs-packages/leofs-1.4.4-1.el7.x86_64.rpm on leofs-s1");
    expect(text.match(/⚠ /g)?.length).toBe(8); // 7 steps + the legend
  });
});

describe("the install command's handling of the seed 002 epmd-socket failure (run with a stand-in rpm)", () => {
  const plan = planProcedure(upgrade, prodCluster(), "prod", { target: "storage_1@10.0.0.105", version: "1.4.4" }, NOW);
  const install = plan.steps.find((s) => s.id === "install-leofs-s1")!.targets[0]!.command!;
  let bin: string;
  beforeAll(() => {
    bin = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-rpm-"));
  });
  afterAll(() => fs.rmSync(bin, { recursive: true, force: true }));
  const runWith = (rpmScript: string) => {
    fs.writeFileSync(path.join(bin, "rpm"), `#!/bin/sh\n${rpmScript}\n`, { mode: 0o755 });
    return spawnSync("/bin/sh", ["-c", install], { encoding: "utf8", env: { PATH: `${bin}:/usr/bin:/bin` } });
  };

  it("passes a clean install, lets exactly the socket failure through, and fails on anything else", () => {
    expect(runWith('echo "installing $2"').status).toBe(0);
    const socket = runWith(`echo 'Job for leofs-epmd.socket failed. See "systemctl status leofs-epmd.socket" and "journalctl -xe" for details.'; exit 1`);
    expect(socket.status).toBe(0);
    expect(socket.stdout).toContain("the epmd-socket steps of this run recover it");
    const broken = runWith("echo 'error: Failed dependencies'; exit 1");
    expect(broken.status).toBe(1);
    expect(broken.stdout).toBe("error: Failed dependencies\n");
  });
});

describe("leofs.upgrade target=all", () => {
  it("on prod: slave and master stopped before either starts (master first), then the gateway, then storage one host at a time", () => {
    const plan = planProcedure(upgrade, prodCluster(), "prod", { target: "all", version: "1.4.4" }, NOW);
    const ids = plan.steps.map((s) => s.id);
    const at = (id: string) => ids.indexOf(id);
    expect(ids.filter((id) => /^(stop|start|install|resume|suspend)-/.test(id))).toEqual([
      "stop-manager-1-10-0-0-102",
      "stop-manager-0-10-0-0-101",
      "install-leofs-m1",
      "install-leofs-m0",
      "start-manager-0-10-0-0-101",
      "start-manager-1-10-0-0-102",
      "stop-gateway-0-10-0-0-103",
      "install-leofs-g0",
      "start-gateway-0-10-0-0-103",
      "suspend-storage-0-10-0-0-104",
      "stop-storage-0-10-0-0-104",
      "install-leofs-s0",
      "start-storage-0-10-0-0-104",
      "resume-storage-0-10-0-0-104",
      "suspend-storage-1-10-0-0-105",
      "stop-storage-1-10-0-0-105",
      "install-leofs-s1",
      "start-storage-1-10-0-0-105",
      "resume-storage-1-10-0-0-105",
      "suspend-storage-2-10-0-0-106",
      "stop-storage-2-10-0-0-106",
      "install-leofs-s2",
      "start-storage-2-10-0-0-106",
      "resume-storage-2-10-0-0-106",
    ]);
    expect(at("wait-running-storage-0-10-0-0-104")).toBeLessThan(at("suspend-storage-1-10-0-0-105"));
    const installM0 = plan.steps.find((s) => s.id === "install-leofs-m0")!;
    expect(installM0.targets.map((t) => t.host)).toEqual(["leofs-m0"]);
    expect(installM0.targets[0]?.command).toMatch(/^out=\$\(dpkg -i \/var\/cache\/leofs-packages\/leofs_1\.4\.4-1_ubuntu-18\.04_amd64\.deb 2>&1\)/);
    expect(plan.steps.find((s) => s.id === "check-rpm-single-version")?.targets.map((t) => t.host)).toEqual(["leofs-s0", "leofs-s1", "leofs-s2"]);
    expect(plan.steps.filter((s) => s.destructive).length).toBe(6 + 3 + 6 * 5); // stops, suspends, and per host: kill epmd, install, migrate, rm -rf, socket recovery
  });

  it("on the rooted simulator: a host's nodes go down together, paths carry the host root, custom paths are chowned", () => {
    const cluster = simWithPackages("");
    const custom = inventoryFrom(
      SIM_YAML.replace("      replicas: 2\n", "      replicas: 2\n      packageDir: /var/cache/leofs-packages\n").replace(
        "        backupDir: /var/backups/my intervene\n",
        "        backupDir: /var/backups/my intervene\n        avsDirs: [/mnt/avs]\n        logDirs: [/var/log/leofs]\n",
      ),
    ).clusters.sim as LeofsCluster;
    const plan = planProcedure(upgrade, cluster, "sim", { target: "storage_0@127.0.0.2", version: "1.4.4" }, NOW);
    const rows = new Map(planRows(plan).map((r) => [r[0], r[3]]));
    expect([...rows.keys()].filter((id) => /^(suspend|stop|start|resume)-/.test(id))).toEqual([
      "suspend-storage-0-127-0-0-2",
      "suspend-storage-1-127-0-0-2",
      "stop-storage-0-127-0-0-2",
      "stop-storage-1-127-0-0-2",
      "start-storage-0-127-0-0-2",
      "start-storage-1-127-0-0-2",
      "resume-storage-0-127-0-0-2",
      "resume-storage-1-127-0-0-2",
    ]);
    expect(plan.steps.find((s) => s.id === "stop-storage-1-127-0-0-2")?.approvalDetail).toMatch(/shares s0 with storage_0@127\.0\.0\.2, whose package upgrade replaces its version tree too/);
    expect(rows.get("check-stopped-s0")).toEqual([
      "s0$ { /srv/sim/s0/usr/local/leofs/current/leo_storage/bin/leo_storage ping; [ $? -eq 1 ]; } && { /srv/sim/s0/usr/local/leofs/current/leo_storage_1/bin/leo_storage ping; [ $? -eq 1 ]; }",
    ]);
    expect(rows.get("install-s0")?.[0]).toContain("rpm -Uvh /srv/sim/s0/var/cache/leofs-packages/leofs-1.4.4-1.el7.x86_64.rpm");
    expect(rows.get("remove-launch-temp-s0")).toEqual(["s0$ rm -rf /srv/sim/s0/tmp/usr"]);
    expect(rows.get("backup-config-s0")?.[0]).toContain("mkdir -p '/srv/sim/s0/var/backups/my intervene/sim/20240501T102030Z-upgrade-1.4.4'");

    const customPlan = planProcedure(upgrade, custom, "sim", { target: "storage_0@127.0.0.2", version: "1.4.4" }, NOW);
    const chown = customPlan.steps.find((s) => s.id === "chown-s0")!.targets[0]!.command!;
    expect(chown).toMatch(/ && chown -R leofs:leofs \/srv\/sim\/s0\/var\/log\/leofs \/srv\/sim\/s0\/mnt\/avs$/);
    // A customized absolute avs path is outside the version tree: not moved.
    expect(customPlan.steps.find((s) => s.id === "migrate-s0")!.targets[0]!.command).not.toContain("/avs ");
  });
});

describe("leofs.upgrade parameters and preconditions", () => {
  const problems = (params: unknown, cluster: LeofsCluster = prodCluster()): string[] => {
    try {
      planProcedure(upgrade, cluster, "prod", params, NOW);
    } catch (error) {
      if (error instanceof ParamError) return error.problems.map((p) => `${p.field}: ${p.message}`);
      throw error;
    }
    throw new Error("expected a ParamError");
  };

  it("refuses versions that are malformed or not newer", () => {
    expect(problems({ target: "all", version: "1.4.4; reboot" })).toEqual(['version: "1.4.4; reboot": write the new version as three numbers, e.g. 1.4.4']);
    expect(problems({ target: "all", version: "1.4.3" })).toEqual(["version: 1.4.3 is not newer than 1.4.3, the version the inventory says prod runs; upgrades only go forward"]);
    expect(problems({ target: "all", version: "1.3.8" })[0]).toMatch(/^version: 1\.3\.8 is not newer than 1\.4\.3/);
  });

  it("refuses targets that are not inventory nodes, listing them", () => {
    expect(problems({ target: "storage_9@10.0.0.109", version: "1.4.4" })).toEqual([
      "target: storage_9@10.0.0.109 is not a node of prod; write all or one of: manager_1@10.0.0.102, manager_0@10.0.0.101, gateway_0@10.0.0.103, storage_0@10.0.0.104, storage_1@10.0.0.105, storage_2@10.0.0.106",
    ]);
    expect(problems({ target: "$(reboot)", version: "1.4.4" })).toEqual(['target: "$(reboot)": write all, or a node name as name@host, e.g. storage_0@10.0.0.104']);
  });

  it("refuses a package path, a package for the wrong family or version, and one package for mixed deb/rpm hosts", () => {
    expect(problems({ target: "all", version: "1.4.4", package: "../../etc/passwd.deb" })[0]).toMatch(/^package: "\.\.\/\.\.\/etc\/passwd\.deb": write a file name in the inventory's packageDir/);
    expect(problems({ target: "storage_0@10.0.0.104", version: "1.4.4", package: "leofs_1.4.4-1_ubuntu-18.04_amd64.deb" })[0]).toMatch(/^package: leofs_1\.4\.4-1_ubuntu-18\.04_amd64\.deb does not fit rpm hosts/);
    expect(problems({ target: "storage_0@10.0.0.104", version: "1.4.4", package: "leofs-1.4.5-1.el7.x86_64.rpm" })[0]).toMatch(/does not fit rpm hosts and version 1\.4\.4/);
    expect(problems({ target: "all", version: "1.4.4", package: "leofs-1.4.4-1.el7.x86_64.rpm" })[0]).toMatch(/^package: the hosts to upgrade use both deb and rpm/);
    const plan = planProcedure(upgrade, prodCluster(), "prod", { target: "storage_0@10.0.0.104", version: "1.4.4", package: "leofs-1.4.4-2.el8.x86_64.rpm" }, NOW);
    expect(plan.steps.find((s) => s.id === "install-leofs-s0")?.targets[0]?.command).toContain("rpm -Uvh /var/cache/leofs-packages/leofs-1.4.4-2.el8.x86_64.rpm");
  });

  it("cannot run without packageDir, with a non-package installDir, or a launchTempDir too shallow to rm -rf", () => {
    const sim = inventoryFrom(SIM_YAML).clusters.sim as LeofsCluster;
    expect(() => planProcedure(upgrade, sim, "sim", { target: "all", version: "1.4.4" }, NOW)).toThrow(PreconditionError);
    expect(() => planProcedure(upgrade, sim, "sim", { target: "all", version: "1.4.4" }, NOW)).toThrow(/no leofs\.packageDir/);
    const base = simWithPackages();
    const odd = { ...base, leofs: { ...base.leofs, installDir: "/opt/leofs", paths: { ...base.leofs.paths, launchTempDir: "/tmp" } } };
    expect(() => planProcedure(upgrade, odd, "sim", { target: "all", version: "1.4.4" }, NOW)).toThrow(
      /installDir \/opt\/leofs is not a package layout[\s\S]*launchTempDir \/tmp is too shallow/,
    );
  });
});
