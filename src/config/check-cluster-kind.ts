import type { PathIssue } from "./path-issue";

const KINDS = ["leofs", "dirac"] as const;

/**
 * Checks the topology block against `kind` before the schema runs, and drops
 * a block the kind forbids, so that a `dirac:` left in a leofs cluster is
 * reported as not allowed rather than as a list of its own missing fields.
 * A `kind` that is not a known kind is left for the schema to report.
 */
export function checkClusterKind(name: string, cluster: unknown, issues: PathIssue[]): unknown {
  if (typeof cluster !== "object" || cluster === null) return cluster;
  const fields = cluster as Record<string, unknown>;
  const kind = KINDS.find((k) => k === fields.kind);
  if (kind === undefined) return cluster;
  const other = kind === "leofs" ? "dirac" : "leofs";
  if (fields[kind] === undefined) issues.push({ path: ["clusters", name, kind], message: `required for kind: ${kind}` });
  if (!(other in fields)) return cluster;
  issues.push({
    path: ["clusters", name, other],
    at: "key",
    message: `not allowed for kind: ${kind} (remove it, or set kind: ${other})`,
  });
  const { [other]: _forbidden, ...rest } = fields;
  return rest;
}
