import type { ApprovalPolicy, Cluster, HostEntry, Inventory, ServiceManager, SlackPrincipals } from "./inventory";

/** What `npm run config:check` prints for a valid inventory: what intervene will act on, and who decides. */
export function formatInventorySummary(inventory: Inventory): string {
  const clusters = Object.values(inventory.clusters);
  const lines = [`${inventory.file}: valid, ${clusters.length} cluster(s)`];
  for (const cluster of clusters) lines.push("", ...clusterLines(cluster));
  return lines.join("\n");
}

function clusterLines(cluster: Cluster): string[] {
  const lines = [`${cluster.name}: ${cluster.kind}, channel ${cluster.channel}${cluster.description ? ` - ${cluster.description}` : ""}`];
  if (cluster.kind === "leofs") {
    const { leofs } = cluster;
    const { master, slave } = leofs.managers;
    lines.push(
      `  leofs ${leofs.version} in ${leofs.installDir}, ${leofs.replicas} replica(s), admin on ${leofs.admin.host}`,
      `  managers: master ${master.host} ${master.node} :${master.consolePort}, slave ${slave.host} ${slave.node} :${slave.consolePort}`,
      `  storage: ${leofs.storage.map((n) => `${n.host} ${n.node}`).join(", ")}`,
      `  gateways: ${leofs.gateways.map((n) => `${n.host} ${n.node}`).join(", ") || "none"}`,
      serviceLine(cluster.leofs.service, cluster.hosts),
    );
  } else {
    const { dirac } = cluster;
    lines.push(
      `  dirac setup ${dirac.setup} in ${dirac.instanceRoot}, framework server ${dirac.frameworkServer}, agents after ${formatDuration(dirac.waitBeforeAgentsMs)}`,
      `  boxes: ${dirac.boxes.map((b) => `${b.host} (${b.roles.join("+")})`).join(", ")}`,
    );
  }
  lines.push("  hosts:", ...Object.values(cluster.hosts).map((h) => `    ${hostLine(h)}`));
  lines.push(`  approval: ${policyLine(cluster.approval)}`);
  for (const [id, policy] of Object.entries(cluster.procedureApprovals)) lines.push(`  approval for ${id}: ${policyLine(policy)}`);
  return lines;
}

/**
 * How nodes start and stop, and what that means, so that the operator sees
 * the switch before any run: mixing the two is not supported by LeoFS.
 */
function serviceLine(service: ServiceManager, hosts: Readonly<Record<string, HostEntry>>): string {
  const others = Object.values(hosts).filter((h) => h.service !== undefined && h.service !== service);
  const how = (s: ServiceManager) => (s === "systemd" ? "systemctl start|stop leofs-<unit> (Restart=on-failure)" : "the launch scripts (bin/leo_* start|stop)");
  const except = others.length === 0 ? "" : `; except ${others.map((h) => `${h.name} (${h.service ?? ""})`).join(", ")}`;
  return `  nodes run by ${how(service)} (service: ${service}${except}); never both on one node`;
}

function hostLine(host: HostEntry): string {
  const { ssh } = host;
  const via = ssh.bastion ? ` via ${ssh.bastion.user}@${ssh.bastion.host}:${ssh.bastion.port}` : "";
  const root = host.root === "/" ? "" : ` root ${host.root}`;
  return `${host.name}: ${ssh.user}@${host.address}:${ssh.port}${via} ${host.os ?? "os unset"}${root}`;
}

function policyLine(policy: ApprovalPolicy): string {
  const listed = isEmpty(policy.requesters) ? [] : [principals(policy.requesters)];
  const requesters = [...listed, ...(policy.requesters.channelMembers ? ["members of the channel"] : [])].join(" and ") || "nobody";
  return [
    `${policy.minApprovals} of ${principals(policy.approvers)}`,
    policy.mode,
    `expires after ${formatDuration(policy.expiresAfterMs)}`,
    policy.breakGlass !== undefined ? `no self-approval except break-glass in ${policy.breakGlass.channel}` : "no self-approval",
    `requesters: ${requesters}`,
  ].join(", ");
}

function principals(p: SlackPrincipals): string {
  return [...p.users, ...p.userGroups.map((g) => `group ${g}`)].join(" ");
}

function isEmpty(p: SlackPrincipals): boolean {
  return p.users.length === 0 && p.userGroups.length === 0;
}

function formatDuration(ms: number): string {
  for (const [unit, size] of [["h", 3_600_000], ["m", 60_000], ["s", 1_000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
