import type { HostEntry, LeofsCluster, LeofsManager, LeofsNode } from "../../config";
import type { PlannedTarget } from "../model/step";
import { hostPath, sh, type ShellValue } from "../sh";

export type ManagerRole = "master" | "slave";

export const otherRole = (role: ManagerRole): ManagerRole => (role === "master" ? "slave" : "master");

export function host(cluster: LeofsCluster, name: string): HostEntry {
  const entry = cluster.hosts[name];
  // The inventory loader checks every host reference; reaching this is a loader bug.
  if (entry === undefined) throw new Error(`inventory of ${cluster.name} has no host ${name}`);
  return entry;
}

export function manager(cluster: LeofsCluster, role: ManagerRole): LeofsManager {
  return cluster.leofs.managers[role];
}

/** Absolute path of `<installDir>/<rel>` as seen on `hostName` (its root applied). */
export function installPath(cluster: LeofsCluster, hostName: string, rel: string): string {
  return hostPath(host(cluster, hostName), `${cluster.leofs.installDir.replace(/\/+$/, "")}/${rel}`);
}

/** The launch script of a manager (reference §2: `bin/leo_manager`). */
export function managerScript(cluster: LeofsCluster, role: ManagerRole): string {
  const m = manager(cluster, role);
  return installPath(cluster, m.host, `${m.dir}/bin/leo_manager`);
}

export function storageScript(cluster: LeofsCluster, node: LeofsNode): string {
  return installPath(cluster, node.host, `${node.dir}/bin/leo_storage`);
}

export function gatewayScript(cluster: LeofsCluster, node: LeofsNode): string {
  return installPath(cluster, node.host, `${node.dir}/bin/leo_gateway`);
}

/**
 * How long a `start` + `wait_ready` step may take. leo-project/leofs 1.4.4
 * rel/common/launch.sh `wait_ready`: up to 120 rounds of `escript nodetool
 * ready` (0.3–1 s each) plus `sleep 1`, so 160–240 s before `Not ready after
 * 120 reties` (reference §0); 300 s leaves margin for `start` itself and a
 * slow host (issue 11 point 9).
 */
export const WAIT_READY_TIMEOUT_MS = 300_000;

/** `<installDir>/<manager dir>/<mnesiaSubdir>` on the manager's host. */
export function mnesiaDir(cluster: LeofsCluster, role: ManagerRole): string {
  const m = manager(cluster, role);
  return installPath(cluster, m.host, `${m.dir}/${cluster.leofs.paths.mnesiaSubdir.replace(/^\/+|\/+$/g, "")}`);
}

/** `manager-master` / `manager-slave`: the words of seed 000 and of the chat command. */
export const roleLabel = (role: ManagerRole): string => `manager-${role}`;

/**
 * A leofs-adm call against one manager's console. Global options go before
 * the command (reference §1). The console binds to localhost by default, so:
 * when the admin host is that manager's host (or is the other manager's host,
 * which cannot reach this console) the call runs on the manager's own host
 * against 127.0.0.1; a dedicated admin host reaches it by address.
 */
export function leofsAdm(cluster: LeofsCluster, role: ManagerRole, ...args: ShellValue[]): PlannedTarget {
  const managerHosts = [cluster.leofs.managers.master.host, cluster.leofs.managers.slave.host];
  return leofsAdmAt(cluster, manager(cluster, role), managerHosts, ...args);
}

/**
 * `leofsAdm` against a manager console given by host and port, for plans in
 * which a manager is not where the inventory says yet (a takeover).
 * `managerHosts`: the hosts that run a manager during the plan.
 */
export function leofsAdmAt(
  cluster: LeofsCluster,
  m: { readonly host: string; readonly consolePort: number },
  managerHosts: readonly string[],
  ...args: ShellValue[]
): PlannedTarget {
  const admin = cluster.leofs.admin.host;
  const local = admin === m.host || managerHosts.includes(admin);
  const runOn = local ? m.host : admin;
  const address = local ? "127.0.0.1" : host(cluster, m.host).address;
  const adm = installPath(cluster, runOn, "leofs-adm");
  const argv = args.map((a) => sh`${a}`).join(" ");
  return { host: runOn, command: `${sh`${adm} -h ${address} -p ${m.consolePort}`} ${argv}` };
}

/** A timestamp safe in file names and sortable: `20240501T102030Z`. */
export function fileTimestamp(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, "Z").replace(/[-:]/g, "");
}

/** `<backupDir>/<cluster>/<timestamp>-<label>` on a host. */
export function backupPath(cluster: LeofsCluster, hostName: string, now: Date, label: string): string {
  return hostPath(host(cluster, hostName), `${cluster.leofs.paths.backupDir.replace(/\/+$/, "")}/${cluster.name}/${fileTimestamp(now)}-${label}`);
}

export const storageNodes = (cluster: LeofsCluster): readonly string[] => cluster.leofs.storage.map((s) => s.node);
export const gatewayNodes = (cluster: LeofsCluster): readonly string[] => cluster.leofs.gateways.map((g) => g.node);

/** A step-id fragment from a node or host name: `storage_0@10.0.0.104` → `storage-0-10-0-0-104`. */
export function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
}

/** A capture-name fragment from a host name: `leofs-s0` → `leofs_s0`. */
export function identifier(name: string): string {
  return name.replace(/[^A-Za-z0-9]+/g, "_").replace(/^_+|_+$/g, "");
}

/** Erlang node name as leofs-adm and the config files write it: `manager_2@10.0.0.107`. */
export const ERLANG_NODE = /^[A-Za-z][A-Za-z0-9_-]*@[A-Za-z0-9][A-Za-z0-9.-]*$/;
