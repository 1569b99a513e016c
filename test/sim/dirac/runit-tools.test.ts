import fs from "node:fs";
import path from "node:path";
import { runitDir } from "../../../sim/dirac/dirac-box";
import { startDiracSim, type DiracSim } from "../../../sim/dirac/start-dirac-sim";

// runsvctrl/runsvstat as DIRAC's dirac-*-component scripts call them, checked
// character for character against runit's runsvctrl.c/runsvstat.c, over SSH.
const BOX = "volhcb30";
const PILOT = "WorkloadManagement_PilotStatusAgent";
const FTS = "DataManagement_FTS3Agent";
const SYSADMIN = "Framework_SystemAdministrator";

// The project-level testTimeout is not applied by jest in multi-project runs.
jest.setTimeout(60_000);

describe("runsvctrl and runsvstat on a simulated VOBOX", () => {
  let sim: DiracSim;
  let startup: string;
  let pilot: string;
  let fts: string;

  beforeAll(async () => {
    sim = await startDiracSim({ boxes: [{ name: BOX, roles: ["agents", "services"], components: [PILOT, FTS, SYSADMIN] }] });
    startup = sim.box(BOX).startupDir;
    pilot = path.join(startup, PILOT);
    fts = path.join(startup, FTS);
  });

  afterAll(async () => {
    await sim.stop();
  });

  const run = (command: string) => sim.exec(BOX, command);
  const status = (component: string) => sim.state.componentStatus(BOX)[component]!;
  const waitState = (component: string, state: "run" | "down") =>
    sim.waitFor(() => status(component).state === state, `${component} ${state}`);

  it("runsvstat prints `<dir>: run (pid N) S seconds` for a running component, and -l adds its log service", async () => {
    const plain = await run(`runsvstat ${pilot}`);
    expect(plain.code).toBe(0);
    expect(plain.stderr).toBe("");
    expect(plain.stdout).toMatch(new RegExp(`^${pilot}: run \\(pid ${status(PILOT).pid}\\) \\d+ seconds\\n$`));

    const withLog = await run(`runsvstat -l ${pilot}`);
    expect(withLog.code).toBe(0);
    expect(withLog.stdout).toMatch(new RegExp(`^${pilot}: run \\(pid \\d+\\) \\d+ seconds\\n  log: run \\(pid \\d+\\) \\d+ seconds\\n$`));
  });

  it("runsvctrl d is silent and leaves the component `down N seconds, normally up`; u brings it back", async () => {
    expect(await run(`runsvctrl d ${pilot}`)).toEqual({ code: 0, stdout: "", stderr: "" });
    await waitState(PILOT, "down");
    const down = await run(`runsvstat ${pilot}`);
    expect(down.stdout).toMatch(new RegExp(`^${pilot}: down \\d+ seconds, normally up\\n$`));
    expect(down.code).toBe(0);

    expect(await run(`runsvctrl u ${pilot}`)).toEqual({ code: 0, stdout: "", stderr: "" });
    await waitState(PILOT, "run");
  });

  it("runsvctrl t (DIRAC's restart) gives a new pid", async () => {
    const before = status(FTS).pid;
    expect(await run(`runsvctrl t ${fts}`)).toEqual({ code: 0, stdout: "", stderr: "" });
    await sim.waitFor(() => status(FTS).state === "run" && status(FTS).pid !== before, "FTS3Agent restarted");
  });

  it("usage errors exit 1 with runit's usage line on stderr", async () => {
    const ctrlUsage = "usage: runsvctrl u|d|o|p|c|h|a|i|q|1|2|t|k|x|e service ...\n";
    expect(await run("runsvctrl")).toEqual({ code: 1, stdout: "", stderr: ctrlUsage });
    expect(await run(`runsvctrl z ${pilot}`)).toEqual({ code: 1, stdout: "", stderr: ctrlUsage });
    expect(await run("runsvctrl d")).toEqual({ code: 1, stdout: "", stderr: ctrlUsage });
    expect(await run("runsvstat")).toEqual({ code: 1, stdout: "", stderr: "usage: runsvstat [ -l ] service ...\n" });
  });

  it("a directory that does not exist is a warning, and the exit code counts the failures", async () => {
    expect(await run("runsvctrl d /nonexistent/Framework_X")).toEqual({
      code: 1,
      stdout: "",
      stderr: "runsvctrl: warning: /nonexistent/Framework_X: unable to change directory: file does not exist\n",
    });
    // An empty startup/ leaves the glob unexpanded: the seed's command then fails this way.
    const emptyGlob = `${sim.box(BOX).instanceRoot}/startup-empty/*`;
    expect(await run(`mkdir -p ${path.dirname(emptyGlob)} && runsvctrl d ${emptyGlob}`)).toEqual({
      code: 1,
      stdout: "",
      stderr: `runsvctrl: warning: ${emptyGlob}: unable to change directory: file does not exist\n`,
    });
    const mixed = await run(`runsvctrl u ${pilot} /nonexistent/a /nonexistent/b`);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr.split("\n").filter(Boolean)).toHaveLength(2);
    expect(status(PILOT).state).toBe("run");
  });

  it("a runit directory never supervised has no supervise/ok", async () => {
    const never = path.join(sim.box(BOX).instanceRoot, "runit", "Framework");
    expect(await run(`runsvstat ${never}`)).toEqual({
      code: 1,
      stdout: "",
      stderr: `runsvstat: warning: ${never}: unable to open supervise/ok: file does not exist\n`,
    });
    expect(await run(`runsvctrl d ${never}`)).toEqual({
      code: 1,
      stdout: "",
      stderr: `runsvctrl: warning: ${never}: unable to open supervise/control: file does not exist\n`,
    });
  });

  it("after the links move out of startup/, both tools warn `runsv not running.` once per directory", async () => {
    const save = path.join(sim.box(BOX).instanceRoot, "startup-save");
    expect(await run(`runsvctrl d ${pilot} ${fts} && mkdir ${save} && mv ${pilot} ${fts} ${save}`)).toMatchObject({ code: 0 });
    await sim.waitFor(() => !status(PILOT).supervised && !status(FTS).supervised, "runsvdir to drop the moved services");

    const savedPilot = path.join(save, PILOT);
    const savedFts = path.join(save, FTS);
    expect(await run(`runsvctrl u ${save}/*`)).toEqual({
      code: 2,
      stdout: "",
      stderr: `runsvctrl: warning: ${savedFts}: runsv not running.\nrunsvctrl: warning: ${savedPilot}: runsv not running.\n`,
    });
    expect(await run(`runsvstat ${save}/*`)).toEqual({
      code: 2,
      stdout: "",
      stderr: `runsvstat: warning: ${savedFts}: runsv not running.\nrunsvstat: warning: ${savedPilot}: runsv not running.\n`,
    });

    expect(await run(`mv ${save}/* ${startup}/ && rmdir ${save}`)).toMatchObject({ code: 0 });
    await sim.waitUntilUp(BOX);
  });

  it("a `down` file shows `, normally down`; p and c pause and continue (`, paused`)", async () => {
    const down = path.join(runitDir(sim.box(BOX), SYSADMIN), "down");
    const sysadmin = path.join(startup, SYSADMIN);
    const normallyDown = await run(`touch ${down} && runsvstat ${sysadmin}; rm ${down}`);
    expect(normallyDown.stdout).toMatch(new RegExp(`^${sysadmin}: run \\(pid \\d+\\) \\d+ seconds, normally down\\n$`));

    const paused = await run(`runsvctrl p ${sysadmin} && runsvstat ${sysadmin}; runsvctrl c ${sysadmin}`);
    expect(paused.stdout).toMatch(new RegExp(`^${sysadmin}: run \\(pid \\d+\\) \\d+ seconds, paused\\n$`));
    expect(paused.code).toBe(0);
    const resumed = await run(`runsvstat ${sysadmin}`);
    expect(resumed.stdout).toMatch(new RegExp(`^${sysadmin}: run \\(pid \\d+\\) \\d+ seconds\\n$`));
  });

  it("a service that ignores TERM shows `, want down, got TERM` until it is killed", async () => {
    const sysadmin = path.join(startup, SYSADMIN);
    sim.fault.hangOnStop(BOX, SYSADMIN);
    expect(await run(`runsvctrl d ${sysadmin}`)).toEqual({ code: 0, stdout: "", stderr: "" });
    await sim.waitFor(() => status(SYSADMIN).gotTerm, "runsv to record the TERM");
    const hung = await run(`runsvstat ${sysadmin}`);
    expect(hung.stdout).toMatch(new RegExp(`^${sysadmin}: run \\(pid \\d+\\) \\d+ seconds, want down, got TERM\\n$`));

    sim.fault.clear(BOX);
    expect(await run(`runsvctrl k ${sysadmin}`)).toEqual({ code: 0, stdout: "", stderr: "" });
    await waitState(SYSADMIN, "down");
    expect(await run(`runsvctrl u ${sysadmin}`)).toMatchObject({ code: 0 });
    await waitState(SYSADMIN, "run");
  });

  it("point 6: an agent told `d` gets no TERM (its control/t touches stop_agent) and ends at the end of its cycle", async () => {
    const stopFile = path.join(sim.box(BOX).instanceRoot, "control", "DataManagement", "FTS3Agent", "stop_agent");
    sim.fault.busyCycle(BOX, FTS, 6);
    // A fresh agent with the knob in place: DIRAC's restart (t) asks it to stop, runsv starts it again.
    const before = status(FTS).pid;
    expect((await run(`runsvctrl t ${fts}`)).code).toBe(0);
    await sim.waitFor(() => status(FTS).state === "run" && status(FTS).pid !== before, "FTS3Agent restarted");
    expect(await run(`runsvctrl d ${fts}`)).toEqual({ code: 0, stdout: "", stderr: "" });
    const busy = await run(`runsvstat ${fts}; test -e ${stopFile} && echo stop_agent is there`);
    expect(busy.stdout).toMatch(new RegExp(`^${fts}: run \\(pid \\d+\\) \\d+ seconds, want down\\nstop_agent is there\\n$`));
    expect(status(FTS).gotTerm).toBe(false);
    await waitState(FTS, "down");
    expect(fs.existsSync(stopFile)).toBe(false);
    const current = await run(`tail -n 3 ${path.join(fts, "log", "current")}`);
    expect(current.stdout).toContain("DataManagement/FTS3Agent  INFO: Found StopAgent file for agent DataManagement/FTS3Agent");
    sim.fault.clear(BOX);
    expect((await run(`runsvctrl u ${fts}`)).code).toBe(0);
    await waitState(FTS, "run");
  });

  it("an injected ERROR line is what `grep ERROR log/current` finds", async () => {
    const current = path.join(startup, SYSADMIN, "log", "current");
    expect(await run(`grep ERROR ${current}`)).toEqual({ code: 1, stdout: "", stderr: "" });
    const line = sim.fault.injectLogError(BOX, SYSADMIN, "cannot connect to DB");
    expect(line).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC Framework\/SystemAdministrator ERROR: cannot connect to DB$/);
    expect(await run(`grep ERROR ${current}`)).toEqual({ code: 0, stdout: `${line}\n`, stderr: "" });
  });

  it("a component made to fail at start keeps restarting: down, normally up, want up, with its error logged", async () => {
    sim.fault.failStart(BOX, PILOT, "cannot connect to ProxyDB");
    expect(await run(`runsvctrl t ${pilot}`)).toEqual({ code: 0, stdout: "", stderr: "" });
    await sim.waitFor(() => status(PILOT).state === "down" && status(PILOT).want === "up", "PilotStatusAgent to fail");
    // runsv retries once a second and each try lives a few ms: runsvstat almost always sees it down.
    let seen = "";
    for (let i = 0; i < 20 && !/, want up\n$/.test(seen); i++) seen = (await run(`runsvstat ${pilot}`)).stdout;
    expect(seen).toMatch(new RegExp(`^${pilot}: down \\d+ seconds, normally up, want up\\n$`));
    const logged = await run(`grep 'ERROR: cannot connect to ProxyDB' ${pilot}/log/current`);
    expect(logged.code).toBe(0);
    expect(logged.stdout).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC WorkloadManagement\/PilotStatusAgent ERROR: cannot connect to ProxyDB\n/);

    sim.fault.clear(BOX);
    await waitState(PILOT, "run");
    expect((await run(`runsvstat ${pilot}`)).stdout).toMatch(new RegExp(`^${pilot}: run \\(pid \\d+\\) \\d+ seconds\\n$`));
  });
});
