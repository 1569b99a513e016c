import type { PlannedStep } from "./step";

export type ClusterKind = "leofs" | "dirac";

/** A procedure rendered for one cluster and one parameter set; what the operator previews and approves. */
export interface Plan {
  readonly procedureId: string;
  readonly procedureTitle: string;
  readonly cluster: string;
  readonly clusterKind: ClusterKind;
  /** Validated parameters (after schema defaults). */
  readonly params: Readonly<Record<string, unknown>>;
  readonly steps: readonly PlannedStep[];
  /**
   * When it was planned (ISO): timestamped paths (backup dirs) derive from it,
   * so re-planning with the same time gives the same plan and hash.
   */
  readonly plannedAt?: string;
  /** sha256 (hex) of the canonical JSON of everything above: approvals bind to it. */
  readonly planHash: string;
}
