import type { LeofsCluster } from "../../config";
import type { StepTemplate } from "../model/procedure-definition";
import type { Expectation } from "../model/step";
import { sh, shPart } from "../sh";
import { moveIntoBackup } from "./move-into-backup";
import { backupPath, leofsAdm, manager, mnesiaDir, roleLabel, type ManagerRole } from "./leofs-layout";
import { nodeControl, type NodeControl } from "./node-control";

export const PONG: Expectation = { type: "all", of: [{ type: "exit-zero" }, { type: "stdout-includes", text: "pong" }] };
/** A node that is down: nodetool exits 1 (`Cannot connect Node …`, reference §2). */
export const DOWN: Expectation = { type: "all", of: [{ type: "exit-code", codes: [1] }, { type: "stdout-excludes", text: "pong" }] };
export const LEOFS_ADM_OK: Expectation = { type: "all", of: [{ type: "exit-zero" }, { type: "no-leofs-error" }] };

const roles: readonly ManagerRole[] = ["master", "slave"];

export const managerControl = (cluster: LeofsCluster, role: ManagerRole): NodeControl => {
  const m = manager(cluster, role);
  return nodeControl(cluster, m.host, m.dir, m.node);
};

export function pingManagers(
  cluster: LeofsCluster,
  id: string,
  title: string,
  which: readonly ManagerRole[],
  expect: Expectation,
  cite: string,
  note?: string,
  probe: "ping" | "downProbe" = "ping",
): StepTemplate {
  return {
    id,
    title,
    kind: "check",
    cite,
    ...(note !== undefined ? { note } : {}),
    targets: which.map((r) => ({ host: manager(cluster, r).host, command: managerControl(cluster, r)[probe] })),
    expect,
  };
}

export function stopManager(cluster: LeofsCluster, role: ManagerRole, opts: { mayBeDown: boolean; note?: string; approvalDetail: string }): StepTemplate {
  const control = managerControl(cluster, role);
  return {
    id: `stop-${roleLabel(role)}`,
    title: `Stop ${roleLabel(role)} (${manager(cluster, role).node})`,
    kind: "exec",
    cite: "seed 000 Case 1 (stop both managers); reference §2 `stop`",
    ...(opts.note !== undefined ? { note: opts.note } : {}),
    destructive: true,
    targets: [{ host: manager(cluster, role).host, command: control.stop }],
    expect: opts.mayBeDown ? { type: "exit-code", codes: [...control.stopCodesWhenMaybeDown] } : { type: "exit-zero" },
    approvalDetail: opts.approvalDetail,
  };
}

export function checkManagersDown(cluster: LeofsCluster): StepTemplate {
  return pingManagers(
    cluster,
    "check-managers-stopped",
    "Check that both managers are down",
    roles,
    DOWN,
    "seed 000 Case 1 (\"stop both … to avoid inconsistency of the data\"); reference §2 `ping`",
    "Nothing touches Mnesia files while a manager runs: a node that still answers ping stops the run here. Under systemd, a unit still active or waiting to restart (Restart=on-failure, rel/service/leofs-manager-*.service) stops it too.",
    "downProbe",
  );
}

/**
 * Make `target`'s Mnesia a copy of `source`'s (seed 000 Case 1): move the
 * target's files into a timestamped backup, copy the source's files over,
 * hand them to the leofs user, and prove both trees are identical. Both
 * managers must already be stopped.
 */
export function resyncMnesia(
  cluster: LeofsCluster,
  now: Date,
  source: ManagerRole,
  target: ManagerRole,
  gate: { readonly approvalDetail: string; readonly note?: string },
): StepTemplate[] {
  const t = manager(cluster, target);
  const s = manager(cluster, source);
  const targetDir = mnesiaDir(cluster, target);
  const sourceDir = mnesiaDir(cluster, source);
  const backup = backupPath(cluster, t.host, now, `${roleLabel(target)}-mnesia`);
  const digest = (dir: string) => shPart`cd ${dir} && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum | sha256sum | cut -d ' ' -f 1`;
  return [
    {
      id: `backup-${roleLabel(target)}-mnesia`,
      title: `Move ${roleLabel(target)}'s Mnesia files aside to ${backup}`,
      kind: "exec",
      cite: "seed 000 Case 1 (\"Move mnesia-files … to another directory (backup)\"); reference §3 Manager recovery step 2",
      ...(gate.note !== undefined ? { note: gate.note } : {}),
      destructive: true,
      // Issue 11 point 12: a Retry finds the set already moved and says so; an empty directory is refused.
      idempotent: true,
      targets: [{ host: t.host, command: moveIntoBackup(targetDir, backup, "refuse") }],
      approvalDetail: gate.approvalDetail,
      backups: [{ host: t.host, path: backup, what: `${t.node}'s Mnesia files before the copy` }],
      rollback:
        `Both managers are stopped and ${t.node}'s Mnesia files are in ${backup} on ${t.host}. ` +
        `Way back: with both stopped, empty ${targetDir}, move the files from ${backup} back into it, chown -R leofs:leofs ${targetDir}, then start the master, then the slave (${managerControl(cluster, "master").manualStart}; ${managerControl(cluster, "slave").manualStart}).`,
    },
    {
      id: `verify-${roleLabel(target)}-mnesia-backup`,
      title: "Check that the backup holds the moved files",
      kind: "check",
      cite: "seed 000 Case 1 (backup); our safety check before anything is copied over",
      targets: [{ host: t.host, command: sh`ls -A ${backup}` }],
      expect: { type: "all", of: [{ type: "exit-zero" }, { type: "stdout-matches", pattern: "\\S" }] },
    },
    {
      id: `copy-${roleLabel(source)}-mnesia`,
      title: `Copy ${roleLabel(source)}'s Mnesia files to ${roleLabel(target)}`,
      kind: "copy",
      cite: `seed 000 Case 1 ("Copy mnesia-files from the ${roleLabel(source)} to the ${roleLabel(target)}")`,
      note: "The seed's `cp <mnesia-files> …/*` copies across hosts here: the engine copies the directory contents and verifies checksums.",
      idempotent: true,
      targets: [{ host: t.host }],
      copy: { fromHost: s.host, fromPath: sourceDir, toHost: t.host, toPath: targetDir },
    },
    {
      id: `chown-${roleLabel(target)}-mnesia`,
      title: "Give the copied files to the leofs user",
      kind: "exec",
      cite: "seed 002 \"Migrate Files and Directories\" (nodes run as user leofs since 1.3.3; chown -R leofs:leofs …/work)",
      idempotent: true,
      targets: [{ host: t.host, command: sh`chown -R leofs:leofs ${targetDir}` }],
    },
    {
      id: `digest-${roleLabel(source)}-mnesia`,
      title: `Fingerprint ${roleLabel(source)}'s Mnesia files`,
      kind: "check",
      cite: "seed 000 Case 1 (copy); independent verification that the copy is exact",
      targets: [{ host: s.host, command: sh`test -n "$(ls -A ${sourceDir})" && ${digest(sourceDir)}` }],
      captures: [{ name: "source_mnesia_digest", pattern: "^([0-9a-f]{64})$", valuePattern: "[0-9a-f]{64}" }],
      expect: { type: "all", of: [{ type: "exit-zero" }, { type: "stdout-matches", pattern: "^[0-9a-f]{64}$", flags: "m" }] },
    },
    {
      id: `compare-${roleLabel(target)}-mnesia`,
      title: `Check that ${roleLabel(target)}'s Mnesia files equal ${roleLabel(source)}'s`,
      kind: "check",
      cite: "seed 000 Case 1 (copy); compared before either manager starts and rewrites its logs",
      note: "Compares a sha256 over the sorted per-file sha256 list of both directories; done before the start, because a running manager rewrites its Mnesia logs.",
      targets: [{ host: t.host, command: `${sh`digest=$(${digest(targetDir)}) && echo "$digest" && test "$digest" =`} {{source_mnesia_digest}}` }],
      expect: { type: "exit-zero" },
    },
  ];
}

/** `leofs-adm status` through a manager's console, checked with `expect`. */
export function statusCheck(cluster: LeofsCluster, role: ManagerRole, id: string, title: string, expect: Expectation, cite: string, note?: string): StepTemplate {
  return {
    id,
    title,
    kind: "check",
    cite,
    ...(note !== undefined ? { note } : {}),
    targets: [leofsAdm(cluster, role, "status")],
    expect,
  };
}

/** Poll `leofs-adm status` (master console) until `expect` holds. */
export function waitForStatus(cluster: LeofsCluster, id: string, title: string, expect: Expectation, cite: string, windowMs = 180_000): StepTemplate {
  return {
    id,
    title,
    kind: "wait",
    cite,
    targets: [leofsAdm(cluster, "master", "status")],
    wait: { delayMs: windowMs, poll: { intervalMs: 5_000, expect } },
  };
}
