import type { ClusterStatusResult } from "./cluster-status-result";

/**
 * What a run records of its cluster at its start and at its end (issue 16
 * point 2), compact enough to live in the run record: LeoFS nodes, states
 * and ring hashes with the system version; DIRAC services per box.
 */
export type ClusterSnapshot =
  | {
      readonly kind: "leofs";
      readonly at: string;
      readonly version: string;
      readonly ring: { readonly current: string; readonly previous: string };
      readonly nodes: readonly { readonly node: string; readonly type: "S" | "G"; readonly state: string; readonly currentRing: string; readonly previousRing: string }[];
      /** Each manager console's answer: `ok`, or why not (`leofs_error` for `[ERROR] Mnesia does not start, yet`). */
      readonly managers?: readonly { readonly console: "master" | "slave"; readonly outcome: string }[];
    }
  | { readonly kind: "dirac"; readonly at: string; readonly boxes: readonly { readonly host: string; readonly ok: boolean; readonly services: readonly { readonly service: string; readonly state: string }[] }[] }
  | { readonly kind: "unavailable"; readonly at: string; readonly why: string };

export function snapshotOf(result: ClusterStatusResult): ClusterSnapshot {
  if (!result.ok) return { kind: "unavailable", at: result.queriedAt, why: `${result.code}: ${result.message}` };
  if (result.kind === "leofs") {
    const { system, nodes } = result.status;
    return {
      kind: "leofs",
      at: result.queriedAt,
      version: system.version,
      ring: { current: system.currentRingHash, previous: system.previousRingHash },
      nodes: nodes.map((n) => ({ node: n.node, type: n.type, state: n.state, currentRing: n.currentRing, previousRing: n.prevRing })),
      managers: result.attempts.map((a) => ({ console: a.console, outcome: a.outcome })),
    };
  }
  return { kind: "dirac", at: result.queriedAt, boxes: result.boxes.map((b) => ({ host: b.host, ok: b.ok, services: b.services.map((s) => ({ service: s.service, state: s.state })) })) };
}
