import { parsePsForest, psSubtree, type PsLine } from "./ps-forest";
import { startDiracSim, type DiracSim } from "../../../sim/dirac/start-dirac-sim";

// Seed 003 "Intervention on VOBOXes", typed by hand over SSH on the default
// setup: agents on volhcb20, the framework server on volhcb18, services on
// volhcb19, MySQL on volhcb21 (with the optional InnoDB journal move).
const AGENTS = "volhcb20";
const FRAMEWORK = "volhcb18";
const SERVICES = "volhcb19";
const DATABASE = "volhcb21";
const RUNIT_BOXES = [AGENTS, FRAMEWORK, SERVICES];
const ALL_BOXES = [...RUNIT_BOXES, DATABASE];

jest.setTimeout(90_000);

describe("seed 003: the long intervention on the DIRAC VOBOXes, by hand over SSH", () => {
  let sim: DiracSim;

  beforeAll(async () => {
    sim = await startDiracSim();
  });

  afterAll(async () => {
    await sim.stop();
  });

  const run = async (box: string, command: string): Promise<string> => {
    const result = await sim.exec(box, command);
    if (result.code !== 0) throw new Error(`${box}: \`${command}\` exited ${result.code}: ${result.stderr}${result.stdout}`);
    return result.stdout;
  };
  const root = (box: string): string => sim.box(box).instanceRoot;

  /** The processes under the box's runsvdir in `ps fax` output, i.e. what `ps fax | grep run` is checked for. */
  const supervisedTree = async (box: string): Promise<PsLine[]> => {
    const subtree = psSubtree(parsePsForest(await run(box, "ps fax")), (command) => command.startsWith(`runsvdir -P ${root(box)}/startup `));
    if (subtree === null) throw new Error(`no runsvdir for ${box} in ps fax`);
    return subtree;
  };

  /** Seed 003 steps 1 and 2: stop everything in startup/, then move the links aside. */
  const shutDownRunit = async (box: string): Promise<void> => {
    expect(await sim.exec(box, `runsvctrl d ${root(box)}/startup/*`)).toEqual({ code: 0, stdout: "", stderr: "" });
    await sim.waitFor(
      () => Object.values(sim.state.componentStatus(box)).every((s) => s.state === "down" && s.want === "down"),
      `every component of ${box} down`,
    );
    await run(box, `mkdir ${root(box)}/startup-save && mv ${root(box)}/startup/* ${root(box)}/startup-save`);
    await sim.waitUntilUnsupervised(box);
  };

  /** Seed 003 steps 5 to 7: move the links back, then check the logs for errors. */
  const startUpRunit = async (box: string): Promise<void> => {
    await run(box, `mv ${root(box)}/startup-save/* ${root(box)}/startup`);
    await sim.waitUntilUp(box);
    const errors = await sim.exec(box, `grep ERROR ${root(box)}/startup/*/log/current`);
    expect(errors).toEqual({ code: 1, stdout: "", stderr: "" });
  };

  it("runs the whole shutdown and startup sequence and ends with every component up and no box in maintenance", async () => {
    const components = Object.fromEntries(RUNIT_BOXES.map((box) => [box, [...sim.box(box).components].sort()]));
    for (const box of RUNIT_BOXES) {
      const tree = await supervisedTree(box);
      for (const component of components[box]!) {
        expect(tree.some((p) => p.command === `runsv ${component}`)).toBe(true);
        expect(tree.some((p) => p.command.startsWith(`python ${root(box)}/pro/DIRAC/Core/scripts/dirac-`) && p.command.includes(component.replace("_", "/")))).toBe(true);
      }
    }

    // "put all the machine in maintenance mode"
    const set = await Promise.all(ALL_BOXES.map((box) => run(box, `sms set maintenance 'power stop' ${box}`)));
    expect(set).toEqual(ALL_BOXES.map((box) => `${box}: maintenance set (power stop)\n`));
    for (const box of ALL_BOXES) expect(sim.state.maintenance(box)).toMatchObject({ reason: "power stop", setFrom: box });

    // 1. stop all agents; 2. stop all services (framework server last is not required on shutdown)
    await shutDownRunit(AGENTS);
    await Promise.all([shutDownRunit(FRAMEWORK), shutDownRunit(SERVICES)]);
    for (const box of RUNIT_BOXES) {
      // "ps fax | grep run": nothing left under the box's runsvdir.
      expect(await supervisedTree(box)).toEqual([]);
      expect(sim.state.startupLinks(box)).toEqual([]);
      expect(sim.state.startupSaveLinks(box)).toEqual(components[box]);
      const stat = await sim.exec(box, `runsvstat ${root(box)}/startup-save/*`);
      expect(stat.code).toBe(components[box]!.length);
      expect(stat.stderr).toBe(components[box]!.map((c) => `runsvstat: warning: ${root(box)}/startup-save/${c}: runsv not running.\n`).join(""));
    }

    // 3. stop all databases, and move the InnoDB journal
    const db = sim.box(DATABASE);
    expect(await run(DATABASE, `${db.mysqlServer} stop`)).toMatch(/^Shutting down MySQL\.+ SUCCESS! \n$/);
    await run(DATABASE, `mv ${db.journalDir} ${db.journalTarget} && ln -s ${db.journalTarget} ${db.journalDir}`);
    expect(sim.state.mysqlRunning(DATABASE)).toBe(false);

    // The boxes are rebooted.
    await Promise.all(ALL_BOXES.map((box) => sim.reboot(box)));

    // 4. databases come back by themselves; nothing in startup/ so nothing DIRAC restarts.
    expect(await run(DATABASE, `${db.mysqlServer} status`)).toMatch(/^ SUCCESS! MySQL running \(\d+\)\n$/);
    for (const box of RUNIT_BOXES) {
      expect(Object.values(sim.state.componentStatus(box)).some((s) => s.supervised)).toBe(false);
      expect(await supervisedTree(box)).toEqual([]);
    }

    // 5. framework server; 6. the other services; 7. the agents
    await startUpRunit(FRAMEWORK);
    expect(sim.state.componentStatus(FRAMEWORK)["Configuration_Server"]).toMatchObject({ link: "startup", supervised: true, state: "run" });
    await startUpRunit(SERVICES);
    await startUpRunit(AGENTS);

    for (const box of RUNIT_BOXES) {
      const stat = await sim.exec(box, `runsvstat ${root(box)}/startup/*`);
      expect(stat.code).toBe(0);
      const lines = stat.stdout.split("\n").filter(Boolean);
      expect(lines).toHaveLength(components[box]!.length);
      components[box]!.forEach((component, i) => {
        expect(lines[i]).toMatch(new RegExp(`^${root(box)}/startup/${component}: run \\(pid \\d+\\) \\d+ seconds$`));
      });
      expect(sim.state.startupSaveLinks(box)).toEqual([]);
    }

    // "do not forget to put back the VOBOX in production"
    const cleared = await Promise.all(ALL_BOXES.map((box) => run(box, `sms clear maintenance 'power stop' ${box}; sms status`)));
    expect(cleared).toEqual(ALL_BOXES.map((box) => `${box}: maintenance cleared (power stop), back in production\n${box}: production\n`));
    for (const box of ALL_BOXES) expect(sim.state.maintenance(box)).toBeNull();
  });

  it("sms (simulated) records maintenance per host from any box, as the seed's `sms set maintenance 'power stop' other volhcbXX` does", async () => {
    expect(await run(FRAMEWORK, `sms set maintenance 'power stop' other ${AGENTS}`)).toBe(`other: maintenance set (power stop)\n${AGENTS}: maintenance set (power stop)\n`);
    expect(await run(AGENTS, "sms status")).toMatch(new RegExp(`^${AGENTS}: maintenance \\(power stop\\) since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC, set from ${FRAMEWORK}\\n$`));
    expect(sim.state.maintenance(AGENTS)).toMatchObject({ reason: "power stop", setFrom: FRAMEWORK });
    expect(await run(AGENTS, `sms clear maintenance 'power stop' other ${AGENTS} ${AGENTS}`)).toBe(
      `other: maintenance cleared (power stop), back in production\n${AGENTS}: maintenance cleared (power stop), back in production\n${AGENTS}: not in maintenance, nothing to clear\n`,
    );
    expect(sim.state.maintenance(AGENTS)).toBeNull();

    const usage = "usage: sms set maintenance <reason> [<host>...]\n       sms clear maintenance <reason> [<host>...]\n       sms status [<host>...]\n";
    expect(await sim.exec(AGENTS, "sms")).toEqual({ code: 2, stdout: "", stderr: usage });
    expect(await sim.exec(AGENTS, "sms set maintenance")).toEqual({ code: 2, stdout: "", stderr: usage });
    expect(await sim.exec(AGENTS, "sms set maintenance 'power stop' 'bad;host'")).toEqual({ code: 2, stdout: "", stderr: "sms: invalid host name 'bad;host'\n" });
    expect(sim.state.maintenance(AGENTS)).toBeNull();
  });
});
