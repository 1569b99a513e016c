import { ConfigError } from "./config-error";

export interface InventoryIssue {
  /** Dotted YAML path, e.g. `clusters.prod.leofs.storage[1].node`; empty for the whole file. */
  readonly path: string;
  readonly message: string;
  /** 1-based position of the offending YAML node, when it exists in the file. */
  readonly line?: number;
  readonly col?: number;
}

/**
 * The inventory file is wrong. The message has one line per issue, each
 * naming the file, the position when known, the YAML path and what was
 * expected, e.g. `config/inventory.yaml:12:7 clusters.prod.kind: expected "leofs" or "dirac", got "ceph"`.
 */
export class InventoryError extends ConfigError {
  readonly code = "INVENTORY_INVALID";

  constructor(
    readonly file: string,
    readonly issues: readonly InventoryIssue[],
  ) {
    super(issues.map((issue) => formatInventoryIssue(file, issue)).join("\n"));
    this.name = "InventoryError";
  }
}

export function formatInventoryIssue(file: string, issue: InventoryIssue): string {
  const where = issue.line === undefined ? `${file}:` : `${file}:${issue.line}:${issue.col ?? 1}`;
  return issue.path === "" ? `${where} ${issue.message}` : `${where} ${issue.path}: ${issue.message}`;
}
