import type { DiracBox, DiracCluster, HostEntry } from "../../config";
import { hostPath } from "../sh";

export function diracHost(cluster: DiracCluster, name: string): HostEntry {
  const entry = cluster.hosts[name];
  // The inventory loader checks every host reference; reaching this is a loader bug.
  if (entry === undefined) throw new Error(`inventory of ${cluster.name} has no host ${name}`);
  return entry;
}

/** An absolute DIRAC path as seen on a box (its root applied). */
export function boxPath(cluster: DiracCluster, box: string, absPath: string): string {
  return hostPath(diracHost(cluster, box), absPath);
}

const instance = (cluster: DiracCluster, box: string): string => boxPath(cluster, box, cluster.dirac.instanceRoot.replace(/\/+$/, ""));

/** `<instance>/startup`: the runsvdir directory of the box (reference §5). */
export const startupDir = (cluster: DiracCluster, box: string): string => `${instance(cluster, box)}/startup`;

/** `<instance>/startup-save`: where seed 003 parks the links while the box is down. */
export const startupSaveDir = (cluster: DiracCluster, box: string): string => `${instance(cluster, box)}/startup-save`;

export const instanceDir = instance;

/**
 * Which runit phase a box's components belong to: a box with agents stops
 * with the agents (first) and starts with them (last), so its services are
 * never up while its agents are down for longer than needed.
 */
export function runitPhase(box: DiracBox): "agents" | "services" | undefined {
  if (box.roles.includes("agents")) return "agents";
  if (box.roles.includes("services")) return "services";
  return undefined;
}

/** A capture-name fragment from a host name: `volhcb18` → `volhcb18`, `a-b.c` → `a_b_c`. */
export const boxIdentifier = (name: string): string => name.replace(/[^A-Za-z0-9]+/g, "_").replace(/^_+|_+$/g, "");

/** A step-id fragment from a host name. */
export const boxSlug = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
