import { execFile, spawn, type ExecFileException } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sshLoginUser, type SshdHandle } from "../ssh/sshd";
import { sshClientConfig } from "../ssh/ssh-client-config";
import { OPENSSH_HOSTS } from "../sim-ssh-hosts";
import { createDiracBox, logCurrentPath, runitDir, type DiracBoxLayout } from "./dirac-box";
import { renderDiracInventory } from "./dirac-inventory";
import { DEFAULT_DIRAC_BOXES, splitComponent, type DiracBoxSpec, type DiracRole, type DiracSimSpec } from "./dirac-sim-spec";
import { descendantsOf, processAlive, processCmdline, processId, type ProcessId } from "../process/process-tree";
import { readRunitStatus, runsvRunning } from "./runit-status";
import { startRunsvdir, type RunsvdirProcess } from "./runsvdir-process";
import { killProcessesNow, terminateProcesses, type Termination } from "./terminate-processes";
import type { ExecResult as SshExecResult } from "../../src/ssh/exec-types";

export type { DiracBoxSpec, DiracRole, DiracSimSpec } from "./dirac-sim-spec";

export interface DiracSimBox extends DiracBoxLayout {
  readonly roles: readonly DiracRole[];
  readonly frameworkServer: boolean;
  readonly innodbJournal: boolean;
  readonly address: string;
  readonly port: number;
}

export interface ComponentStatus {
  /** Where the component's startup link is now. */
  readonly link: "startup" | "startup-save" | null;
  /** A runsv serves the component's runit directory. */
  readonly supervised: boolean;
  /** From supervise/status; null when runsv never ran there. */
  readonly state: "run" | "down" | "finish" | null;
  readonly pid: number | null;
  readonly want: "up" | "down" | null;
  readonly gotTerm: boolean;
}

export interface MaintenanceState {
  readonly reason: string;
  readonly since: Date;
  /** The box `sms set` ran on. */
  readonly setFrom: string;
}

/** What a simulated host's command gave: the product's exec result, as much as the sim reports. */
export type ExecResult = Pick<SshExecResult, "code" | "stdout" | "stderr">;

export interface DiracSimState {
  /** Every component of the box, keyed `<System>_<Component>`. */
  componentStatus(box: string): Record<string, ComponentStatus>;
  maintenance(box: string): MaintenanceState | null;
  mysqlRunning(box: string): boolean;
  startupLinks(box: string): string[];
  startupSaveLinks(box: string): string[];
}

export interface DiracSimFaults {
  /** Appends `<now> UTC <System>/<Component> ERROR: <message>` to the component's log/current; returns the line. */
  injectLogError(box: string, component: string, message: string): string;
  /** Appends `line` verbatim to the component's log/current. */
  appendLog(box: string, component: string, line: string): void;
  /** From its next start on, the component logs `ERROR: <message>` and exits 1 (runsv keeps restarting it). */
  failStart(box: string, component: string, message?: string): void;
  /** The component ignores TERM: `runsvctrl d` leaves it `run ..., want down, got TERM`. */
  hangOnStop(box: string, component: string): void;
  /** The agent's cycles take `seconds` of work, during which it does not look for stop_agent (a long agent cycle). */
  busyCycle(box: string, component: string, seconds: number): void;
  /** Removes every fault knob of `box` (of all boxes when omitted). */
  clear(box?: string): void;
}

export interface DiracSim {
  readonly simRoot: string;
  readonly boxes: readonly DiracSimBox[];
  readonly cluster: string;
  readonly inventoryPath: string;
  readonly knownHostsPath: string;
  readonly privateKeyPath: string;
  /** OpenSSH client config with one `Host <box>` entry per box, pinned known_hosts, for `ssh -F`. */
  readonly sshConfigPath: string;
  readonly state: DiracSimState;
  readonly fault: DiracSimFaults;
  box(name: string): DiracSimBox;
  /** Runs `command` on the box with the OpenSSH client; never throws on a non-zero exit. */
  exec(box: string, command: string): Promise<ExecResult>;
  /** Polls `check` until true; the error names `what`. */
  waitFor(check: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  /** Until every component linked in startup/ is supervised and running. */
  waitUntilUp(box: string, timeoutMs?: number): Promise<void>;
  /** Until no component of the box has a runsv any more (links moved out, runsvdir acted). */
  waitUntilUnsupervised(box: string, timeoutMs?: number): Promise<void>;
  /** Power cycle: every process of the box stops, then runsvdir starts again (and MySQL, if it autostarts). */
  reboot(box: string): Promise<void>;
  /** Every process the simulator started that is alive now (sshd, runsvdir and its tree, mysqld). */
  trackedPids(): number[];
  /** Stops every process it started, by pid, and removes the sim root. */
  stop(): Promise<void>;
}

const POKE_INTERVAL_MS = 250;

interface BoxRuntime {
  readonly box: DiracSimBox;
  readonly spec: DiracBoxSpec;
  readonly env: NodeJS.ProcessEnv;
  sshd: SshdHandle;
  runsvdir: RunsvdirProcess | null;
  /**
   * Every runsv this box's runsvdir has started, recorded while they run.
   * runsv puts itself in a session of its own, so once runsvdir is gone (a
   * signal to the whole process group, a crash) they are nobody's
   * descendants: the ledger is how `stop` still finds them, by pid.
   */
  readonly supervisors: Map<number, ProcessId>;
}

function utcStamp(date = new Date()): string {
  return date.toISOString().replace("T", " ").slice(0, 19);
}

function listLinks(dir: string): string[] {
  try {
    return fs.readdirSync(dir).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

function linkExists(file: string): boolean {
  try {
    fs.lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

function runFile(file: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, encoding: "utf8" }, (error: ExecFileException | null, stdout, stderr) => {
      if (error === null) resolve({ code: 0, stdout, stderr });
      else if (typeof error.code === "number") resolve({ code: error.code, stdout, stderr });
      else reject(new Error(`cannot run ${file}: ${error.message}`));
    });
  });
}

const SUPERVISOR_RECORD_INTERVAL_MS = 1000;

/** `runsvctrl d x <dir>` for a runsv found by pid: its service directory is its working directory. */
function askSupervisorToExit(id: ProcessId): void {
  try {
    const control = path.join(fs.readlinkSync(`/proc/${id.pid}/cwd`), "supervise", "control");
    const fd = fs.openSync(control, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    try {
      fs.writeSync(fd, "dx");
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // exited already, or its control pipe is gone: TERM and KILL still follow
  }
}

class DiracSimulator implements DiracSim {
  readonly state: DiracSimState;
  readonly fault: DiracSimFaults;
  private readonly poker: NodeJS.Timeout;
  private readonly emergencyStop = (): void => killProcessesNow([...this.trackedProcesses(), ...this.ledgeredSupervisors()]);
  private readonly recorder: NodeJS.Timeout;
  private stopped = false;

  constructor(
    readonly simRoot: string,
    readonly cluster: string,
    readonly inventoryPath: string,
    readonly knownHostsPath: string,
    readonly privateKeyPath: string,
    readonly sshConfigPath: string,
    private readonly runtimes: ReadonlyMap<string, BoxRuntime>,
  ) {
    this.poker = setInterval(() => {
      for (const runtime of this.runtimes.values()) runtime.runsvdir?.poke();
    }, POKE_INTERVAL_MS);
    this.poker.unref();
    this.recorder = setInterval(() => this.recordSupervisors(), SUPERVISOR_RECORD_INTERVAL_MS);
    this.recorder.unref();
    this.recordSupervisors();
    process.once("exit", this.emergencyStop);
    this.state = {
      componentStatus: (box) => this.componentStatus(box),
      maintenance: (box) => this.maintenance(box),
      mysqlRunning: (box) => this.mysqlPid(this.box(box)) !== null,
      startupLinks: (box) => listLinks(this.box(box).startupDir),
      startupSaveLinks: (box) => listLinks(this.box(box).startupSaveDir),
    };
    this.fault = {
      injectLogError: (box, component, message) => {
        const [system, name] = splitComponent(component);
        const line = `${utcStamp()} UTC ${system}/${name} ERROR: ${message}`;
        this.fault.appendLog(box, component, line);
        return line;
      },
      appendLog: (box, component, line) => {
        fs.appendFileSync(logCurrentPath(this.component(box, component), component), `${line}\n`);
      },
      failStart: (box, component, message = "cannot connect to DB") => {
        fs.writeFileSync(path.join(this.component(box, component).stateDir, "fail-start", component), `${message}\n`);
      },
      hangOnStop: (box, component) => {
        fs.writeFileSync(path.join(this.component(box, component).stateDir, "hang-on-stop", component), "");
      },
      busyCycle: (box, component, seconds) => {
        fs.writeFileSync(path.join(this.component(box, component).stateDir, "busy-cycle", component), `${seconds}\n`);
      },
      clear: (box) => {
        const targets = box === undefined ? this.boxes : [this.box(box)];
        for (const target of targets) {
          for (const knob of ["fail-start", "hang-on-stop", "busy-cycle"]) {
            const dir = path.join(target.stateDir, knob);
            for (const file of fs.readdirSync(dir)) fs.rmSync(path.join(dir, file), { force: true });
          }
        }
      },
    };
  }

  get boxes(): DiracSimBox[] {
    return [...this.runtimes.values()].map((r) => r.box);
  }

  box(name: string): DiracSimBox {
    return this.runtime(name).box;
  }

  private runtime(name: string): BoxRuntime {
    const runtime = this.runtimes.get(name);
    if (runtime === undefined) throw new Error(`no simulated box ${name} (boxes: ${[...this.runtimes.keys()].join(", ")})`);
    return runtime;
  }

  private component(box: string, component: string): DiracSimBox {
    const target = this.box(box);
    if (!target.components.includes(component)) throw new Error(`${box} has no component ${component} (it has: ${target.components.join(", ")})`);
    return target;
  }

  private componentStatus(name: string): Record<string, ComponentStatus> {
    const box = this.box(name);
    const result: Record<string, ComponentStatus> = {};
    for (const component of box.components) {
      const dir = runitDir(box, component);
      const status = readRunitStatus(dir);
      result[component] = {
        link: linkExists(path.join(box.startupDir, component)) ? "startup" : linkExists(path.join(box.startupSaveDir, component)) ? "startup-save" : null,
        supervised: runsvRunning(dir),
        state: status?.state ?? null,
        pid: status?.pid ?? null,
        want: status?.want ?? null,
        gotTerm: status?.gotTerm ?? false,
      };
    }
    return result;
  }

  private maintenance(name: string): MaintenanceState | null {
    this.box(name);
    let text: string;
    try {
      text = fs.readFileSync(path.join(this.simRoot, "state", "sms", name), "utf8");
    } catch {
      return null;
    }
    const [reason = "", since = "0", setFrom = ""] = text.trimEnd().split("\t");
    return { reason, since: new Date(Number(since) * 1000), setFrom };
  }

  private mysqlPid(box: DiracSimBox): ProcessId | null {
    if (!box.isDatabase) return null;
    let pid: number;
    try {
      pid = Number(fs.readFileSync(box.mysqlPidFile, "utf8").trim());
    } catch {
      return null;
    }
    return Number.isInteger(pid) && pid > 0 ? processId(pid) : null;
  }

  /** mysqld processes started on the box (by mysql.server over SSH or at boot), from the sim's ledger. */
  private mysqldProcesses(box: DiracSimBox): ProcessId[] {
    let ledger: string;
    try {
      ledger = fs.readFileSync(path.join(box.stateDir, "spawned.pids"), "utf8");
    } catch {
      return [];
    }
    const script = path.join(box.instanceRoot, "pro", "mysql", "bin", "mysqld_safe");
    const ids: ProcessId[] = [];
    for (const pid of new Set(ledger.split("\n").filter((l) => /^\d+$/.test(l)).map(Number))) {
      const id = processId(pid);
      // A recycled pid would run something else: only our script's process counts.
      if (id !== null && processCmdline(pid).includes(script)) ids.push(id);
    }
    return ids;
  }

  private trackedProcesses(): ProcessId[] {
    const ids: ProcessId[] = [];
    for (const runtime of this.runtimes.values()) {
      const sshdPid = runtime.sshd.pid();
      const sshd = sshdPid === undefined ? null : processId(sshdPid);
      if (sshd !== null) ids.push(sshd);
      if (runtime.runsvdir !== null) ids.push(runtime.runsvdir.id);
      ids.push(...this.mysqldProcesses(runtime.box));
    }
    return ids;
  }

  /**
   * Adds the runsv's now running under the boxes' runsvdirs to their box's
   * ledger (by pid and start time). One /proc scan for all boxes; a runsv
   * belongs to the box whose host root holds its service directory (its cwd).
   */
  private recordSupervisors(): void {
    const runtimes = [...this.runtimes.values()];
    const roots = runtimes.flatMap((r) => (r.runsvdir === null ? [] : [r.runsvdir.id.pid]));
    if (roots.length === 0) return;
    for (const id of descendantsOf(roots)) {
      if (runtimes.some((r) => r.supervisors.has(id.pid)) || !processCmdline(id.pid).startsWith("runsv ")) continue;
      let cwd: string;
      try {
        cwd = fs.readlinkSync(`/proc/${id.pid}/cwd`);
      } catch {
        continue; // exited meanwhile
      }
      runtimes.find((r) => cwd.startsWith(`${r.box.hostRoot}/`))?.supervisors.set(id.pid, id);
    }
  }

  private ledgeredSupervisors(runtime?: BoxRuntime): ProcessId[] {
    const runtimes = runtime === undefined ? [...this.runtimes.values()] : [runtime];
    return runtimes.flatMap((r) => [...r.supervisors.values()].filter(processAlive));
  }

  trackedPids(): number[] {
    const roots = this.trackedProcesses();
    // runsvdir's tree is ours (runsv, svlogd, components); sshd's sessions are not listed.
    const runsvdirs = [...this.runtimes.values()].flatMap((r) => (r.runsvdir === null ? [] : [r.runsvdir.id.pid]));
    const pids = new Set([...roots, ...descendantsOf(runsvdirs)].map((id) => id.pid));
    return [...pids].sort((a, b) => a - b);
  }

  async exec(box: string, command: string): Promise<ExecResult> {
    this.box(box);
    return new Promise((resolve, reject) => {
      const child = spawn("ssh", ["-F", this.sshConfigPath, box, command], { stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
      child.once("error", reject);
      child.once("close", (code) => resolve({ code, stdout, stderr }));
    });
  }

  async waitFor(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async waitUntilUp(box: string, timeoutMs?: number): Promise<void> {
    await this.waitFor(
      () => Object.values(this.componentStatus(box)).every((s) => s.link !== "startup" || (s.supervised && s.state === "run")),
      `every component linked in ${box}:startup/ to run`,
      timeoutMs,
    );
    // Every runsv is up now: record them at once rather than at the next tick, so an orphaning
    // right after start (Ctrl-C while the demo prints its banner) still finds them.
    this.recordSupervisors();
  }

  async waitUntilUnsupervised(box: string, timeoutMs?: number): Promise<void> {
    await this.waitFor(() => Object.values(this.componentStatus(box)).every((s) => !s.supervised), `no runsv left on ${box}`, timeoutMs);
  }

  async reboot(name: string): Promise<void> {
    const runtime = this.runtime(name);
    await this.shutdownBox(runtime);
    await this.bootBox(runtime);
  }

  /** As at power-off: init scripts stop MySQL cleanly (TERM), runsvdir takes its runsv's down (HUP). */
  private async shutdownBox(runtime: BoxRuntime): Promise<void> {
    this.recordSupervisors();
    const targets: Termination[] = this.mysqldProcesses(runtime.box).map((id) => ({ id, signal: "SIGTERM" }));
    if (runtime.runsvdir !== null && processAlive(runtime.runsvdir.id)) targets.push({ id: runtime.runsvdir.id, signal: "SIGHUP" });
    else {
      // runsvdir is gone (e.g. Ctrl-C reached the group): its runsv's are orphans. As runsvctrl would,
      // ask each to take its service down and exit (`d`, `x` on supervise/control); TERM means `x` too,
      // and whatever is left after the grace gets KILL, with the components below it.
      for (const id of this.ledgeredSupervisors(runtime)) {
        askSupervisorToExit(id);
        targets.push({ id, signal: "SIGTERM" });
      }
    }
    runtime.runsvdir = null;
    await terminateProcesses(targets);
    // A runsvdir KILLed a moment before can still read as alive above (the signal is not yet
    // delivered on a busy machine), and then it exits without taking its runsv's down: the
    // orphans are stopped here, as in the branch above (CI: 3 runsv's left by the lifecycle test).
    const orphans = this.ledgeredSupervisors(runtime);
    for (const id of orphans) askSupervisorToExit(id);
    await terminateProcesses(orphans.map((id) => ({ id, signal: "SIGTERM" as const })));
    runtime.supervisors.clear();
  }

  /** As at boot: runsvdir-start, then (seed 003 §4.1) MySQL's init script when it autostarts. */
  async bootBox(runtime: BoxRuntime): Promise<void> {
    runtime.runsvdir = await startRunsvdir(runtime.box.startupDir, runtime.env);
    if (runtime.box.isDatabase && runtime.spec.mysqlAutostart !== false) {
      const result = await runFile(runtime.box.mysqlServer, ["start"], runtime.env);
      if (result.code !== 0) throw new Error(`mysql.server start on ${runtime.box.name} failed (${result.code}): ${result.stdout}${result.stderr}`);
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.poker);
    clearInterval(this.recorder);
    try {
      await Promise.all([...this.runtimes.values()].map((runtime) => this.shutdownBox(runtime)));
    } finally {
      await Promise.all([...this.runtimes.values()].map((runtime) => runtime.sshd.stop()));
      process.removeListener("exit", this.emergencyStop);
      fs.rmSync(this.simRoot, { recursive: true, force: true });
    }
  }
}

function sshConfig(boxes: readonly DiracSimBox[], privateKeyPath: string, knownHostsPath: string): string {
  const user = sshLoginUser();
  return sshClientConfig({ hosts: boxes.map((box) => ({ name: box.name, address: box.address, port: box.port, user })), privateKeyPath, knownHostsPath });
}

/**
 * Starts a simulated DIRAC setup: per box a host root with /opt/dirac, its
 * runit components supervised by a real runsvdir, MySQL on database boxes,
 * and a real sshd on 127.0.0.40 upward whose sessions have the sim's shims
 * (sms, runsvctrl, runsvstat) first in PATH. Resolves once every component is
 * up and MySQL runs. See README.md in this directory.
 */
export async function startDiracSim(spec: DiracSimSpec = {}): Promise<DiracSim> {
  const specs = spec.boxes ?? DEFAULT_DIRAC_BOXES;
  if (new Set(specs.map((b) => b.name)).size !== specs.length) throw new Error("box names must be unique");
  const setup = spec.setup ?? "LHCb-Test";
  const cluster = spec.cluster ?? "dirac-sim";
  const firstAddress = spec.firstAddress ?? 40;
  if (firstAddress < 2 || firstAddress + specs.length > 254) throw new Error(`firstAddress ${firstAddress} leaves no room for ${specs.length} boxes`);
  const simRoot = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-dirac-sim-"));
  const runtimes = new Map<string, BoxRuntime>();
  const startedSshds: SshdHandle[] = [];
  let sim: DiracSimulator | undefined;
  try {
    const sshHosts = spec.sshHosts ?? OPENSSH_HOSTS;
    const identity = sshHosts.createIdentity(simRoot);
    const layouts = specs.map((boxSpec) => createDiracBox(simRoot, boxSpec, setup));
    const sshds: SshdHandle[] = [];
    const sshdStarts = await Promise.allSettled(
      layouts.map(async (layout, i) => {
        const sshd = await sshHosts.startHost({
          address: `127.0.0.${firstAddress + i}`,
          identity,
          dir: path.join(simRoot, "sshd", layout.name),
          env: { PATH: `${layout.shimDir}:/usr/bin:/bin`, DIRAC_SIM_ROOT: simRoot, DIRAC_SIM_BOX: layout.name, HOME: layout.homeDir },
        });
        sshds[i] = sshd;
        startedSshds.push(sshd);
        return sshd;
      }),
    );
    const failed = sshdStarts.find((r) => r.status === "rejected");
    if (failed !== undefined) throw failed.reason;
    specs.forEach((boxSpec, i) => {
      const layout = layouts[i]!;
      const sshd = sshds[i]!;
      const box: DiracSimBox = {
        ...layout,
        roles: [...boxSpec.roles],
        frameworkServer: boxSpec.frameworkServer === true,
        innodbJournal: boxSpec.innodbJournal === true,
        address: sshd.address,
        port: sshd.port,
      };
      const env = { PATH: `${layout.shimDir}:/usr/bin:/bin`, DIRAC_SIM_ROOT: simRoot, DIRAC_SIM_BOX: layout.name, HOME: layout.homeDir, LANG: "C" };
      runtimes.set(boxSpec.name, { box, spec: boxSpec, env, sshd, runsvdir: null, supervisors: new Map() });
    });
    const boxes = [...runtimes.values()].map((r) => r.box);
    const knownHostsPath = path.join(simRoot, "known_hosts");
    fs.writeFileSync(knownHostsPath, sshds.map((s) => `${s.knownHostsLine}\n`).join(""));
    const sshConfigPath = path.join(simRoot, "ssh_config");
    fs.writeFileSync(sshConfigPath, sshConfig(boxes, identity.privateKeyPath, knownHostsPath));
    const inventoryPath = path.join(simRoot, "inventory.yaml");
    const inventory = renderDiracInventory({
      cluster,
      channel: spec.channel ?? "C0DIRACSIM",
      setup,
      waitBeforeAgents: spec.waitBeforeAgents ?? "1s",
      ...(spec.agentPollingTime !== undefined ? { agentPollingTime: spec.agentPollingTime } : {}),
      sshUser: sshLoginUser(),
      privateKeyPath: identity.privateKeyPath,
      knownHostsPath,
      hosts: [...runtimes.values()].map((r) => ({ spec: r.spec, address: r.box.address, port: r.box.port, root: r.box.hostRoot })),
      ...(spec.approval !== undefined ? { approval: spec.approval } : {}),
    });
    fs.writeFileSync(inventoryPath, inventory.yaml);
    sim = new DiracSimulator(simRoot, cluster, inventoryPath, knownHostsPath, identity.privateKeyPath, sshConfigPath, runtimes);
    const started = sim;
    await Promise.all([...runtimes.values()].map((runtime) => started.bootBox(runtime)));
    await Promise.all(boxes.map((box) => started.waitUntilUp(box.name)));
    return sim;
  } catch (error) {
    if (sim !== undefined) await sim.stop();
    else await Promise.all(startedSshds.map((sshd) => sshd.stop()));
    fs.rmSync(simRoot, { recursive: true, force: true });
    throw error;
  }
}
