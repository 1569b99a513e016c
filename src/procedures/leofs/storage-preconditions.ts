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
 * `detach`, as leo-project/leofs 1.4.4 decides it
 * (apps/leo_manager/src/leo_manager_console.erl, `detach` handling with
 * `allow_to_detach_node_1/1` and `allow_to_detach_node_2/2`):
 * - fewer than N members may already be `detached`, else `Detached nodes
 *   greater than or equal # of replicas`;
 * - the running members are counted with the target included when it runs:
 *   a running target needs more than N running, a target that is not running
 *   needs at least N, else `Running nodes less than # of replicas`.
 * The earlier rule here (running − 1 ≥ N for every target) refused detaching
 * a stopped node that the manager accepts. We still only offer detach of a
 * running or stopped node: the safe reading for an operator.
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
    const targetRuns = target?.state === "running";
    if (targetRuns ? running <= replicas : running < replicas) {
      reasons.push(
        `only ${running} storage node(s) are running and the cluster keeps ${replicas} replicas: ` +
          (targetRuns ? `after detaching ${node} fewer than ${replicas} would remain` : `fewer than ${replicas} serve the data ${node} held`) +
          ` (the manager answers "Running nodes less than # of replicas"); attach a node first`,
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
 * `rebalance` (reference §1, §3 "Consistency checks"; leo-project/leofs 1.4.4
 * apps/leo_manager/src/leo_manager_api.erl `is_any_inconsistency_happening_in_cluster`
 * and `is_allow_to_distribute_command/0`): every running node's ring must
 * match the manager's, and of the members neither attached nor detached at
 * most `Diff` may be out of `running`, where `Diff` is 0 when N < 2 and 1
 * otherwise; else `Not satisfy conditions`. With nothing attached or detached
 * it answers `Not need rebalance`.
 */
export function canRebalance(status: LeofsStatus, replicas = status.system.totalReplicas): PreconditionResult {
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
  // Unknown N: assume the stricter N = 1 rule (no degraded node), the safe side.
  const allowed = replicas !== undefined && replicas >= 2 ? 1 : 0;
  const degraded = storage(status).filter((n) => n.state !== "running" && n.state !== "attached" && n.state !== "detached");
  if (degraded.length > allowed) {
    reasons.push(
      `${degraded.length} storage node(s) are not serving (${degraded.map((n) => `${n.node} is "${n.state}"`).join(", ")}); ` +
        (allowed === 0
          ? `with ${replicas === undefined ? "an unknown number of" : replicas} replica(s) the manager allows none ("Not satisfy conditions"): bring it back first`
          : `at most one may be out of running ("Not satisfy conditions"): bring the others back first`),
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
 * `resume`, as leo-project/leofs 1.4.4 decides it
 * (apps/leo_manager/src/leo_manager_console.erl `resume`): `running`,
 * `attached`, `detached` and `stop` are refused with `Could not resume the
 * node`; `suspend` and `restarted` go on to `leo_manager_api:resume/1`. The
 * reference's earlier "detached can be resumed" is wrong: `rollback` is the
 * command for a detached node (it calls `leo_manager_api:resume/1` directly).
 * The node must also be up, which the status cannot show (a suspended node
 * stays "suspend" while down): the manager answers `Could not connect` then.
 */
export function canResume(status: LeofsStatus, node: string): PreconditionResult {
  const reasons: string[] = [];
  const target = storageNode(status, node, reasons);
  if (target !== undefined && !["suspend", "restarted"].includes(target.state)) {
    reasons.push(
      `${node} is "${target.state}"; only a suspended or restarted node can be resumed (the manager answers "Could not resume the node")` +
        (target.state === "detached" ? `: to take a detach back, run \`leofs-adm rollback ${node}\`` : ""),
    );
  }
  return result(reasons);
}
