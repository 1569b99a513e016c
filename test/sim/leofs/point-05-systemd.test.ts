import fs from "node:fs";
import { getProcedure } from "../../../src/procedures/catalog";
import { PreconditionError } from "../../../src/procedures/procedure-errors";
import { planProcedure } from "../../../src/procedures/planning/plan-procedure";
import { inventoryFrom, NOW } from "../../unit/procedures/inventory-fixture";
import { leofsAdm, startLeofsSim, type LeofsSim } from "../../../sim/leofs/start-leofs-sim";

jest.setTimeout(120_000);

/**
 * Issue 11 point 5. Under systemd the packages' units run the nodes
 * (leo-project/leofs 1.4.4 rel/service/leofs-*.service: Type=notify,
 * ExecStart=… foreground_start, Restart=on-failure, RestartSec=20), and
 * mixing them with the launch scripts' start/stop is not supported
 * (docs/admin/system_operations/systemd.md). The simulator's systemctl
 * restarts a VM that died, leaves one stopped by `stop` down, and fails a
 * start over a node the launch script started. The procedures use systemctl
 * and refuse to mix.
 */
describe("point 5: systemd-managed hosts", () => {
  let sim: LeofsSim;
  beforeAll(async () => {
    sim = await startLeofsSim({ storage: 1, gateways: 0, replicas: 1, started: true, service: "systemd", waitReady: { retries: 20, intervalSeconds: 0.05 } });
  });
  afterAll(async () => {
    await sim?.stop();
  });

  const plans = () => {
    const inventory = inventoryFrom(fs.readFileSync(sim.inventoryPath, "utf8"), sim.inventoryPath);
    const cluster = inventory.clusters[sim.clusterName];
    if (cluster?.kind !== "leofs") throw new Error("no leofs cluster in the sim inventory");
    return { cluster, plan: (id: string, params: Record<string, unknown>) => planProcedure(getProcedure(id), cluster, sim.clusterName, params, NOW) };
  };
  const waitFor = async (what: string, check: () => Promise<boolean>): Promise<void> => {
    for (let i = 0; i < 200; i++) {
      if (await check()) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  it("the cluster runs under its units; a killed VM is restarted (Restart=on-failure), a stopped one stays down", async () => {
    const s0 = sim.hostOf("storage", 0);
    const m0 = sim.hostOf("manager-master");
    for (const [h, unit] of [[m0, "leofs-manager-master"], [sim.hostOf("manager-slave"), "leofs-manager-slave"], [s0, "leofs-storage"]] as const) {
      expect(await sim.exec(h.name, `systemctl is-active ${unit}`)).toEqual({ code: 0, stdout: "active\n", stderr: "" });
    }
    const before = await sim.state.nodePid(s0.node);
    expect(before).toBeGreaterThan(0);
    // A crash (SIGKILL through the sim's kill, by pid): systemd restarts it after RestartSec.
    expect((await sim.exec(s0.name, `kill -9 ${before}`)).code).toBe(0);
    await waitFor("the restart", async () => {
      const pid = await sim.state.nodePid(s0.node);
      return pid !== undefined && pid !== before && (await sim.exec(s0.name, "systemctl is-active leofs-storage")).stdout === "active\n";
    });
    expect((await sim.exec(s0.name, "systemctl status leofs-storage")).stdout).toContain("Main process exited, code=killed");

    // `systemctl stop` runs ExecStop (`leo_storage stop`): down, and nothing restarts it.
    expect((await sim.exec(s0.name, "systemctl stop leofs-storage")).code).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await sim.exec(s0.name, "systemctl is-active leofs-storage")).toEqual({ code: 3, stdout: "inactive\n", stderr: "" });
    expect((await sim.exec(s0.name, `${s0.launchScript} ping`)).code).toBe(1);
  });

  it("the resume plan uses systemctl and its start step refuses a node the launch script started", async () => {
    const s0 = sim.hostOf("storage", 0);
    const m0 = sim.hostOf("manager-master");
    const { plan } = plans();
    const resume = plan("leofs.storage", { operation: "resume", node: s0.node });
    const commands = resume.steps.flatMap((s) => s.targets.map((t) => t.command ?? ""));
    expect(commands.some((c) => c.includes("systemctl start --no-block leofs-storage"))).toBe(true);
    // Never the launch scripts' start or stop (outside the quoted text the refusal prints).
    expect(commands.filter((c) => /bin\/leo_storage (start|stop)\b/.test(c.replace(/'[^']*'/g, "''")))).toEqual([]);
    const start = resume.steps.find((s) => s.id === "start-node")?.targets[0]?.command ?? "";
    const wait = resume.steps.find((s) => s.id === "wait-ready")?.targets[0]?.command ?? "";

    // Mixing: the node started by its launch script.
    expect((await sim.exec(s0.name, `${s0.launchScript} start`)).code).toBe(0);
    const refused = await sim.exec(s0.name, start);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`intervene: ${s0.node} answers ping but leofs-storage is inactive: it was started by the launch script`);
    // What the refusal avoids: foreground_start fails, and Restart=on-failure keeps trying.
    const mixed = await sim.exec(s0.name, "systemctl start leofs-storage");
    expect(mixed.code).toBe(1);
    expect(mixed.stderr).toContain("Job for leofs-storage.service failed because the control process exited with error code.");
    expect((await sim.exec(s0.name, "systemctl is-active leofs-storage")).stdout).toBe("activating\n");
    expect((await sim.exec(s0.name, "systemctl status leofs-storage")).stdout).toContain("Node is already running!");
    // The unit stopped does not stop a node it does not own; the plan's stop says so.
    const stop = plan("leofs.storage", { operation: "suspend", node: s0.node }).steps.find((s) => s.id === "stop-node")?.targets[0]?.command ?? "";
    const stopped = await sim.exec(s0.name, stop);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toContain("still answers ping after systemctl stop leofs-storage: it was started by the launch script");

    // Back under systemd: stopped once by hand, the plan's steps start it through its unit.
    expect((await sim.exec(s0.name, `${s0.launchScript} stop`)).code).toBe(0);
    expect((await sim.exec(s0.name, start)).code).toBe(0);
    const ready = await sim.exec(s0.name, wait);
    expect(ready).toEqual({ code: 0, stdout: "", stderr: "" });
    expect((await sim.exec(s0.name, "systemctl is-active leofs-storage")).stdout).toBe("active\n");
    await waitFor("storage running again", async () => (await sim.exec(m0.name, leofsAdm("status"))).stdout.includes("running"));
  });

  it("the down check refuses a node that systemd will restart, and force_load is refused under systemd", async () => {
    const m1 = sim.hostOf("manager-slave");
    const { plan } = plans();
    const recover = plan("leofs.recover-manager", { target: "manager-slave" });
    const probe = recover.steps.find((s) => s.id === "check-managers-stopped")?.targets.find((t) => t.host === m1.name)?.command ?? "";
    expect(probe).toContain("systemctl is-active leofs-manager-slave");

    // A crash while the operator thinks it is down: the unit waits to restart it.
    await sim.sim("config", "systemd_restart_sec", "30");
    const pid = await sim.state.nodePid(m1.node);
    expect((await sim.exec(m1.name, `kill -9 ${pid}`)).code).toBe(0);
    await waitFor("the unit waiting to restart", async () => (await sim.exec(m1.name, "systemctl is-active leofs-manager-slave")).stdout === "activating\n");
    const early = await sim.exec(m1.name, probe);
    expect(early.code).toBe(2);
    expect(early.stderr).toContain("systemd keeps manager_1@");
    // Stopped through its unit: the probe reports it down (exit 1, the DOWN expectation).
    expect((await sim.exec(m1.name, "systemctl stop leofs-manager-slave")).code).toBe(0);
    const down = await sim.exec(m1.name, probe);
    expect(down.code).toBe(1);
    expect(down.stdout).toContain("leofs-manager-slave: inactive");
    expect(down.stdout).toContain("Cannot connect Node");

    expect(() => plan("leofs.launch", { forceStart: "slave" })).toThrow(PreconditionError);
    expect(() => plan("leofs.launch", { forceStart: "slave" })).toThrow(/runs LeoFS under systemd \(leofs-manager-slave: ExecStart=… foreground_start takes no arguments\)/);
    await sim.sim("config", "systemd_restart_sec", "0.5");
    expect((await sim.exec(m1.name, recover.steps.find((s) => s.id === "wait-ready-manager-slave")?.targets[0]?.command ?? "")).code).toBe(0);
  });
});
