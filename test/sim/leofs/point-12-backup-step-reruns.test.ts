import fs from "node:fs";
import path from "node:path";
import { getProcedure } from "../../../src/procedures/catalog";
import { planProcedure } from "../../../src/procedures/planning/plan-procedure";
import { inventoryFrom, NOW } from "../../unit/procedures/inventory-fixture";
import { startLeofsSim, type LeofsSim } from "../../../sim/leofs/start-leofs-sim";

jest.setTimeout(90_000);

/**
 * Issue 11 point 12. Seed 000 Case 1's "move mnesia-files to another
 * directory (backup)" was `mkdir <backup> && mv <dir>/* <backup>/`: a Retry
 * after the move failed on `mkdir` (the directory exists), and an empty
 * Mnesia directory failed on the glob with no word of why. The step now
 * finds an already-moved set and says so, and refuses a missing set.
 */
describe("point 12: the Mnesia backup step can run again", () => {
  let sim: LeofsSim;
  let command: (target: "manager-master" | "manager-slave") => { host: string; command: string };

  beforeAll(async () => {
    sim = await startLeofsSim({ storage: 1, gateways: 0, replicas: 1, started: true, waitReady: { retries: 3, intervalSeconds: 0.05 } });
    const inventory = inventoryFrom(fs.readFileSync(sim.inventoryPath, "utf8"), sim.inventoryPath);
    const cluster = inventory.clusters[sim.clusterName];
    if (cluster?.kind !== "leofs") throw new Error("the sim inventory has no leofs cluster");
    command = (target) => {
      const plan = planProcedure(getProcedure("leofs.recover-manager"), cluster, sim.clusterName, { target }, NOW);
      const t = plan.steps.find((s) => s.id === `backup-${target}-mnesia`)?.targets[0];
      if (t?.command === undefined) throw new Error(`no backup step for ${target}`);
      return { host: t.host, command: t.command };
    };
    // As the procedure does before the move: both managers stopped.
    for (const host of ["leofs-m1", "leofs-m0"]) expect((await sim.exec(host, `${sim.host(host).launchScript} stop`)).code).toBe(0);
  });
  afterAll(async () => {
    await sim?.stop();
  });

  const mnesia = (host: string) => path.join(sim.host(host).nodeDir, "work", "mnesia", "127.0.0.1");

  it("a Retry after the move finds the set in the backup and succeeds without touching it", async () => {
    const { host, command: move } = command("manager-slave");
    const before = fs.readdirSync(mnesia(host)).sort();
    expect(before).toContain("schema.DAT");

    const first = await sim.exec(host, move);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`^moved ${before.length} entries to /.*-manager-slave-mnesia\\n$`));
    expect(fs.readdirSync(mnesia(host))).toEqual([]);

    const retry = await sim.exec(host, move);
    expect(retry).toMatchObject({ code: 0, stderr: "" });
    expect(retry.stdout).toMatch(/^intervene: \/.*-manager-slave-mnesia already holds the set, moved by an earlier attempt: nothing to do\n$/);
    const backup = retry.stdout.replace(/^intervene: (\S+) already.*\n$/s, "$1");
    expect(fs.readdirSync(backup).sort()).toEqual(before);
  });

  it("an empty Mnesia directory with no backup is refused with a message, not a glob error", async () => {
    const { host, command: move } = command("manager-master");
    for (const f of fs.readdirSync(mnesia(host))) fs.rmSync(path.join(mnesia(host), f), { recursive: true });
    const r = await sim.exec(host, move);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^intervene: refusing: no files in \S+ nor in \S+-manager-master-mnesia: no set to back up; check the Mnesia path\n$/);
    expect(r.stderr).not.toContain("No such file");
  });
});
