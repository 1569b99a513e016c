import { z } from "zod";
import type { LeofsCluster } from "../../config";
import type { ProcedureDefinition, StepTemplate } from "../model/procedure-definition";
import type { Expectation } from "../model/step";
import { PreconditionError } from "../procedure-errors";
import { manager, otherRole, roleLabel, leofsAdm, WAIT_READY_TIMEOUT_MS, type ManagerRole } from "./leofs-layout";
import { nodeControl, type NodeControl } from "./node-control";
import { sh } from "../sh";
import { checkManagersDown, LEOFS_ADM_OK, waitForStatus } from "./manager-steps";

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
  "Seed 001's `leo_manager start force_load`, as LeoFS 1.4.4 has it: rel/common/launch.sh passes the word to the VM, and apps/leo_manager/src/leo_manager_sup.erl " +
  "load_tables/1 then calls mnesia:force_load_table/1 on every table instead of mnesia:wait_for_tables/2 (which gives up after 180 s and stops the VM). " +
  "(The reference's \"There is no force_load\" was wrong; reference §0.) The other manager then starts normally and copies the forced one's tables.";

const START_UNLESS_RUNNING_NOTE =
  "ping first: `start` on a running node exits 1 (`Node is already running!`, reference §2), so a retry after one node failed to start would fail again on the nodes that did start.";

const RESTART_ON_RETRY_NOTE =
  "`start` exits 0 even when the VM then dies while booting (reference §2: `run_erl -daemon`); only `wait_ready` notices. " +
  "This step runs `start` again first when `ping` gets no answer, so a Retry after such a failure restarts the node instead of waiting for one that is gone.";

/**
 * `wait_ready` succeeded: exit 0 and no `Not ready after N reties` (reference §2),
 * checked first so that a failure says the node never became ready.
 */
export const READY: Expectation = { type: "all", of: [{ type: "stdout-excludes", text: "Not ready after" }, { type: "exit-zero" }] };

/** A manager as the start steps see it: which one, where, and its launch script. */
export interface ManagerLaunch {
  readonly role: ManagerRole;
  readonly host: string;
  readonly node: string;
  readonly control: NodeControl;
}

export function managerLaunch(cluster: LeofsCluster, role: ManagerRole): ManagerLaunch {
  const m = manager(cluster, role);
  return { role, host: m.host, node: m.node, control: nodeControl(cluster, m.host, m.dir, m.node) };
}

/**
 * Start master then slave, then wait for each (reference §3 launch order, §2
 * `start` then `wait_ready`). Both are started before either is waited for: a
 * manager whose Mnesia waits for its partner's tables is not ready until the
 * partner runs. Each wait step starts its manager again if it is down, so a
 * Retry of a failed wait recovers a node whose VM died while booting.
 */
export function startManagerPair(master: ManagerLaunch, slave: ManagerLaunch, cite: string): StepTemplate[] {
  const start = (m: ManagerLaunch, note: string): StepTemplate => ({
    id: `start-${roleLabel(m.role)}`,
    title: `Start ${roleLabel(m.role)} (${m.node}) on ${m.host}`,
    kind: "exec",
    cite: `${cite}; reference §3 launch order (master, then slave)`,
    note,
    idempotent: true,
    targets: [{ host: m.host, command: m.control.start }],
    expect: { type: "exit-zero" },
  });
  const ready = (m: ManagerLaunch): StepTemplate => ({
    id: `wait-ready-${roleLabel(m.role)}`,
    title: `Wait until ${roleLabel(m.role)} (${m.node}) is ready, starting it again if it is down`,
    kind: "exec",
    cite: "reference §2 (`start` then `wait_ready`, as the official packaging tests run them; `start` is silent and exits 0 even if the VM dies while booting)",
    note: RESTART_ON_RETRY_NOTE,
    idempotent: true,
    targets: [{ host: m.host, command: m.control.startAndWaitReady }],
    timeoutMs: WAIT_READY_TIMEOUT_MS,
    expect: READY,
  });
  return [
    start(master, START_UNLESS_RUNNING_NOTE),
    start(slave, `Both managers are started before waiting for either: a master waiting for its peer's Mnesia tables would otherwise never become ready. ${START_UNLESS_RUNNING_NOTE}`),
    ready(master),
    ready(slave),
  ];
}

/** Seed 001 + reference §3 launch order: managers, storage (attached), `leofs-adm start`, gateways. */
export const launch: ProcedureDefinition<LaunchParams, LeofsCluster> = {
  id: "leofs.launch",
  kind: "leofs",
  title: "Launch a LeoFS system",
  summary: "Start the managers (master, slave), the storage nodes, the storage cluster (`leofs-adm start`) and the gateways, checking each state.",
  seed: "seed 001 \"Launch and Operation Flow\", Launch Order of LeoFS' Components",
  params: launchParams,
  build: ({ cluster, clusterName, params }) => {
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

    if (params.forceStart !== undefined) {
      const forced = managerLaunch(cluster, params.forceStart);
      if (forced.control.unit !== undefined) {
        // rel/service/leofs-manager-*.service: ExecStart=… foreground_start,
        // which passes no argument on to the node (rel/common/launch.sh), so
        // force_load cannot go through the unit, and starting it with the
        // launch script would mix the two ways (not supported).
        throw new PreconditionError("leofs.launch", clusterName, [
          `force=${params.forceStart} needs \`leo_manager start force_load\`, but ${forced.host} runs LeoFS under systemd (${forced.control.unit}: ExecStart=… foreground_start takes no arguments). ` +
            `Do it by hand with an override (systemctl edit ${forced.control.unit}), or set service: launch-script for ${forced.host} once the units are stopped and disabled.`,
        ]);
      }
      steps.push(...forceStartSteps(cluster, params.forceStart));
    }

    steps.push(...startManagerPair(managerLaunch(cluster, "master"), managerLaunch(cluster, "slave"), "seed 001 (Start LeoManager's master, then slave)"));
    steps.push({
      id: "start-storage-nodes",
      title: `Start the storage nodes (${storage.join(", ")}) and wait until each is ready`,
      kind: "exec",
      cite: "seed 001 (Start a LeoStorage node, repeatedly); reference §3 launch order step 2, §2 (`start` then `wait_ready`)",
      note: `${START_UNLESS_RUNNING_NOTE} ${RESTART_ON_RETRY_NOTE}`,
      idempotent: true,
      targets: leofs.storage.map((s) => ({ host: s.host, command: nodeControl(cluster, s.host, s.dir, s.node).startAndWaitReady })),
      timeoutMs: WAIT_READY_TIMEOUT_MS,
      expect: READY,
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
        title: `Start the gateways (${gateways.join(", ")}) and wait until each is ready`,
        kind: "exec",
        cite: "seed 001 (Start a LeoGateway node, repeatedly); reference §3 launch order step 4, §2 (`start` then `wait_ready`)",
        note: `${START_UNLESS_RUNNING_NOTE} ${RESTART_ON_RETRY_NOTE}`,
        idempotent: true,
        targets: leofs.gateways.map((g) => ({ host: g.host, command: nodeControl(cluster, g.host, g.dir, g.node).startAndWaitReady })),
        timeoutMs: WAIT_READY_TIMEOUT_MS,
        expect: READY,
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

function forceStartSteps(cluster: LeofsCluster, forced: ManagerRole): StepTemplate[] {
  const other = otherRole(forced);
  const f = managerLaunch(cluster, forced);
  const o = manager(cluster, other);
  return [
    { ...checkManagersDown(cluster), note: `force is only for "both managers are down and the one that stopped last cannot start". ${FORCE_LOAD_NOTE}` },
    {
      id: `force-load-${roleLabel(forced)}`,
      title: `Start ${roleLabel(forced)} (${f.node}) with force_load: its own tables, without waiting for ${roleLabel(other)}`,
      kind: "exec",
      cite: "seed 001 (\"if the manager to start is not the one terminated last: leo_manager start force_load\"); reference §0 (force_load exists); leo_manager_sup.erl load_tables/1",
      note: FORCE_LOAD_NOTE,
      destructive: true,
      targets: [{ host: f.host, command: sh`${f.control.script} start force_load` }],
      expect: { type: "exit-zero" },
      approvalDetail:
        `SPLIT-BRAIN RISK: ${f.node} loads its own Mnesia tables as the truth without waiting for ${o.node}. ` +
        `Anything only ${roleLabel(other)} recorded after ${roleLabel(forced)} went down (attached/detached nodes, ring changes, users, buckets) is lost once ${roleLabel(other)} copies ${roleLabel(forced)}'s tables. ` +
        `Approve only if ${roleLabel(other)} cannot start, and you are sure ${roleLabel(forced)} holds the data you want or nothing changed since it stopped.`,
    },
  ];
}
