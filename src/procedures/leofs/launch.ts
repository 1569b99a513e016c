import { z } from "zod";
import type { LeofsCluster } from "../../config";
import type { ProcedureDefinition, StepTemplate } from "../model/procedure-definition";
import { PreconditionError } from "../procedure-errors";
import { sh } from "../sh";
import { gatewayScript, manager, otherRole, roleLabel, storageScript, leofsAdm, type ManagerRole } from "./leofs-layout";
import { checkManagersDown, LEOFS_ADM_OK, resyncMnesia, startManagers, waitForStatus } from "./manager-steps";

export const launchParams = z
  .object({
    /**
     * Both managers are down and the one to start is NOT the one terminated
     * last: its Mnesia becomes the truth for both.
     */
    forceStart: z.enum(["master", "slave"]).optional(),
  })
  .strict();

export type LaunchParams = z.infer<typeof launchParams>;

const FORCE_LOAD_NOTE =
  "Seed 001 says `leo_manager start force_load`; LeoFS 1.4 has no force_load (reference §2: \"There is no force_load\"). " +
  "Instead the other manager's Mnesia files are replaced by a copy of the forced manager's (the seed 000 Case 1 mechanism), so both start from the same tables and neither waits for the other.";

const START_UNLESS_RUNNING_NOTE =
  "ping first: `start` on a running node exits 1 (`Node is already running!`, reference §2), so a retry after one node failed to start would fail again on the nodes that did start.";

/** `start` only when `ping` gets no answer, so the multi-node start steps can be retried. */
const startUnlessRunning = (script: string): string => sh`${script} ping >/dev/null 2>&1 || ${script} start`;

/** Seed 001 + reference §3 launch order: managers, storage (attached), `leofs-adm start`, gateways. */
export const launch: ProcedureDefinition<LaunchParams, LeofsCluster> = {
  id: "leofs.launch",
  kind: "leofs",
  title: "Launch a LeoFS system",
  summary: "Start the managers (master, slave), the storage nodes, the storage cluster (`leofs-adm start`) and the gateways, checking each state.",
  seed: "seed 001 \"Launch and Operation Flow\", Launch Order of LeoFS' Components",
  params: launchParams,
  build: ({ cluster, clusterName, params, now }) => {
    const { leofs } = cluster;
    if (leofs.storage.length < leofs.replicas) {
      throw new PreconditionError("leofs.launch", clusterName, [
        `the inventory lists ${leofs.storage.length} storage node(s) but the cluster keeps ${leofs.replicas} replicas: ` +
          "`leofs-adm start` would answer \"Attached nodes less than # of replicas\"",
      ]);
    }
    const storage = leofs.storage.map((s) => s.node);
    const gateways = leofs.gateways.map((g) => g.node);
    const steps: StepTemplate[] = [];

    if (params.forceStart !== undefined) steps.push(...forceStartSteps(cluster, now, params.forceStart));

    steps.push(...startManagers(cluster, "seed 001 (Start LeoManager's master, then slave)"));
    steps.push({
      id: "start-storage-nodes",
      title: `Start the storage nodes (${storage.join(", ")})`,
      kind: "exec",
      cite: "seed 001 (Start a LeoStorage node, repeatedly); reference §3 launch order step 2",
      note: START_UNLESS_RUNNING_NOTE,
      idempotent: true,
      targets: leofs.storage.map((s) => ({ host: s.host, command: startUnlessRunning(storageScript(cluster, s)) })),
    });
    steps.push(
      waitForStatus(
        cluster,
        "wait-storage-attached",
        "Wait until every storage node is attached (new cluster) or running (restarted cluster)",
        { type: "all", of: [LEOFS_ADM_OK, { type: "leofs-status", condition: { kind: "nodes-in-state", nodes: storage, states: ["attached", "running"] } }] },
        "reference §1 node states (a new storage node starts → attached; a stopped node comes back up → running); §3 launch order step 2",
      ),
    );
    steps.push({
      id: "start-storage-cluster",
      title: "Start the storage cluster (`leofs-adm start`)",
      kind: "exec",
      cite: "seed 001 (`leofs-adm start`: Start LeoStorage cluster); reference §3 launch order step 3, §1 `start` output",
      note: "On a cluster started before, the manager answers `[ERROR] Storage cluster already started` (reference §1): the nodes are already running, so that answer is accepted; any other `[ERROR]` fails the step.",
      targets: [leofsAdm(cluster, "master", "start")],
      expect: { type: "all", of: [{ type: "exit-zero" }, { type: "stdout-matches", pattern: "(?:^|\\n)(?:OK|\\[ERROR\\] Storage cluster already started)\\r?\\n?$" }] },
      timeoutMs: 10 * 60_000,
    });
    steps.push(
      waitForStatus(
        cluster,
        "wait-storage-running",
        "Wait until every storage node is running",
        { type: "all", of: [LEOFS_ADM_OK, { type: "leofs-status", condition: { kind: "nodes-in-state", nodes: storage, states: ["running"] } }] },
        "seed 001 (`leofs-adm status`: Confirm the current state (1)); reference §3 launch order step 3",
      ),
    );
    if (leofs.gateways.length > 0) {
      steps.push({
        id: "start-gateways",
        title: `Start the gateways (${gateways.join(", ")})`,
        kind: "exec",
        cite: "seed 001 (Start a LeoGateway node, repeatedly); reference §3 launch order step 4",
        note: START_UNLESS_RUNNING_NOTE,
        idempotent: true,
        targets: leofs.gateways.map((g) => ({ host: g.host, command: startUnlessRunning(gatewayScript(cluster, g)) })),
      });
    }
    steps.push(
      waitForStatus(
        cluster,
        "wait-all-running",
        "Wait until every node is running on the manager's ring",
        {
          type: "all",
          of: [
            LEOFS_ADM_OK,
            { type: "leofs-status", condition: { kind: "nodes-in-state", nodes: [...storage, ...gateways], states: ["running"] } },
            { type: "leofs-status", condition: { kind: "rings-consistent" } },
          ],
        },
        "seed 001 (`leofs-adm status`: Confirm the current state (2)); reference §3 consistency checks (every ring equals the manager's)",
      ),
    );
    return steps;
  },
};

function forceStartSteps(cluster: LeofsCluster, now: Date, forced: ManagerRole): StepTemplate[] {
  const other = otherRole(forced);
  const f = manager(cluster, forced);
  const o = manager(cluster, other);
  return [
    { ...checkManagersDown(cluster), note: `forceStart is only for "both managers are down". ${FORCE_LOAD_NOTE}` },
    ...resyncMnesia(cluster, now, forced, other, {
      note: FORCE_LOAD_NOTE,
      approvalDetail:
        `SPLIT-BRAIN RISK: ${f.node} becomes the truth. ${o.node}'s Mnesia files are moved to a backup on ${o.host} and replaced by ${f.node}'s. ` +
        `Anything only ${roleLabel(other)} recorded after ${roleLabel(forced)} went down (attached/detached nodes, ring changes, users, buckets) is lost. ` +
        `Approve only if you are sure ${roleLabel(forced)} holds the data you want, or that nothing changed since it stopped.`,
    }),
  ];
}
