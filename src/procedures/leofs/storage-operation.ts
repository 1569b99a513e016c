import { z } from "zod";
import type { LeofsCluster, LeofsNode } from "../../config";
import type { ProcedureDefinition, StepTemplate } from "../model/procedure-definition";
import type { Expectation, LeofsStatusCondition } from "../model/step";
import { ParamError } from "../procedure-errors";
import { READY } from "./launch";
import { leofsAdm, WAIT_READY_TIMEOUT_MS } from "./leofs-layout";
import { nodeControl } from "./node-control";
import { DOWN, LEOFS_ADM_OK, statusCheck, waitForStatus } from "./manager-steps";

export const storageOperationParams = z
  .object({
    operation: z.enum(["attach", "detach", "suspend", "resume"]),
    /** Erlang node name as in the inventory and `leofs-adm status`, e.g. `storage_3@10.0.0.107`. */
    node: z.string().regex(/^[A-Za-z0-9_.-]+@[A-Za-z0-9_.:-]+$/, "write a storage node as name@host, e.g. storage_0@10.0.0.104"),
  })
  .strict();

export type StorageOperationParams = z.infer<typeof storageOperationParams>;

const ID = "leofs.storage";

/** leofs-adm answered without `[ERROR]` and the parsed status satisfies `condition`. */
function status(condition: LeofsStatusCondition): Expectation {
  return { type: "all", of: [LEOFS_ADM_OK, { type: "leofs-status", condition }] };
}

/** Seed 001 operation flow: attach, detach, suspend, resume a storage node (reference §3). */
export const storageOperation: ProcedureDefinition<StorageOperationParams, LeofsCluster> = {
  id: ID,
  kind: "leofs",
  title: "Attach, detach, suspend or resume a LeoFS storage node",
  summary: "One storage node operation, with the manager's preconditions checked first and the resulting state verified.",
  seed: "seed 001 \"Operation Flow\" step 7 (attach/detach/suspend/resume a LeoStorage node)",
  params: storageOperationParams,
  build: ({ cluster, params }) => {
    const node = cluster.leofs.storage.find((s) => s.node === params.node);
    if (node === undefined) {
      throw new ParamError(ID, [
        {
          field: "node",
          message: `${params.node} is not a storage node of ${cluster.name}; write one of: ${cluster.leofs.storage.map((s) => s.node).join(", ")}`,
        },
      ]);
    }
    switch (params.operation) {
      case "attach":
        return attach(cluster, node);
      case "detach":
        return detach(cluster, node);
      case "suspend":
        return suspend(cluster, node);
      case "resume":
        return resume(cluster, node);
    }
  },
};

function rebalanceSteps(cluster: LeofsCluster, why: string): StepTemplate[] {
  return [
    statusCheck(
      cluster,
      "master",
      "check-rebalance-allowed",
      "Check that the manager will accept a rebalance",
      status({ kind: "operation-allowed", operation: "rebalance" }),
      "reference §3 consistency checks (rings equal the manager's; at most one node in stop/suspend/restarted, else `Not satisfy conditions`)",
    ),
    {
      id: "rebalance",
      title: "Rebalance the storage cluster (`leofs-adm rebalance`)",
      kind: "exec",
      cite: "reference §3 (Add a node / Remove a node: `leofs-adm rebalance`); §1 rebalance output",
      destructive: true,
      targets: [leofsAdm(cluster, "master", "rebalance")],
      // Per-node `ERROR  <n>% - <node>` lines can stand under the final OK (leo_manager_api.erl rebalance_4_loop).
      expect: { type: "all", of: [LEOFS_ADM_OK, { type: "no-leofs-node-errors" }] },
      timeoutMs: 30 * 60_000,
      approvalDetail: `Moves data between storage nodes ${why}. It cannot be undone; the cluster stays online.`,
    },
  ];
}

function attach(cluster: LeofsCluster, node: LeofsNode): StepTemplate[] {
  return [
    statusCheck(
      cluster,
      "master",
      "check-not-member",
      `Check that ${node.node} is not a member yet`,
      status({ kind: "node-absent", node: node.node }),
      "reference §3 Add a node (a new node); §1 node states",
    ),
    {
      id: "start-node",
      title: `Start ${node.node}`,
      kind: "exec",
      cite: "reference §3 Add a node step 1 (start the new storage node)",
      note: "`attach` is not a leofs-adm command (reference §1): a new node becomes attached on its own when it starts and registers with the manager. ping first, so a Retry does not fail on `Node is already running!`.",
      targets: [{ host: node.host, command: nodeControl(cluster, node.host, node.dir, node.node).start }],
    },
    waitForStatus(cluster, "wait-attached", `Wait until ${node.node} is attached`, status({ kind: "nodes-in-state", nodes: [node.node], states: ["attached"] }), "reference §3 Add a node step 2 (`status` shows it attached)"),
    ...rebalanceSteps(cluster, `to give ${node.node} its share`),
    waitForStatus(
      cluster,
      "wait-all-running",
      "Wait until every storage node runs on one ring",
      { type: "all", of: [status({ kind: "all-in-state", nodeType: "S", states: ["running"] }), { type: "leofs-status", condition: { kind: "rings-consistent" } }] },
      "reference §3 Add a node step 4 (every node running with the new ring hash)",
      30 * 60_000,
    ),
  ];
}

function detach(cluster: LeofsCluster, node: LeofsNode): StepTemplate[] {
  return [
    statusCheck(
      cluster,
      "master",
      "check-detach-allowed",
      `Check that the manager will accept detaching ${node.node}`,
      status({ kind: "operation-allowed", operation: "detach", node: node.node }),
      "reference §3 Remove a node (running or stop); §1 detach errors (`Running nodes less than # of replicas`, `Detached nodes greater than or equal # of replicas`)",
    ),
    {
      id: "detach",
      title: `Detach ${node.node}`,
      kind: "exec",
      cite: "reference §3 Remove a node (`detach <node>` → OK)",
      destructive: true,
      targets: [leofsAdm(cluster, "master", "detach", node.node)],
      expect: LEOFS_ADM_OK,
      approvalDetail: `Takes ${node.node} out of the cluster; its data is redistributed by the rebalance that follows. Until then \`leofs-adm rollback ${node.node}\` undoes it.`,
    },
    waitForStatus(cluster, "wait-detached", `Wait until ${node.node} is detached`, status({ kind: "nodes-in-state", nodes: [node.node], states: ["detached"] }), "reference §1 node states (detach → detached)"),
    ...rebalanceSteps(cluster, `away from ${node.node}`),
    waitForStatus(
      cluster,
      "wait-removed",
      `Wait until ${node.node} is gone and the others run on one ring`,
      {
        type: "all",
        of: [
          status({ kind: "node-absent", node: node.node }),
          { type: "leofs-status", condition: { kind: "all-in-state", nodeType: "S", states: ["running"] } },
          { type: "leofs-status", condition: { kind: "rings-consistent" } },
        ],
      },
      "reference §3 Remove a node (`status`: the node is gone); §1 (rebalance removes detached nodes from the table)",
      30 * 60_000,
    ),
  ];
}

function suspend(cluster: LeofsCluster, node: LeofsNode): StepTemplate[] {
  return [
    statusCheck(
      cluster,
      "master",
      "check-suspend-allowed",
      `Check that ${node.node} can be suspended`,
      status({ kind: "operation-allowed", operation: "suspend", node: node.node }),
      "reference §1 node states (only a running node can be suspended)",
    ),
    {
      id: "suspend",
      title: `Suspend ${node.node}`,
      kind: "exec",
      cite: "reference §3 Suspend / resume (`suspend <node>` → suspend)",
      destructive: true,
      targets: [leofsAdm(cluster, "master", "suspend", node.node)],
      expect: LEOFS_ADM_OK,
      approvalDetail: `${node.node} stops serving requests; the other replicas serve its data until it is resumed.`,
    },
    waitForStatus(cluster, "wait-suspended", `Wait until ${node.node} is suspended`, status({ kind: "nodes-in-state", nodes: [node.node], states: ["suspend"] }), "reference §1 node states"),
    {
      id: "stop-node",
      title: `Stop ${node.node} for maintenance`,
      kind: "exec",
      cite: "reference §3 Suspend / resume (suspend, then stop the node, do the work); data.md disk replacement (`leo_storage stop`)",
      destructive: true,
      targets: [{ host: node.host, command: nodeControl(cluster, node.host, node.dir, node.node).stop }],
      approvalDetail: `Stops the ${node.node} process on ${node.host}. Resume it with \`/leofs storage resume ${node.node}\` after the maintenance.`,
    },
    {
      id: "check-node-down",
      title: `Check that ${node.node} is down`,
      kind: "check",
      cite: "reference §2 `ping` (exit 1 when the node is down)",
      targets: [{ host: node.host, command: nodeControl(cluster, node.host, node.dir, node.node).downProbe }],
      expect: DOWN,
    },
    statusCheck(
      cluster,
      "master",
      "check-still-suspended",
      `Check that ${node.node} stays suspended while down`,
      status({ kind: "nodes-in-state", nodes: [node.node], states: ["suspend"] }),
      "reference §1 node states (a suspended node stays suspend when it goes down)",
    ),
  ];
}

function resume(cluster: LeofsCluster, node: LeofsNode): StepTemplate[] {
  const control = nodeControl(cluster, node.host, node.dir, node.node);
  return [
    statusCheck(
      cluster,
      "master",
      "check-resume-allowed",
      `Check that ${node.node} can be resumed`,
      status({ kind: "operation-allowed", operation: "resume", node: node.node }),
      "reference §1 node states (`resume` accepts suspend, restarted and detached)",
    ),
    {
      id: "start-node",
      title: `Start ${node.node} unless it already runs`,
      kind: "exec",
      cite: "reference §3 Suspend / resume (start the node, then resume); §2 `start` exits 1 on a running node",
      note: "ping first: `start` on a running node exits 1 (`Node is already running!`), and resume also applies to a suspended node that was never stopped.",
      idempotent: true,
      targets: [{ host: node.host, command: control.start }],
    },
    {
      id: "wait-ready",
      title: `Wait until ${node.node} is ready, starting it again if it is down`,
      kind: "exec",
      cite: "reference §2 `wait_ready` (`start` exits 0 even if the VM dies while booting)",
      note: "Starts the node again when it is down, so a Retry after it died while booting restarts it.",
      idempotent: true,
      targets: [{ host: node.host, command: control.startAndWaitReady }],
      timeoutMs: WAIT_READY_TIMEOUT_MS,
      expect: READY,
    },
    {
      id: "resume",
      title: `Resume ${node.node}`,
      kind: "exec",
      cite: "reference §3 Suspend / resume (`resume <node>` → running); §1 (`Could not connect` when the node is down)",
      targets: [leofsAdm(cluster, "master", "resume", node.node)],
      expect: LEOFS_ADM_OK,
    },
    waitForStatus(cluster, "wait-running", `Wait until ${node.node} is running`, status({ kind: "nodes-in-state", nodes: [node.node], states: ["running"] }), "reference §3 Suspend / resume (→ running)"),
  ];
}
