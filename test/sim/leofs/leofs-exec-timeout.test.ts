import { spawn } from "node:child_process";
import fs from "node:fs";
import { loadInventory } from "../../../src/config";
import { sshTargetFor } from "../../../src/jobs";
import { SshPool } from "../../../src/ssh";
import { startLeofsSim, type LeofsSim } from "../../../sim/leofs/start-leofs-sim";

jest.setTimeout(60_000);

function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

/**
 * The simulated hosts replace `kill` with a shim that signals only sim-scoped
 * processes; the product's SSH executor still has to be able to end a
 * timed-out command's process group there, exactly as on a real host.
 */
describe("a timed-out command on a simulated LeoFS host", () => {
  let sim: LeofsSim;
  const pool = new SshPool();
  beforeAll(async () => {
    sim = await startLeofsSim({ storage: 1, gateways: 0, replicas: 1 });
  });
  afterAll(async () => {
    await pool.close();
    await sim.stop();
  });

  const target = () => {
    const inventory = loadInventory({ inventoryFile: sim.inventoryPath, ssh: { privateKeyFile: sim.privateKeyPath, knownHostsFile: sim.knownHostsPath } });
    return sshTargetFor(inventory, { cluster: sim.clusterName, host: "leofs-m0" });
  };

  it("is killed with its whole process group, through the sim's kill shim", async () => {
    const result = await pool.exec(target(), "echo $$; sleep 30 & sleep 30; echo never", { timeoutMs: 800 });
    expect(result.timedOut).toBe(true);
    expect(result.cleanup).toBe("killed");
    const leader = Number(result.stdout.trim().split("\n")[0]);
    expect(alive(leader)).toBe(false);
  });

  it("cannot be used to signal a process group outside the simulated host", async () => {
    const outsider = spawn("sleep", ["30"], { detached: true, stdio: "ignore" });
    try {
      const pgid = outsider.pid!;
      const result = await pool.exec(target(), `kill -TERM -- -${pgid}; kill -TERM -${pgid}`, { timeoutMs: 5_000 });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain("leofs-sim only signals processes of simulated host leofs-m0");
      expect(alive(pgid)).toBe(true);
    } finally {
      process.kill(outsider.pid!, "SIGKILL");
    }
  });
});
