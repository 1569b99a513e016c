import { closestName } from "./closest-name";
import { formatYamlPath } from "./format-yaml-path";
import type { ApprovalPolicy } from "./inventory";
import type { RawCluster } from "./inventory-schema";
import { LEOFS_UNIT_DIRS, leofsUnitFor } from "./leofs-unit-for";
import type { PathIssue } from "./path-issue";
import type { ResolvedApprovalPolicies } from "./resolve-approval-policies";
import type { YamlPath } from "./yaml-source";

type Report = (path: YamlPath, message: string, at?: "key" | "value") => void;

/**
 * The checks one schema cannot express (after `checkClusterKind`): every host
 * named in the topology exists, node names are unique, counts are
 * consistent, and the approval policy can actually be satisfied.
 * `approval` is undefined when `defaults` was itself invalid (already reported).
 */
export function checkCluster(name: string, cluster: RawCluster, approval: ResolvedApprovalPolicies | undefined): PathIssue[] {
  const issues: PathIssue[] = [];
  const report: Report = (path, message, at) => issues.push({ path: ["clusters", name, ...path], message, at });
  const hostNames = Object.keys(cluster.hosts);
  const hostsPath = formatYamlPath(["clusters", name, "hosts"]);
  const referHost = (path: YamlPath, host: string) => {
    if (Object.hasOwn(cluster.hosts, host)) return;
    const guess = closestName(host, hostNames);
    const hint = guess === undefined ? "" : `; did you mean ${JSON.stringify(guess)}?`;
    report(path, `unknown host ${JSON.stringify(host)} (not in ${hostsPath}${hint})`);
  };

  if (cluster.kind === "leofs" && cluster.leofs !== undefined) checkLeofs(cluster, report, referHost);
  if (cluster.kind === "dirac" && cluster.dirac !== undefined) checkDirac(cluster.dirac, report, referHost);
  if (approval !== undefined) checkApproval(approval, cluster, report);
  return issues;
}

function checkLeofs(cluster: RawCluster, report: Report, referHost: (path: YamlPath, host: string) => void): void {
  const leofs = cluster.leofs;
  if (leofs === undefined) return;
  const members: { path: YamlPath; host: string; node: string; dir: string }[] = [
    { path: ["leofs", "managers", "master"], ...leofs.managers.master },
    { path: ["leofs", "managers", "slave"], ...leofs.managers.slave },
    ...leofs.storage.map((n, i) => ({ path: ["leofs", "storage", i], ...n })),
    ...leofs.gateways.map((n, i) => ({ path: ["leofs", "gateways", i], ...n })),
  ];
  if (leofs.admin !== undefined) referHost(["leofs", "admin", "host"], leofs.admin.host);
  const firstSeen = new Map<string, YamlPath>();
  for (const member of members) {
    referHost([...member.path, "host"], member.host);
    const earlier = firstSeen.get(member.node);
    if (earlier === undefined) firstSeen.set(member.node, member.path);
    else report([...member.path, "node"], `duplicate node ${JSON.stringify(member.node)} (also at ${formatYamlPath([...earlier, "node"])})`);
  }
  if (leofs.replicas > leofs.storage.length) {
    report(["leofs", "replicas"], `${leofs.replicas} replicas need at least ${leofs.replicas} storage nodes, found ${leofs.storage.length}`);
  }
  // Packages are installed on every host of the cluster, so each must say which family.
  for (const [hostName, host] of Object.entries(cluster.hosts)) {
    if (host.os === undefined) report(["hosts", hostName, "os"], 'required for a leofs cluster ("deb" or "rpm")');
  }
  // Under systemd every start and stop goes through the package's unit for
  // the node's dir; a dir without one cannot be driven without mixing in the
  // launch scripts, which LeoFS does not support.
  for (const member of members) {
    const service = Object.hasOwn(cluster.hosts, member.host) ? (cluster.hosts[member.host]?.service ?? leofs.service) : leofs.service;
    if (service === "systemd" && leofsUnitFor(member.dir) === undefined) {
      report(
        [...member.path, "dir"],
        `${JSON.stringify(member.dir)} has no systemd unit in the LeoFS packages (rel/service/): under service: systemd a node's dir must be one of ${LEOFS_UNIT_DIRS.join(", ")}, or set service: launch-script on host ${member.host}`,
      );
    }
  }
}

function checkDirac(
  dirac: NonNullable<RawCluster["dirac"]>,
  report: Report,
  referHost: (path: YamlPath, host: string) => void,
): void {
  const boxHosts = new Map<string, number>();
  let frameworkServer: number | undefined;
  dirac.boxes.forEach((box, i) => {
    const path = ["dirac", "boxes", i];
    referHost([...path, "host"], box.host);
    const earlier = boxHosts.get(box.host);
    if (earlier === undefined) boxHosts.set(box.host, i);
    else report([...path, "host"], `duplicate box ${JSON.stringify(box.host)} (also at dirac.boxes[${earlier}])`);
    box.roles.forEach((role, r) => {
      if (box.roles.indexOf(role) !== r) report([...path, "roles", r], `duplicate role ${JSON.stringify(role)}`);
    });
    if (box.frameworkServer) {
      if (!box.roles.includes("services")) report([...path, "frameworkServer"], "the framework server must be a services box (roles: [services])");
      if (frameworkServer === undefined) frameworkServer = i;
      else report([...path, "frameworkServer"], `only one box may be the framework server (dirac.boxes[${frameworkServer}] already is)`);
    }
    if (box.innodbJournal) {
      if (!box.roles.includes("databases")) report([...path, "innodbJournal"], "only a databases box has an InnoDB journal to move");
      if (dirac.innodbJournal === undefined) report([...path, "innodbJournal"], "requires dirac.innodbJournal { from, to }");
    }
  });
  if (frameworkServer === undefined) report(["dirac", "boxes"], "exactly one services box must have frameworkServer: true, found none");
}

function checkApproval(approval: ResolvedApprovalPolicies, cluster: RawCluster, report: Report): void {
  checkRequesters(approval.cluster, ["approval"], report, cluster.channel);
  checkPolicy(approval.cluster, ["approval"], report);
  for (const [id, policy] of approval.procedures) {
    const override = cluster.approval?.procedures?.[id];
    if (override?.requesters !== undefined) checkRequesters(policy, ["approval", "procedures", id], report, cluster.channel);
    // A procedure that inherits approvers and count from the cluster inherits its verdict too: report it once.
    if (override?.approvers !== undefined || override?.minApprovals !== undefined) {
      checkPolicy(policy, ["approval", "procedures", id], report);
    }
  }
}

function checkPolicy(policy: ApprovalPolicy, path: YamlPath, report: Report): void {
  const { users, userGroups } = policy.approvers;
  if (users.length === 0 && userGroups.length === 0) {
    report([...path, "approvers"], "at least one approver user or user group is required (here or in defaults.approval.approvers)");
  } else if (userGroups.length === 0 && policy.minApprovals > users.length) {
    report(
      [...path, "minApprovals"],
      `${policy.minApprovals} approvals needed but only ${users.length} approver(s) listed; add approvers or a user group`,
    );
  }
}

/**
 * Deny by default (issue 12 point 1): somebody must be allowed to start runs,
 * and it is said out loud. An empty list used to mean "anyone in the
 * workspace", guests included.
 */
function checkRequesters(policy: ApprovalPolicy, path: YamlPath, report: Report, channel: string | undefined): void {
  const { users, userGroups, channelMembers } = policy.requesters;
  if (users.length > 0 || userGroups.length > 0 || channelMembers) return;
  report(
    [...path, "requesters"],
    "nobody may start runs here: list them (here or in defaults.approval), e.g. requesters: { users: [U0123ABCD], userGroups: [S0123ABCD] }, " +
      `or write requesters: { channelMembers: true } to allow the members of the cluster's channel${channel !== undefined ? ` ${channel}` : ""} (deny by default: an empty list no longer means anyone)`,
  );
}
