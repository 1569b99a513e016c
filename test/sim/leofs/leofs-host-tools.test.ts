import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { leofsAdm, startLeofsSim, type LeofsSim } from "../../../sim/leofs/start-leofs-sim";
import type { SimExecResult } from "../../../sim/leofs/sim-ssh-exec";
import { eventuallyTrue } from "../../helpers/eventually";

// Host tools behind the PATH shims (seed 002: pgrep/pkill epmd, dpkg, rpm,
// systemctl, chown, the launch scripts' temp dir) on a started one-storage cluster.
const reply = (stdout: string, code = 0, stderr = ""): SimExecResult => ({ stdout, stderr, code });
const S0 = "storage_0@127.0.0.12";
const EPMD_FAIL = 'Job for leofs-epmd.socket failed. See "systemctl status leofs-epmd.socket" and "journalctl -xe" for details.';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("host tools on a simulated LeoFS host", () => {
  let sim: LeofsSim;
  const onS0 = (cmd: string): Promise<SimExecResult> => sim.exec("leofs-s0", cmd);
  const storage = (cmd: string): Promise<SimExecResult> => onS0(`${sim.host("leofs-s0").launchScript} ${cmd}`);
  const stateOfS0 = async (): Promise<string> => (await sim.state.nodeStates()).find((r) => r.node === S0)?.state ?? "absent";

  beforeAll(async () => {
    sim = await startLeofsSim({ storage: 1, gateways: 0, replicas: 1, started: true });
  });
  afterAll(async () => {
    await sim.stop();
  });

  describe("a real process named epmd outside the simulator", () => {
    let realDir: string;
    let real: ChildProcess;

    beforeAll(() => {
      realDir = fs.mkdtempSync(path.join(os.tmpdir(), "real-epmd-"));
      fs.copyFileSync("/bin/sleep", path.join(realDir, "epmd"));
      fs.chmodSync(path.join(realDir, "epmd"), 0o755);
      real = spawn(path.join(realDir, "epmd"), ["600"], { stdio: "ignore" });
    });
    afterAll(() => {
      if (real.pid !== undefined && alive(real.pid)) process.kill(real.pid, "SIGKILL");
      fs.rmSync(realDir, { recursive: true, force: true });
    });

    it("survives pgrep/kill/pkill/sudo on the simulated host; only the sim's epmd dies", async () => {
      const realPid = real.pid ?? -1;
      expect(alive(realPid)).toBe(true);
      const [simEpmd] = await sim.state.epmdPids("leofs-s0");
      expect(simEpmd).toBeGreaterThan(0);

      expect(await onS0("pgrep -a epmd")).toEqual(reply(`${simEpmd} /usr/local/leofs/1.4.3/leo_storage/erts-8.3.5.3/bin/epmd -daemon\n`));
      const refused = await onS0(`kill ${realPid}`);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`kill: (${realPid}) - No such process`);
      expect((await onS0(`sudo kill -9 ${realPid}`)).code).toBe(1);
      expect(alive(realPid)).toBe(true);

      // seed 002: killing epmd under a running node leaves it unreachable until restarted
      expect(await onS0("pkill epmd")).toEqual(reply(""));
      expect(alive(realPid)).toBe(true);
      expect(await onS0("pgrep -a epmd")).toEqual(reply("", 1));
      expect(await onS0("pkill -9 epmd")).toEqual(reply("", 1));
      expect(await storage("ping")).toEqual(reply(`Cannot connect Node '${S0}'\n`, 1));
      expect(await storage("stop")).toEqual(reply(`Cannot connect Node '${S0}'\n`, 1));

      const beam = await sim.state.nodePid(S0);
      expect(await onS0(`pgrep beam`)).toEqual(reply(`${beam}\n`));
      expect(await onS0(`kill ${beam}`)).toEqual(reply(""));
      await eventuallyTrue("the killed VM's node state to be stop", async () => (await stateOfS0()) === "stop");
      expect(await storage("start")).toEqual(reply(""));
      expect(await stateOfS0()).toBe("running");
      expect(alive(realPid)).toBe(true);
    });
  });

  it("`systemctl start leofs-epmd.socket` and `dpkg -i` fail while an epmd runs, and succeed after pkill epmd", async () => {
    const pkg = (await sim.sim("stage-package", "leofs-s0", "1.4.4", "deb")).trim();
    expect(await storage("stop")).toEqual(reply("ok\n"));
    // epmd outlives the node, as a real one does
    expect((await onS0("pgrep epmd")).code).toBe(0);
    expect(await onS0("systemctl start leofs-epmd.socket")).toEqual(reply("", 1, `${EPMD_FAIL}\n`));

    const install = await onS0(`dpkg -i ${pkg}`);
    expect(install.code).toBe(1);
    expect(install.stdout).toContain(`Unpacking leofs (1.4.4-1) over (1.4.3-1) ...\nSetting up leofs (1.4.4-1) ...\n${EPMD_FAIL}\n`);
    expect(install.stderr).toContain("dpkg: error processing package leofs (--install):");
    expect((await onS0("systemctl status leofs-epmd.socket")).stdout).toContain("Active: failed");

    expect(await onS0("pkill epmd")).toEqual(reply(""));
    expect(await onS0("systemctl start leofs-epmd.socket")).toEqual(reply(""));
    expect((await onS0(`dpkg -i ${pkg}`)).code).toBe(0);
    expect(await sim.state.installedVersions("leofs-s0")).toEqual(["1.4.4-1"]);
    expect((await onS0("dpkg -l leofs")).stdout).toMatch(/^ii {2}leofs +1\.4\.4-1 +amd64/m);
    const root = sim.host("leofs-s0").root;
    expect((await onS0(`readlink ${root}/usr/local/leofs/current`)).stdout).toBe("1.4.4\n");
    // the new package ships default configs: the node name must be carried over
    expect((await onS0(`grep '^nodename' ${root}/usr/local/leofs/1.4.4/leo_storage/etc/leo_storage.conf`)).stdout).toBe("nodename = storage_0@127.0.0.1\n");
    const copy = `cp ${root}/usr/local/leofs/1.4.3/leo_storage/etc/leo_storage.conf ${root}/usr/local/leofs/1.4.4/leo_storage/etc/`;
    expect((await onS0(copy)).code).toBe(0);
    expect(await storage("start")).toEqual(reply(""));
    expect(await stateOfS0()).toBe("running");
    const versions = await sim.exec("leofs-m0", leofsAdm("version", "all"));
    expect(versions.stdout).toContain(`  S    | ${S0}      | 1.4.4                            | \r\n`);
  });

  it("rpm -q lists every installed version; rpm -U leaves only the new one", async () => {
    await sim.fault.rpmVersions("leofs-s0", ["1.4.2", "1.4.3"]);
    expect(await onS0("rpm -q leofs")).toEqual(reply("leofs-1.4.2-1.el7.x86_64\nleofs-1.4.3-1.el7.x86_64\n"));
    const pkg = (await sim.sim("stage-package", "leofs-s0", "1.4.4", "rpm")).trim();
    expect(await storage("stop")).toEqual(reply("ok\n"));
    expect(await onS0(`rpm -Uvh ${pkg}`)).toMatchObject({ code: 1 });
    expect(await onS0("pkill epmd")).toEqual(reply(""));
    const up = await onS0(`rpm -Uvh ${pkg}`);
    expect(up.code).toBe(0);
    expect(await onS0("rpm -q leofs")).toEqual(reply("leofs-1.4.4-1.el7.x86_64\n"));
    await sim.fault.clear("rpm-versions", "leofs-s0");
  });

  it("a stale root-owned launch temp dir makes start fail silently until it is removed", async () => {
    const root = sim.host("leofs-s0").root;
    expect(await storage("ping")).toEqual(reply(`Cannot connect Node '${S0}'\n`, 1));
    await sim.fault.stalePipeDir("leofs-s0");
    expect(await sim.state.ownerOf("leofs-s0", `${root}/tmp/usr`)).toBe("root");
    expect(await storage("start")).toEqual(reply("", 1));
    expect(await storage("ping")).toEqual(reply(`Cannot connect Node '${S0}'\n`, 1));
    const messages = await onS0(`cat ${root}/var/log/messages`);
    expect(messages.stdout).toContain("errno=13 'Permission denied'");
    expect(messages.stdout).toContain("Failed to create FIFO /tmp/usr/local/leofs/1.4.4/leo_storage/erlang.pipe.1.r");
    expect(await onS0(`rm -rf ${root}/tmp/usr`)).toEqual(reply(""));
    expect(await storage("start")).toEqual(reply(""));
    expect(await sim.state.ownerOf("leofs-s0", `${root}/tmp/usr`)).toBe("leofs");
    expect(await stateOfS0()).toBe("running");
  });

  it("backup-mnesia needs a directory writable by leofs; chown is recorded inside the host root only", async () => {
    const root = sim.host("leofs-m0").root;
    const dir = `${root}/var/backups/intervene`;
    const file = `${dir}/mnesia.bak`;
    expect(await sim.exec("leofs-m0", leofsAdm("backup-mnesia", file))).toEqual(reply(`[ERROR] {error,{file_error,"${file}",enoent}}\r\n`));
    expect(await sim.exec("leofs-m0", `mkdir -p ${dir}`)).toEqual(reply(""));
    expect(await sim.exec("leofs-m0", leofsAdm("backup-mnesia", file))).toEqual(reply(`[ERROR] {error,{file_error,"${file}",eacces}}\r\n`));
    expect(await sim.exec("leofs-m0", `chown -R leofs:leofs ${dir}`)).toEqual(reply(""));
    expect(await sim.exec("leofs-m0", leofsAdm("backup-mnesia", file))).toEqual(reply("OK\r\n"));
    expect(await sim.state.ownerOf("leofs-m0", file)).toBe("leofs");
    const outside = await sim.exec("leofs-m0", `chown leofs ${os.tmpdir()}`);
    expect(outside.code).toBe(1);
    expect(outside.stderr).toContain("refuses to change ownership outside the simulated host root");
  });
});
