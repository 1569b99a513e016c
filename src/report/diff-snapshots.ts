import type { ClusterSnapshot } from "../jobs/query/cluster-snapshot";
import type { RunRecord } from "../jobs/run-types";

/** The nodes a run was asked to change (its parameters that name one), whose state change is intended. */
export function intendedNodes(run: RunRecord): string[] {
  return Object.values(run.plan.params).filter((v): v is string => typeof v === "string" && v.includes("@"));
}

export interface SnapshotDiff {
  /** One line per difference: "storage_1@10.0.0.5: running → suspend". */
  readonly changes: readonly string[];
  /** Differences nobody asked for: a node that ran and does not, a ring hash a recovery changed. */
  readonly warnings: readonly string[];
}

/** Procedures that must leave the ring as they found it. */
const RING_KEEPING = new Set(["leofs.recover-manager", "leofs.takeover-manager", "leofs.upgrade", "leofs.launch"]);

/**
 * What changed between a run's start and its end, and what should not have.
 * `intended`: the nodes the run was asked to change (a suspend's node), whose
 * leaving `running` is not a surprise.
 */
export function diffSnapshots(before: ClusterSnapshot | undefined, after: ClusterSnapshot | undefined, procedureId: string, intended: readonly string[] = []): SnapshotDiff | undefined {
  if (before === undefined || after === undefined) return undefined;
  if (before.kind === "unavailable" || after.kind === "unavailable") {
    const why = [before, after].flatMap((s) => (s.kind === "unavailable" ? [s.why] : []));
    return { changes: [], warnings: [`the cluster could not be read at the ${before.kind === "unavailable" ? "start" : "end"}: ${why.join("; ")}`] };
  }
  const changes: string[] = [];
  const warnings: string[] = [];
  if (before.kind === "leofs" && after.kind === "leofs") {
    if (before.version !== after.version) changes.push(`system version: ${before.version} → ${after.version}`);
    for (const which of ["current", "previous"] as const) {
      if (before.ring[which] !== after.ring[which]) {
        changes.push(`manager ${which} ring hash: ${before.ring[which] || "(none)"} → ${after.ring[which] || "(none)"}`);
        if (RING_KEEPING.has(procedureId) && before.ring[which] !== "") warnings.push(`the ${which} ring hash changed (${before.ring[which]} → ${after.ring[which] || "(none)"}) during ${procedureId}, which should leave the ring as it was`);
      }
    }
    const managersBefore = new Map((before.managers ?? []).map((m) => [m.console, m.outcome]));
    for (const m of after.managers ?? []) {
      const b = managersBefore.get(m.console);
      if (b === undefined || b === m.outcome) continue;
      changes.push(`manager-${m.console} console: ${b} → ${m.outcome}`);
      if (b === "ok") warnings.push(`manager-${m.console}'s console answered at the start and does not now (${m.outcome})`);
    }
    const was = new Map(before.nodes.map((n) => [n.node, n]));
    const now = new Map(after.nodes.map((n) => [n.node, n]));
    for (const [node, b] of was) {
      const a = now.get(node);
      if (a === undefined) {
        changes.push(`${node}: ${b.state} → (no longer listed)`);
        if (b.state === "running" && !intended.includes(node)) warnings.push(`${node} was running and is no longer listed`);
        continue;
      }
      if (a.state !== b.state) changes.push(`${node}: ${b.state} → ${a.state}`);
      if (a.currentRing !== b.currentRing && a.currentRing !== "" && b.currentRing !== "") changes.push(`${node} ring: ${b.currentRing} → ${a.currentRing}`);
      if (b.state === "running" && a.state !== "running" && !intended.includes(node)) warnings.push(`${node} was running and is ${a.state} now`);
    }
    for (const [node, a] of now) if (!was.has(node)) changes.push(`${node}: (not listed) → ${a.state}`);
  } else if (before.kind === "dirac" && after.kind === "dirac") {
    const key = (host: string, service: string): string => `${host} ${service}`;
    const was = new Map(before.boxes.flatMap((b) => b.services.map((s) => [key(b.host, s.service), s.state] as const)));
    const now = new Map(after.boxes.flatMap((b) => b.services.map((s) => [key(b.host, s.service), s.state] as const)));
    for (const [k, b] of was) {
      const a = now.get(k);
      if (a !== b) changes.push(`${k}: ${b} → ${a ?? "(gone)"}`);
      if (b === "run" && a !== "run") warnings.push(`${k} was running and is ${a ?? "gone"} now`);
    }
    for (const [k, a] of now) if (!was.has(k)) changes.push(`${k}: (new) → ${a}`);
  }
  return { changes, warnings };
}
