import fs from "node:fs";
import path from "node:path";
import { leofsAdm, startLeofsSim, type LeofsSim } from "../../../sim/leofs/start-leofs-sim";

jest.setTimeout(90_000);

/**
 * Issue 11 point 1. `leofs-adm backup-mnesia` checkpoints 11 tables and
 * leaves out leo_ring_cur/prv and leo_members_cur/prv (leo-project/leofs
 * 1.4.4 apps/leo_manager/src/leo_manager_mnesia.erl backup/1), so a pair
 * restored from it has no ring. The launch script's dump-mnesia-data /
 * load-mnesia-data (OTP mnesia_text.erl dump_to_textfile/1, load_textfile/1)
 * carry every table; that is what leofs.takeover-manager now uses
 * (test/e2e/procedures/takeover.test.ts runs it through the engine).
 */
describe("point 1: takeover must carry the ring and the members", () => {
  let sim: LeofsSim;
  beforeAll(async () => {
    sim = await startLeofsSim({ storage: 2, gateways: 1, replicas: 2, started: true, mnesiaCreateDelaySeconds: 0.2, waitReady: { retries: 3, intervalSeconds: 0.05 } });
  });
  afterAll(async () => {
    await sim?.stop();
  });

  const master = () => sim.hostOf("manager-master");
  const adm = (...args: string[]) => sim.exec(master().name, leofsAdm(...args));
  const ringHashes = async (): Promise<string> => {
    const out = (await adm("status")).stdout;
    return ["current", "previous"].map((w) => new RegExp(`^\\s*${w} ring-hash \\| ?(\\S*)\\s*$`, "m").exec(out)?.[1] ?? "?").join(" ");
  };

  async function freshPair(): Promise<void> {
    for (const h of [sim.hostOf("manager-slave"), master()]) expect((await sim.exec(h.name, `${h.launchScript} stop`)).code).toBe(0);
    for (const h of [master(), sim.hostOf("manager-slave")]) {
      const dir = path.join(h.nodeDir, "work", "mnesia", "127.0.0.1");
      for (const f of fs.readdirSync(dir)) fs.rmSync(path.join(dir, f), { recursive: true });
    }
    for (const h of [master(), sim.hostOf("manager-slave")]) expect((await sim.exec(h.name, `${h.launchScript} start && ${h.launchScript} wait_ready`)).code).toBe(0);
    for (let i = 0; (await adm("status")).stdout.startsWith("[ERROR] Mnesia is not available"); i++) {
      if (i > 100) throw new Error("the fresh pair's tables never appeared");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it("backup-mnesia leaves ring and members out, so a restored pair has no ring; dump/load-mnesia-data brings the same ring hashes back", async () => {
    const before = await ringHashes();
    expect(before).toMatch(/^[0-9a-f]{8} [0-9a-f]{8}$/);
    const dir = path.join(master().root, "var", "backups", "point-01");
    expect((await sim.exec(master().name, `mkdir -p ${dir} && chown leofs:leofs ${dir}`)).code).toBe(0);
    expect((await adm("backup-mnesia", `${dir}/m.bak`)).stdout).toBe("OK\r\n");
    const backupTables = fs.readFileSync(`${dir}/m.bak`, "utf8").split("\n").filter((l) => l.startsWith("%% table ")).map((l) => l.slice(9));
    expect(backupTables).toEqual(["leo_system_conf.DCD", "leo_storage_nodes.DCD", "leo_gateway_nodes.DCD"]);
    expect((await sim.exec(master().name, `${master().launchScript} dump-mnesia-data ${dir}/m.txt`))).toEqual({ code: 0, stdout: "", stderr: "" });
    const dumpTables = fs.readFileSync(`${dir}/m.txt`, "utf8").split("\n").filter((l) => l.startsWith("%% table ")).map((l) => l.slice(9));
    expect(dumpTables).toEqual(expect.arrayContaining(["leo_ring_cur.DCD", "leo_ring_prv.DCD", "leo_members_cur.DCD", "leo_members_prev.DCD"]));

    await freshPair();
    expect((await adm("restore-mnesia", `${dir}/m.bak`)).stdout).toBe("OK\r\n");
    expect(await ringHashes()).not.toBe(before);

    await freshPair();
    const load = await sim.exec(master().name, `${master().launchScript} load-mnesia-data ${dir}/m.txt`);
    expect(load.code).toBe(1);
    expect(load.stdout).toContain(`** Table leo_ring_cur already exists on '${master().node}', just entering data\n`);
    expect(load.stdout).toContain(`** Table leo_members_cur already exists on '${master().node}', just entering data\n`);
    expect(await ringHashes()).toBe(before);
    const states = await sim.state.nodeStates();
    expect(states.filter((r) => r.type === "S").map((r) => r.state)).toEqual(["running", "running"]);
  });
});
