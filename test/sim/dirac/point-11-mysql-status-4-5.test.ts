import fs from "node:fs";
import path from "node:path";
import { getProcedure } from "../../../src/procedures/catalog";
import { planProcedure } from "../../../src/procedures/planning/plan-procedure";
import { inventoryFrom, NOW } from "../../unit/procedures/inventory-fixture";
import { startDiracSim, type DiracSim } from "../../../sim/dirac/start-dirac-sim";

jest.setTimeout(60_000);

const DB = "volhcb21";

/**
 * Issue 11 point 11. Without a PID file, `mysql.server status` looks for
 * mysqld with pidof and exits 4 ("running but PID file could not be found")
 * or 5 ("Multiple MySQL running …") (mysql/mysql-server
 * support-files/mysql.server.sh, 'status'). The intervention's start step
 * used to run `status || start`, which starts a second server on a datadir
 * whose InnoDB files are held; its stop step trusted `stop`, which exits 0
 * without a PID file. Both now refuse and say how to go on.
 */
describe("point 11: mysql.server status exit codes 4 and 5", () => {
  let sim: DiracSim;
  let commandOf: (stepId: string) => string;

  beforeAll(async () => {
    // The inventory needs its framework services box; the database box is the one under test.
    const services = { name: "volhcb22", roles: ["services" as const], frameworkServer: true, components: ["Framework_SystemAdministrator"] };
    sim = await startDiracSim({ boxes: [{ name: DB, roles: ["databases"] }, services], firstAddress: 90 });
    const inventory = inventoryFrom(fs.readFileSync(sim.inventoryPath, "utf8"), sim.inventoryPath);
    const cluster = inventory.clusters[sim.cluster];
    if (cluster?.kind !== "dirac") throw new Error("the sim inventory has no dirac cluster");
    const plan = planProcedure(getProcedure("dirac.intervention"), cluster, sim.cluster, {}, NOW);
    commandOf = (stepId) => {
      const target = plan.steps.find((s) => s.id === stepId)?.targets.find((t) => t.host === DB);
      if (target?.command === undefined) throw new Error(`no ${stepId} command on ${DB}`);
      return target.command;
    };
  });
  afterAll(async () => {
    await sim?.stop();
  });

  const errLog = () => fs.readFileSync(path.join(path.dirname(sim.box(DB).mysqlPidFile), `${DB}.err`), "utf8");

  it("exit 4: the sim finds the running mysqld without its PID file; start and stop steps refuse and start no second server", async () => {
    const server = sim.box(DB).mysqlServer;
    const pid = fs.readFileSync(sim.box(DB).mysqlPidFile, "utf8").trim();
    fs.rmSync(sim.box(DB).mysqlPidFile);
    expect(await sim.exec(DB, `${server} status`)).toEqual({ code: 4, stdout: " ERROR! MySQL is running but PID file could not be found\n", stderr: "" });

    const start = await sim.exec(DB, commandOf("start-databases"));
    expect(start.code).toBe(4);
    expect(start.stderr).toContain(`intervene: a mysqld runs on ${DB} without its PID file (status exit 4)`);
    expect(start.stdout).not.toContain("Starting MySQL");
    expect(errLog()).not.toContain("Unable to lock");

    const stop = await sim.exec(DB, commandOf("stop-databases"));
    expect(stop.code).toBe(4);
    expect(stop.stdout).not.toContain("PID file could not be found!");
    // The server the sim started is still the one running, untouched.
    expect((await sim.exec(DB, `kill -0 ${pid} && echo alive`)).stdout).toBe("alive\n");

    const check = await sim.exec(DB, commandOf("check-databases-started"));
    expect(check.code).toBe(4);
    expect(check.stderr).toContain("mysqladmin shutdown");

    // What `status || start` did before: the second mysqld fails on InnoDB's lock.
    const second = await sim.exec(DB, `${server} start`);
    expect(second.code).toBe(1);
    expect(second.stdout).toContain("The server quit without updating PID file");
    expect(errLog()).toContain("[ERROR] InnoDB: Unable to lock ./ibdata1, error: 11");
    fs.writeFileSync(sim.box(DB).mysqlPidFile, `${pid}\n`);
  });

  it("exit 5: two mysqld's without PID files are named, and the start step refuses", async () => {
    const box = sim.box(DB);
    const otherData = path.join(box.hostRoot, "var", "lib", "mysql-second");
    fs.mkdirSync(otherData, { recursive: true });
    const safe = path.join(box.instanceRoot, "pro", "mysql", "bin", "mysqld_safe");
    expect((await sim.exec(DB, `${safe} --datadir=${otherData} --pid-file=${otherData}/second.pid >/dev/null 2>&1 &`)).code).toBe(0);
    const pidIn = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim() : "");
    await sim.waitFor(() => /^\d+$/.test(pidIn(path.join(otherData, "second.pid"))), "the second mysqld's PID file");
    const first = pidIn(box.mysqlPidFile);
    const second = pidIn(path.join(otherData, "second.pid"));
    // Both are real pids of this test's servers: never signal 0 (the process group).
    expect(first).toMatch(/^[1-9]\d*$/);
    expect(second).toMatch(/^[1-9]\d*$/);
    fs.rmSync(box.mysqlPidFile);

    const status = await sim.exec(DB, `${box.mysqlServer} status`);
    expect(status.code).toBe(5);
    expect(status.stdout).toBe(` ERROR! Multiple MySQL running but PID file could not be found (${[first, second].sort((a, b) => Number(a) - Number(b)).join(" ")})\n`);

    const start = await sim.exec(DB, commandOf("start-databases"));
    expect(start.code).toBe(5);
    expect(start.stderr).toContain(`intervene: a mysqld runs on ${DB} without its PID file (status exit 5)`);
    fs.writeFileSync(box.mysqlPidFile, `${first}\n`);
    // The second server was started by this test: stopped by its pid, it removes its PID file.
    process.kill(Number(second), "SIGTERM");
    await sim.waitFor(() => !fs.existsSync(path.join(otherData, "second.pid")), "the second mysqld gone");
  });

  it("exits 0 to 3 keep their meaning: the start step leaves a running server alone and starts a stopped one", async () => {
    const server = sim.box(DB).mysqlServer;
    const running = await sim.exec(DB, commandOf("start-databases"));
    expect(running.code).toBe(0);
    expect(running.stdout).toMatch(/^ SUCCESS! MySQL running \(\d+\)\n$/);
    expect((await sim.exec(DB, commandOf("stop-databases"))).stdout).toMatch(/Shutting down MySQL\.+ SUCCESS!/);
    expect((await sim.exec(DB, commandOf("verify-databases-stopped"))).code).toBe(3);
    const started = await sim.exec(DB, commandOf("start-databases"));
    expect(started.code).toBe(0);
    expect(started.stdout).toMatch(/ ERROR! MySQL is not running\nStarting MySQL\.+ SUCCESS! \n$/);
    expect((await sim.exec(DB, `${server} status`)).code).toBe(0);
  });
});
