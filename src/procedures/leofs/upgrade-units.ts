import type { LeofsCluster } from "../../config";
import { hostPath } from "../sh";
import { host } from "./leofs-layout";
import { nodeControl, type NodeControl } from "./node-control";

export type UpgradeNodeKind = "manager-slave" | "manager-master" | "gateway" | "storage";

/** One LeoFS node as the upgrade sees it. */
export interface UpgradeNode {
  readonly kind: UpgradeNodeKind;
  readonly node: string;
  readonly host: string;
  /** Node directory relative to the version tree (`leo_storage`). */
  readonly dir: string;
  /** Start, stop and probes through `installDir` (the `current` link), by the host's `service`. */
  readonly control: NodeControl;
  /** `<type>.conf` file name in `etc/`. */
  readonly confName: string;
}

/**
 * Hosts that go down together. The package is per host: installing it flips
 * `current` for every node on the host, so a unit is always whole hosts.
 */
export interface UpgradeUnit {
  readonly hosts: readonly string[];
  /** Every node on those hosts, in rolling order. */
  readonly nodes: readonly UpgradeNode[];
}

/** Reference §3 rolling upgrade: slave manager, master manager, gateways one at a time, storage one at a time. */
export function rollingOrder(cluster: LeofsCluster): UpgradeNode[] {
  const { managers, gateways, storage } = cluster.leofs;
  return [
    { kind: "manager-slave", ...pick(managers.slave), control: controlOf(cluster, managers.slave), confName: "leo_manager.conf" },
    { kind: "manager-master", ...pick(managers.master), control: controlOf(cluster, managers.master), confName: "leo_manager.conf" },
    ...gateways.map((g): UpgradeNode => ({ kind: "gateway", ...pick(g), control: controlOf(cluster, g), confName: "leo_gateway.conf" })),
    ...storage.map((s): UpgradeNode => ({ kind: "storage", ...pick(s), control: controlOf(cluster, s), confName: "leo_storage.conf" })),
  ];
}

const pick = (n: { node: string; host: string; dir: string }) => ({ node: n.node, host: n.host, dir: n.dir });
const controlOf = (cluster: LeofsCluster, n: { node: string; host: string; dir: string }): NodeControl => nodeControl(cluster, n.host, n.dir, n.node);

/** Start order of reference §3: master before slave (both managers may be in one unit), then gateways, then storage. */
export function startOrder(nodes: readonly UpgradeNode[]): UpgradeNode[] {
  const rank: Record<UpgradeNodeKind, number> = { "manager-master": 0, "manager-slave": 1, gateway: 2, storage: 3 };
  return [...nodes].sort((a, b) => rank[a.kind] - rank[b.kind]);
}

/**
 * `all`: the managers first, both stopped before either starts (reference §3
 * step 2), then each remaining node's host in rolling order. One node: its host.
 */
export function upgradeUnits(cluster: LeofsCluster, target: UpgradeNode | "all"): UpgradeUnit[] {
  const order = rollingOrder(cluster);
  const unitOf = (hosts: string[]): UpgradeUnit => ({ hosts, nodes: order.filter((n) => hosts.includes(n.host)) });
  if (target !== "all") return [unitOf([target.host])];
  const { master, slave } = cluster.leofs.managers;
  const units = [unitOf([...new Set([slave.host, master.host])])];
  const done = new Set(units[0]?.hosts);
  for (const n of order) {
    if (done.has(n.host)) continue;
    done.add(n.host);
    units.push(unitOf([n.host]));
  }
  return units;
}

/** `/usr/local/leofs/current` → `/usr/local/leofs`; undefined when installDir is not the package's `current` link. */
export function versionPrefix(cluster: LeofsCluster): string | undefined {
  const match = /^(\/.*)\/current\/*$/.exec(cluster.leofs.installDir);
  return match?.[1];
}

/** `<prefix>/<version>/<rel>` on a host (its root applied). */
export function versionPath(cluster: LeofsCluster, hostName: string, prefix: string, version: string, rel = ""): string {
  return hostPath(host(cluster, hostName), `${prefix}/${version}${rel === "" ? "" : `/${rel}`}`);
}
