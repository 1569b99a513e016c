import os from "node:os";
import { checkCluster } from "./check-cluster";
import { checkClusterKind } from "./check-cluster-kind";
import { formatYamlPath } from "./format-yaml-path";
import type { Inventory } from "./inventory";
import { InventoryError, type InventoryIssue } from "./inventory-error";
import { clusterSchema, defaultsSchema, inventoryFileSchema, type RawCluster } from "./inventory-schema";
import { normalizeInventory } from "./normalize-inventory";
import type { PathIssue } from "./path-issue";
import { resolveApprovalPolicies } from "./resolve-approval-policies";
import type { SshFallback } from "./resolve-ssh-settings";
import { runSchema } from "./run-schema";
import { parseYamlSource, type YamlSource } from "./yaml-source";

/** Where the inventory comes from and what it falls back to. `Settings` satisfies it. */
export interface InventoryOptions {
  /** Used in error messages and kept as `inventory.file`. */
  readonly inventoryFile: string;
  /** SSH_PRIVATE_KEY_FILE and SSH_KNOWN_HOSTS_FILE, used when the inventory sets no key files. */
  readonly ssh: SshFallback;
  /** Expands `~/` in the inventory's key paths. @defaultValue os.homedir() */
  readonly homeDir?: string;
}

/**
 * Parses and validates inventory YAML text. Throws one InventoryError listing
 * every problem found (syntax, schema, cross-references), each placed at its
 * line and column when the offending node is in the file.
 */
export function parseInventory(text: string, options: InventoryOptions): Inventory {
  const file = options.inventoryFile;
  const parsed = parseYamlSource(text);
  if (!parsed.ok) {
    throw new InventoryError(
      file,
      parsed.errors.map((e) => ({ path: "", message: `YAML syntax error: ${e.message}`, ...e.position })),
    );
  }
  const source = parsed.source;
  if (source.empty) {
    throw new InventoryError(file, [{ path: "", message: "the file is empty (expected `version: 1` and `clusters:`)" }]);
  }

  const issues: PathIssue[] = [];
  const top = runSchema(inventoryFileSchema, source.data, [], issues);
  const rawTop: Record<string, unknown> = isRecord(source.data) ? source.data : {};
  const defaults = runSchema(defaultsSchema, rawTop.defaults ?? {}, ["defaults"], issues);
  // Clusters are checked even when the top level is wrong, so one pass reports everything.
  const rawClusters = isRecord(rawTop.clusters) ? Object.entries(rawTop.clusters) : [];
  const clusters: (readonly [string, RawCluster])[] = [];
  for (const [name, value] of rawClusters) {
    const cluster = runSchema(clusterSchema, checkClusterKind(name, value, issues), ["clusters", name], issues);
    if (!cluster.ok) continue;
    const approval = defaults.ok ? resolveApprovalPolicies(defaults.data.approval, cluster.data.approval) : undefined;
    issues.push(...checkCluster(name, cluster.data, approval));
    clusters.push([name, cluster.data]);
  }
  if (issues.length > 0 || !top.ok || !defaults.ok) throw new InventoryError(file, issues.map((i) => place(i, source)));

  const cli = top.ok ? (top.data.cli?.users ?? {}) : {};
  return normalizeInventory(defaults.data, clusters, {
    file,
    cliUsers: cli,
    sshFallback: options.ssh,
    homeDir: options.homeDir ?? os.homedir(),
  });
}

function place(issue: PathIssue, source: YamlSource): InventoryIssue {
  const position = source.positionOf(issue.path, issue.at ?? "value");
  return { path: formatYamlPath(issue.path), message: issue.message, ...position };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
