import type { SimSshHosts } from "../sim-ssh-hosts";

/** What a simulated DIRAC setup is made of; see README.md in this directory. */
export type DiracRole = "agents" | "services" | "databases";

export interface DiracBoxSpec {
  /** Host name in the inventory and the `ssh -F` config (e.g. `volhcb20`). */
  readonly name: string;
  readonly roles: readonly DiracRole[];
  /** The box running Configuration_Server: started first in seed 003 §5. */
  readonly frameworkServer?: boolean;
  /** Seed 003 §3: the InnoDB journal of this database box may be moved to /home/dirac/mysql-log. */
  readonly innodbJournal?: boolean;
  /** Runit components as `<System>_<Component>`; defaults follow the roles. */
  readonly components?: readonly string[];
  /** Seed 003 §4.1: MySQL starts by itself when the box boots. @defaultValue true */
  readonly mysqlAutostart?: boolean;
}

export interface DiracSimSpec {
  /** @defaultValue one agents box, two services boxes (one framework server), one database box */
  readonly boxes?: readonly DiracBoxSpec[];
  /** @defaultValue "LHCb-Test" */
  readonly setup?: string;
  /** Cluster name in the written inventory. @defaultValue "dirac-sim" */
  readonly cluster?: string;
  /** Slack channel id in the written inventory. @defaultValue "C0DIRACSIM" */
  readonly channel?: string;
  /** `dirac.waitBeforeAgents` in the written inventory. @defaultValue "1s" */
  readonly waitBeforeAgents?: string;
  /** `dirac.agentPollingTime` in the written inventory (DIRAC PollingTime; the inventory default is 120s). */
  readonly agentPollingTime?: string;
  /** Boxes listen on 127.0.0.<firstAddress>, <firstAddress + 1>, ... @defaultValue 40 */
  readonly firstAddress?: number;
  /** Slack user ids of the written inventory's approval policy. @defaultValue anyone requests, U0SIMAPPROVER approves */
  readonly approval?: { readonly requesters?: readonly string[]; readonly approvers?: readonly string[] };
  /** What serves the boxes over SSH. @defaultValue one real OpenSSH sshd per box */
  readonly sshHosts?: SimSshHosts;
}

export const DEFAULT_DIRAC_BOXES: readonly DiracBoxSpec[] = [
  { name: "volhcb20", roles: ["agents"] },
  { name: "volhcb18", roles: ["services"], frameworkServer: true },
  { name: "volhcb19", roles: ["services"] },
  { name: "volhcb21", roles: ["databases"], innodbJournal: true },
];

const AGENTS = ["WorkloadManagement_PilotStatusAgent", "WorkloadManagement_StalledJobAgent", "DataManagement_FTS3Agent"];
const FRAMEWORK_SERVICES = ["Configuration_Server", "Framework_SystemAdministrator", "Framework_BundleDelivery"];
const SERVICES = ["Framework_SystemAdministrator", "WorkloadManagement_JobManager", "WorkloadManagement_JobMonitoring", "DataManagement_FileCatalog"];

/** The runit components a box runs: explicit, or the usual ones for its roles (database boxes run only MySQL). */
export function componentsOf(box: DiracBoxSpec): string[] {
  if (box.components !== undefined) return [...box.components];
  const names: string[] = [];
  if (box.roles.includes("services")) names.push(...(box.frameworkServer === true ? FRAMEWORK_SERVICES : SERVICES));
  if (box.roles.includes("agents")) names.push(...AGENTS);
  return [...new Set(names)];
}

/** `WorkloadManagement_PilotStatusAgent` -> `["WorkloadManagement", "PilotStatusAgent"]` (DIRAC names systems without `_`). */
export function splitComponent(name: string): [system: string, component: string] {
  const match = /^([A-Za-z0-9]+)_([A-Za-z0-9_]+)$/.exec(name);
  if (match === null) throw new Error(`not a DIRAC component name <System>_<Component>: ${name}`);
  return [match[1]!, match[2]!];
}

/** DIRAC's own naming: components ending in "Agent" run dirac-agent, the others dirac-service. */
export function componentKind(name: string): "agent" | "service" {
  return name.endsWith("Agent") ? "agent" : "service";
}
