import fs from "node:fs";
import path from "node:path";
import { startDiracSim, type DiracSim } from "../../../sim/dirac/start-dirac-sim";

// MySQL on a DIRAC database box (seed 003 §3 and §4), through the instance's
// own mysql.server over SSH: messages, dots and exit codes of MySQL 5.x.
const DB = "volhcb21";

jest.setTimeout(60_000);

describe("mysql.server on a simulated DIRAC database box", () => {
  let sim: DiracSim;
  let server: string;
  let pidFile: string;

  beforeAll(async () => {
    sim = await startDiracSim({ boxes: [{ name: DB, roles: ["databases"], innodbJournal: true }] });
    server = sim.box(DB).mysqlServer;
    pidFile = sim.box(DB).mysqlPidFile;
  });

  afterAll(async () => {
    await sim.stop();
  });

  const run = (command: string) => sim.exec(DB, command);

  it("reports the running server with the pid from its pid file", async () => {
    expect(sim.state.mysqlRunning(DB)).toBe(true);
    const pid = fs.readFileSync(pidFile, "utf8").trim();
    expect(await run(`${server} status`)).toEqual({ code: 0, stdout: ` SUCCESS! MySQL running (${pid})\n`, stderr: "" });
  });

  it("stops with dots and SUCCESS, then says it is not running (exit 3), and a second stop finds no PID file (exit 0)", async () => {
    const stop = await run(`${server} stop`);
    expect(stop.stdout).toMatch(/^Shutting down MySQL\.+ SUCCESS! \n$/);
    expect(stop.code).toBe(0);
    expect(sim.state.mysqlRunning(DB)).toBe(false);
    expect(fs.existsSync(pidFile)).toBe(false);
    expect(await run(`${server} status`)).toEqual({ code: 3, stdout: " ERROR! MySQL is not running\n", stderr: "" });
    expect(await run(`${server} stop`)).toEqual({ code: 0, stdout: " ERROR! MySQL server PID file could not be found!\n", stderr: "" });
  });

  it("starts again through the InnoDB journal moved to /home/dirac/mysql-log behind a symlink (seed 003 §3)", async () => {
    const box = sim.box(DB);
    const move = await run(`mv ${box.journalDir} ${box.journalTarget} && ln -s ${box.journalTarget} ${box.journalDir} && ls ${box.journalDir}/`);
    expect(move).toEqual({ code: 0, stdout: "ib_logfile0\nib_logfile1\n", stderr: "" });
    expect(fs.readlinkSync(box.journalDir)).toBe(box.journalTarget);

    const start = await run(`${server} start`);
    expect(start.stdout).toMatch(/^Starting MySQL\.+ SUCCESS! \n$/);
    expect(start.code).toBe(0);
    expect(sim.state.mysqlRunning(DB)).toBe(true);
    // The real mysqld_safe refuses a second server: the script then just sees the PID file.
    expect(await run(`${server} start`)).toEqual({ code: 0, stdout: "Starting MySQL SUCCESS! \n", stderr: "" });
  });

  it("refuses to start without its InnoDB journal: the server quits without updating the PID file (exit 1)", async () => {
    const box = sim.box(DB);
    expect((await run(`${server} stop`)).code).toBe(0);
    expect((await run(`rm ${box.journalDir}`)).code).toBe(0);
    const start = await run(`${server} start`);
    expect(start.stdout).toBe(`Starting MySQL. ERROR! The server quit without updating PID file (${pidFile}).\n`);
    expect(start.code).toBe(1);
    const errorLog = await run(`grep ERROR ${path.dirname(pidFile)}/${DB}.err`);
    expect(errorLog.stdout).toContain(`[ERROR] InnoDB: Could not open log file ${box.journalDir}/ib_logfile0: No such file or directory`);

    expect((await run(`ln -s ${box.journalTarget} ${box.journalDir} && ${server} start`)).code).toBe(0);
  });

  it("tells a stale PID file and a stale lock file apart (exit 1 and exit 2)", async () => {
    expect((await run(`${server} stop`)).code).toBe(0);
    // A pid that surely is gone: the shell that printed it has exited.
    const stalePid = (await run("sh -c 'echo $$'")).stdout.trim();
    fs.writeFileSync(pidFile, `${stalePid}\n`);
    expect(await run(`${server} status`)).toEqual({ code: 1, stdout: " ERROR! MySQL is not running, but PID file exists\n", stderr: "" });
    expect(await run(`${server} stop`)).toEqual({ code: 0, stdout: ` ERROR! MySQL server process #${stalePid} is not running!\n`, stderr: "" });
    expect(fs.existsSync(pidFile)).toBe(false);

    const lock = path.join(sim.box(DB).hostRoot, "var", "lock", "subsys", "mysql");
    fs.writeFileSync(lock, "");
    expect(await run(`${server} status`)).toEqual({ code: 2, stdout: ` ERROR! MySQL is not running, but lock file (${lock}) exists\n`, stderr: "" });
    fs.rmSync(lock);
  });

  it("prints its usage for an unknown command (exit 1)", async () => {
    expect(await run(`${server} bounce`)).toEqual({
      code: 1,
      stdout: "Usage: mysql.server  {start|stop|restart|reload|force-reload|status}  [ MySQL server options ]\n",
      stderr: "",
    });
  });

  it("comes back by itself when the box reboots (seed 003 §4.1)", async () => {
    expect(sim.state.mysqlRunning(DB)).toBe(false);
    await sim.reboot(DB);
    expect(sim.state.mysqlRunning(DB)).toBe(true);
    const pid = fs.readFileSync(pidFile, "utf8").trim();
    expect(await run(`${server} status`)).toEqual({ code: 0, stdout: ` SUCCESS! MySQL running (${pid})\n`, stderr: "" });
    const ps = await run("ps -eo pid,args");
    expect(ps.stdout).toMatch(new RegExp(`^\\s*${pid} /bin/bash ${sim.box(DB).instanceRoot}/pro/mysql/bin/mysqld_safe --datadir=`, "m"));
  });
});
