import { z } from "zod";
import type { LeofsCluster } from "../../config";
import type { ProcedureDefinition } from "../model/procedure-definition";
import { managerLaunch, startManagerPair } from "./launch";
import { checkManagersDown, LEOFS_ADM_OK, PONG, pingManagers, resyncMnesia, statusCheck, stopManager, waitForStatus } from "./manager-steps";
import { manager, otherRole, roleLabel, type ManagerRole } from "./leofs-layout";

export const recoverManagerParams = z
  .object({
    /** The broken manager, whose Mnesia is replaced by its healthy peer's. */
    target: z.enum(["manager-slave", "manager-master"]),
  })
  .strict();

export type RecoverManagerParams = z.infer<typeof recoverManagerParams>;

/**
 * Seed 000 Case 1: recover a manager on the same host by replacing its Mnesia
 * files with its healthy peer's.
 */
export const recoverManager: ProcedureDefinition<RecoverManagerParams, LeofsCluster> = {
  id: "leofs.recover-manager",
  kind: "leofs",
  title: "Recover a LeoFS manager from its peer's Mnesia",
  summary: "Stop both managers, move the broken manager's Mnesia files aside, copy the healthy peer's files over, start both and verify.",
  seed: "seed 000 \"LeoManager's Maintenance\", Case 1 (not takeover)",
  params: recoverManagerParams,
  build: ({ cluster, params, now }) => {
    const target: ManagerRole = params.target === "manager-master" ? "master" : "slave";
    const peer = otherRole(target);
    const t = manager(cluster, target);
    const p = manager(cluster, peer);
    const storage = cluster.leofs.storage.map((s) => s.node);
    return [
      statusCheck(
        cluster,
        peer,
        "preflight-status",
        `Cluster status through ${roleLabel(peer)}'s console`,
        { type: "no-leofs-error" },
        "seed 000 Case 1 (before stopping); reference §1 transport (`leofs-adm -h <host> -p <port> status`, options before the command)",
        `Asked of the healthy ${roleLabel(peer)}, since ${roleLabel(target)} is the one being recovered. The output is kept in the run record as the before picture.`,
      ),
      pingManagers(cluster, `ping-${roleLabel(peer)}`, `Check that ${roleLabel(peer)} (the source of truth) answers`, [peer], PONG, "seed 000 Case 1 (the peer's Mnesia is copied); reference §2 `ping`"),
      pingManagers(
        cluster,
        `ping-${roleLabel(target)}`,
        `Record whether ${roleLabel(target)} answers`,
        [target],
        { type: "exit-code", codes: [0, 1] },
        "reference §2 `ping` (pong, or `Cannot connect Node` and exit 1)",
        "Informational: a broken manager may or may not be running; recovery proceeds either way.",
      ),
      stopManager(cluster, target, {
        mayBeDown: true,
        note: `Stops ${roleLabel(target)} first so that ${roleLabel(peer)}, whose Mnesia becomes the truth, is the last one terminated (seed 001 note: only the manager terminated last restarts cleanly). Exit 1 is accepted: the broken node may already be down; the next check proves both are down.`,
        approvalDetail: `Stops ${t.node} on ${t.host}. The LeoFS system has no manager until the managers are started again in this run; storage and gateways keep serving.`,
      }),
      stopManager(cluster, peer, {
        mayBeDown: false,
        approvalDetail: `Stops ${p.node} on ${p.host}: no manager answers until the end of this run.`,
      }),
      checkManagersDown(cluster),
      ...resyncMnesia(cluster, now, peer, target, {
        approvalDetail: `Moves every file of ${t.node}'s Mnesia directory into a new backup directory on ${t.host}; ${roleLabel(peer)}'s files replace them next.`,
      }),
      ...startManagerPair(managerLaunch(cluster, "master"), managerLaunch(cluster, "slave"), "seed 000 Case 1 (\"Restart both the manager-master and the manager-slave\")"),
      pingManagers(cluster, "verify-managers-answer", "Check that both managers answer", ["master", "slave"], PONG, "seed 000 Case 1 (restart both); reference §2 `ping`"),
      waitForStatus(
        cluster,
        "verify-status",
        "Wait until the status shows no error and every storage node running",
        { type: "all", of: [LEOFS_ADM_OK, { type: "leofs-status", condition: { kind: "nodes-in-state", nodes: storage, states: ["running"] } }] },
        "reference §1 (`[ERROR]` with exit 0; status node table); §3 consistency checks",
      ),
    ];
  },
};
