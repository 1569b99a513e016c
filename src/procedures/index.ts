// Public API of the procedure domain (pure: no Slack, BullMQ, Redis or SSH).
export type { Plan, ClusterKind } from "./model/plan";
export type * from "./model/step";
export type { ProcedureDefinition, StepTemplate, PlanContext } from "./model/procedure-definition";
export * from "./procedure-errors";
export { sh, shPart, hostPath, ShellFragment, type ShellValue } from "./sh";
export { planProcedure } from "./planning/plan-procedure";
export { computePlanHash } from "./planning/plan-hash";
export { canonicalJson } from "./planning/canonical-json";
export { renderPlanText, describeExpectation } from "./planning/render-plan-text";
export { DEFAULT_TIMEOUT_MS, WAIT_GRACE_MS } from "./planning/step-defaults";
export { evaluateExpectation, type CommandResult, type ExpectationOutcome } from "./expectations/evaluate-expectation";
export { extractCaptures, resolveCommand, placeholdersIn, type Captured, type CaptureOutcome } from "./expectations/captures";
export { parseLeofsStatus, LEOFS_NODE_STATES, type LeofsStatus, type LeofsNodeStatus, type LeofsSystemStatus, type LeofsNodeState } from "./parsers/parse-leofs-status";
export { parseLeofsAdmError, type LeofsAdmError } from "./parsers/parse-leofs-adm-error";
export { parseVersionAll, type LeofsNodeVersion } from "./parsers/parse-version-all";
export { canDetach, canRebalance, canSuspend, canResume, type PreconditionResult } from "./leofs/storage-preconditions";
export { getProcedure, listProcedures, type CatalogProcedure } from "./catalog";
