import type { LeofsNodeStatus, LeofsStatus } from "../parsers/parse-leofs-status";

/** Whether the manager would accept an operation now; `reasons` say why not, in the operator's words. */
export interface PreconditionResult {
  readonly ok: boolean;
  readonly reasons: readonly string[];
}

function result(reasons: string[]): PreconditionResult {
  return { ok: reasons.length === 0, reasons };
}

function storageNode(status: LeofsStatus, node: string, reasons: string[]): LeofsNodeStatus | undefined {
  const found = status.nodes.find((n) => n.node === node);
  if (found === undefined) {
    const members = status.nodes.filter((n) => n.type === "S").map((n) => n.node);
    reasons.push(`${node} is not in the cluster's member table (storage nodes: ${members.length > 0 ? members.join(", ") : "none"})`);
    return undefined;
  }
  if (found.type !== "S") {
    reasons.push(`${node} is a gateway; only storage nodes can be suspended, resumed or detached`);
    return undefined;
  }
  return found;
}

const storage = (status: LeofsStatus): LeofsNodeStatus[] => status.nodes.filter((n) => n.type === "S");

/**
 * `detach` (reference §1, §3 "Remove a node"): the node must be running or
 * stopped; the manager refuses with `Running nodes less than # of replicas`
 * and `Detached nodes greater than or equal # of replicas`.
 */
export function canDetach(status: LeofsStatus, node: string, replicas = status.system.totalReplicas): PreconditionResult {
  const reasons: string[] = [];
  const target = storageNode(status, node, reasons);
  if (target !== undefined && target.state !== "running" && target.state !== "stop") {
    reasons.push(
      `${node} is "${target.state}"; only a running or stopped node can be detached` +
        (target.state === "suspend" || target.state === "restarted" ? " (resume it first)" : ""),
    );
  }
  if (replicas === undefined) {
    reasons.push("the status does not show the number of replicas, so the detach conditions cannot be checked");
  } else {
    const running = storage(status).filter((n) => n.state === "running").length;
    if (running - 1 < replicas) {
      reasons.push(
        `only ${running} storage node(s) are running and the cluster keeps ${replicas} replicas: after a detach fewer than ${replicas} would remain ` +
          `(the manager answers "Running nodes less than # of replicas"); attach a node first`,
      );
    }
    const detached = storage(status).filter((n) => n.state === "detached");
    if (detached.length >= replicas) {
      reasons.push(
        `${detached.length} node(s) are already detached (${detached.map((n) => n.node).join(", ")}), as many as the ${replicas} replicas ` +
          `(the manager answers "Detached nodes greater than or equal # of replicas"); rebalance first`,
      );
    }
  }
  return result(reasons);
}

/**
 * `rebalance` (reference §1, §3 "Consistency checks"): every running node's
 * ring must match the manager's, and at most one storage node may be in stop,
 * suspend or restarted; otherwise the manager answers `Not satisfy
 * conditions`. With nothing attached or detached it answers `Not need rebalance`.
 */
export function canRebalance(status: LeofsStatus): PreconditionResult {
  const reasons: string[] = [];
  const { currentRingHash, previousRingHash } = status.system;
  if (currentRingHash === "") {
    reasons.push("the storage cluster has not been started yet (the manager has no ring): run `leofs-adm start` first");
    return result(reasons);
  }
  for (const n of status.nodes) {
    if (n.state !== "running") continue;
    if (n.currentRing === "" || n.prevRing === "") {
      reasons.push(`${n.node} has not synced its ring since its last state change (ring columns are blank): wait a minute and check again`);
    } else if (n.currentRing !== currentRingHash || n.prevRing !== previousRingHash) {
      reasons.push(
        `${n.node} has ring ${n.currentRing}/${n.prevRing} but the manager's is ${currentRingHash}/${previousRingHash} ` +
          `("Not satisfy conditions"): run \`leofs-adm recover-ring ${n.node}\``,
      );
    }
  }
  const degraded = storage(status).filter((n) => n.state === "stop" || n.state === "suspend" || n.state === "restarted");
  if (degraded.length > 1) {
    reasons.push(
      `${degraded.length} storage nodes are not serving (${degraded.map((n) => `${n.node} is "${n.state}"`).join(", ")}); ` +
        `at most one may be in stop, suspend or restarted ("Not satisfy conditions"): bring the others back first`,
    );
  }
  if (!storage(status).some((n) => n.state === "attached" || n.state === "detached")) {
    reasons.push('no storage node is attached or detached, so there is nothing to rebalance ("Not need rebalance")');
  }
  return result(reasons);
}

/** `suspend` (reference §1 "Node states"): only a running node can be suspended. */
export function canSuspend(status: LeofsStatus, node: string): PreconditionResult {
  const reasons: string[] = [];
  const target = storageNode(status, node, reasons);
  if (target !== undefined && target.state !== "running") {
    reasons.push(`${node} is "${target.state}"; only a running node can be suspended`);
  }
  return result(reasons);
}

/**
 * `resume` (reference §1 "Node states"): accepts suspend, restarted and
 * detached. The node must also be up, which the status cannot show (a
 * suspended node stays "suspend" while down): the manager answers `Could not
 * connect` otherwise.
 */
export function canResume(status: LeofsStatus, node: string): PreconditionResult {
  const reasons: string[] = [];
  const target = storageNode(status, node, reasons);
  if (target !== undefined && !["suspend", "restarted", "detached"].includes(target.state)) {
    reasons.push(`${node} is "${target.state}"; only a suspended, restarted or detached node can be resumed`);
  }
  return result(reasons);
}
