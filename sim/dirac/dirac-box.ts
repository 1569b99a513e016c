import fs from "node:fs";
import path from "node:path";
import { componentKind, componentsOf, splitComponent, type DiracBoxSpec } from "./dirac-sim-spec";

/** Where everything of one simulated VOBOX lives (see README.md, "Layout"). */
export interface DiracBoxLayout {
  readonly name: string;
  /** The host's `/`: the inventory's `hosts.<name>.root`. */
  readonly hostRoot: string;
  /** `<hostRoot>/opt/dirac`. */
  readonly instanceRoot: string;
  readonly startupDir: string;
  readonly startupSaveDir: string;
  /** `<hostRoot>/home/dirac` (HOME of SSH sessions; seed 003 moves the InnoDB journal here). */
  readonly homeDir: string;
  /** Sim-only state and knobs, outside the host root. */
  readonly stateDir: string;
  /** First in PATH of SSH sessions: sms, runsvctrl, runsvstat. */
  readonly shimDir: string;
  readonly components: readonly string[];
  readonly isDatabase: boolean;
  readonly mysqlServer: string;
  readonly mysqlPidFile: string;
  readonly journalDir: string;
  readonly journalTarget: string;
}

const HERE = __dirname;

const SERVICE_PORTS: Readonly<Record<string, number>> = {
  Configuration_Server: 9135,
  Framework_SystemAdministrator: 9162,
  Framework_BundleDelivery: 9158,
  WorkloadManagement_JobManager: 9132,
  WorkloadManagement_JobMonitoring: 9130,
  DataManagement_FileCatalog: 9197,
};

export function runitDir(box: DiracBoxLayout, component: string): string {
  const [system, name] = splitComponent(component);
  return path.join(box.instanceRoot, "runit", system, name);
}

export function logCurrentPath(box: DiracBoxLayout, component: string): string {
  return path.join(runitDir(box, component), "log", "current");
}

export function boxLayout(simRoot: string, spec: DiracBoxSpec): DiracBoxLayout {
  const hostRoot = path.join(simRoot, "hosts", spec.name);
  const instanceRoot = path.join(hostRoot, "opt", "dirac");
  const stateDir = path.join(simRoot, "state", spec.name);
  const datadir = path.join(instanceRoot, "mysql", "db");
  return {
    name: spec.name,
    hostRoot,
    instanceRoot,
    startupDir: path.join(instanceRoot, "startup"),
    startupSaveDir: path.join(instanceRoot, "startup-save"),
    homeDir: path.join(hostRoot, "home", "dirac"),
    stateDir,
    shimDir: path.join(stateDir, "bin"),
    components: componentsOf(spec),
    isDatabase: spec.roles.includes("databases"),
    mysqlServer: path.join(instanceRoot, "pro", "mysql", "share", "mysql", "mysql.server"),
    mysqlPidFile: path.join(datadir, `${spec.name}.pid`),
    journalDir: path.join(instanceRoot, "mysql", "log"),
    journalTarget: path.join(hostRoot, "home", "dirac", "mysql-log"),
  };
}

function render(template: string, values: Readonly<Record<string, string>>): string {
  const text = fs.readFileSync(path.join(HERE, "host", template), "utf8");
  return text.replace(/@([A-Z_]+)@/g, (whole, key: string) => values[key] ?? whole);
}

function writeExecutable(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text, { mode: 0o755 });
  fs.chmodSync(file, 0o755);
}

/** Component run script as DIRAC's ComponentInstaller writes it, pointing at the simulated dirac-agent/dirac-service. */
function runScript(box: DiracBoxLayout, component: string): string {
  const [system, name] = splitComponent(component);
  const kind = componentKind(component);
  return [
    "#!/bin/bash",
    `rcfile=${box.instanceRoot}/bashrc`,
    "[ -e $rcfile ] && source $rcfile",
    "#",
    "exec 2>&1",
    "#",
    `[ "${kind}" = "agent" ] && renice 20 -p $$`,
    "#",
    `exec -a python bash $DIRAC/DIRAC/Core/scripts/dirac-${kind}.py ${system}/${name} ${box.instanceRoot}/etc/${component}.cfg < /dev/null`,
    "",
  ].join("\n");
}

function logRunScript(box: DiracBoxLayout): string {
  return ["#!/bin/bash", "#", `rcfile=${box.instanceRoot}/bashrc`, "[ -e $rcfile ] && source $rcfile", "#", "exec svlogd .", ""].join("\n");
}

function installComponent(box: DiracBoxLayout, component: string): void {
  const dir = runitDir(box, component);
  fs.mkdirSync(path.join(dir, "log"), { recursive: true });
  fs.mkdirSync(path.join(dir, "control"), { recursive: true });
  writeExecutable(path.join(dir, "run"), runScript(box, component));
  if (componentKind(component) === "agent") {
    // DIRACGrid/DIRAC src/DIRAC/FrameworkSystem/Client/ComponentInstaller.py (runit setup of an agent):
    // control/t only touches <instance>/control/<System>/<Agent>/stop_agent and exits 0, so runsv sends
    // the agent no TERM on `d` (runit runsv: a custom control script that exits 0 replaces the signal).
    const [system, name] = splitComponent(component);
    const stopFile = path.join(box.instanceRoot, "control", system, name, "stop_agent");
    fs.mkdirSync(path.dirname(stopFile), { recursive: true });
    writeExecutable(path.join(dir, "control", "t"), `#!/bin/bash

echo ${stopFile}
touch ${stopFile}
`);
  }
  writeExecutable(path.join(dir, "log", "run"), logRunScript(box));
  fs.writeFileSync(path.join(dir, "log", "config"), "s10000000\nn20\n");
  const [system, name] = splitComponent(component);
  const port = componentKind(component) === "service" ? `        Port = ${SERVICE_PORTS[component] ?? 9100}\n` : "";
  fs.writeFileSync(
    path.join(box.instanceRoot, "etc", `${component}.cfg`),
    `Systems\n{\n  ${system}\n  {\n    ${componentKind(component)}s\n    {\n      ${name}\n      {\n${port}      }\n    }\n  }\n}\n`,
  );
  fs.symlinkSync(dir, path.join(box.startupDir, component));
}

function installMysql(box: DiracBoxLayout): void {
  const basedir = path.join(box.instanceRoot, "pro", "mysql");
  const values = {
    BASEDIR: basedir,
    DATADIR: path.dirname(box.mysqlPidFile),
    HOSTNAME: box.name,
    HOSTROOT: box.hostRoot,
    INSTANCE: box.instanceRoot,
    BOX_STATE: box.stateDir,
  };
  writeExecutable(box.mysqlServer, render("mysql.server", values));
  writeExecutable(path.join(basedir, "bin", "mysqld_safe"), render("mysqld_safe", values));
  fs.mkdirSync(path.join(basedir, "libexec"), { recursive: true });
  fs.mkdirSync(path.dirname(box.mysqlPidFile), { recursive: true });
  fs.mkdirSync(box.journalDir, { recursive: true });
  // Two 5 MB InnoDB redo logs in production; a few bytes stand in for them.
  for (const file of ["ib_logfile0", "ib_logfile1"]) fs.writeFileSync(path.join(box.journalDir, file), "InnoDB redo log (simulated)\n");
  fs.mkdirSync(path.join(box.hostRoot, "var", "lock", "subsys"), { recursive: true });
}

function installShims(box: DiracBoxLayout): void {
  fs.mkdirSync(box.shimDir, { recursive: true });
  for (const file of fs.readdirSync(path.join(HERE, "bin"))) {
    const target = path.join(box.shimDir, file);
    fs.copyFileSync(path.join(HERE, "bin", file), target);
    fs.chmodSync(target, file.endsWith(".pm") ? 0o644 : 0o755);
  }
}

/** Creates the host root, the DIRAC instance with its runit components and startup links, MySQL (database boxes) and the shims. */
export function createDiracBox(simRoot: string, spec: DiracBoxSpec, setup: string): DiracBoxLayout {
  const box = boxLayout(simRoot, spec);
  for (const dir of [box.startupDir, path.join(box.instanceRoot, "etc"), box.homeDir, path.join(box.stateDir, "fail-start"), path.join(box.stateDir, "hang-on-stop"), path.join(box.stateDir, "busy-cycle"), path.join(box.stateDir, "tick")]) {
    fs.mkdirSync(dir, { recursive: true });
  }
  fs.writeFileSync(path.join(box.stateDir, "spawned.pids"), "");
  const pro = path.join(box.instanceRoot, "pro");
  fs.writeFileSync(
    path.join(box.instanceRoot, "bashrc"),
    `# DIRAC bashrc (simulated)\nexport DIRACROOT=${pro}\nexport DIRAC=${pro}\nexport DIRACSETUP=${setup}\n`,
  );
  fs.writeFileSync(path.join(box.instanceRoot, "etc", "dirac.cfg"), `DIRAC\n{\n  Setup = ${setup}\n}\n`);
  const scripts = path.join(pro, "DIRAC", "Core", "scripts");
  for (const kind of ["agent", "service"]) {
    writeExecutable(path.join(scripts, `dirac-${kind}.py`), render("dirac-component.sh", { BOX_STATE: box.stateDir, SETUP: setup, BOX: box.name, INSTANCE: box.instanceRoot }));
  }
  for (const component of box.components) installComponent(box, component);
  if (box.isDatabase) installMysql(box);
  installShims(box);
  return box;
}
