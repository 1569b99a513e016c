import type { Plan } from "../../../../src/procedures/model/plan";

/** One row per step: id, kind, destructive, and `host$ command` per target (just the host for copy). */
export function planRows(plan: Plan): [string, string, boolean, string[]][] {
  return plan.steps.map((s) => [s.id, s.kind, s.destructive, s.targets.map((t) => (t.command !== undefined ? `${t.host}$ ${t.command}` : t.host))]);
}
