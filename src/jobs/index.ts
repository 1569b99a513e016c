/**
 * The run engine: run store, approvals, cluster locks, audit streams (Redis)
 * and step execution (BullMQ workers over SSH). `createEngine` is the API
 * side (bot, CLI); `startWorker` executes steps; both share one Redis.
 */
export type { Engine, Actor, ApproveOptions, PlanRequest, GateRef } from "./engine";
export type * from "./run-types";
export { TERMINAL_RUN_STATES } from "./run-types";
export { EngineError, isEngineError, type EngineErrorCode, type EngineErrorContext } from "./engine-error";
export { createEngine, type EngineOptions, type EngineHandle } from "./create-engine";
export { startWorker, type WorkerOptions, type WorkerHandle } from "./worker/start-worker";
export type { BackboneOptions } from "./run-backbone";
export type { AuditEntry, AuditType } from "./store/audit-entry";
export { RunStore } from "./store/run-store";
export { redisKeys, type RedisKeys } from "./store/redis-keys";
export type { RedisConnectionConfig } from "./store/redis-connection";
export type { RemoteExecutor, HostRef, HostExecOptions, HostExecResult, CopyOptions } from "./ports/remote-executor";
export type { PolicyResolver, RunPolicy } from "./ports/run-policy";
export type { Planner } from "./ports/planner";
export { systemWallClock, type WallClock } from "./ports/wall-clock";
export { silentLogger, type EngineLogger } from "./ports/engine-logger";
export { inventoryPolicyResolver } from "./adapters/inventory-policy-resolver";
export { createSshExecutor, sshTargetFor } from "./adapters/ssh-executor";
export { catalogPlanner } from "./adapters/catalog-planner";
export { catalogStepAuthority, type CatalogStepAuthorityOptions, type ProcedureLookup } from "./adapters/catalog-step-authority";
export type { StepAuthority } from "./ports/step-authority";
export { sealApproval, isValidSeal, type SealedApproval } from "./approval-seal";
export {
  inventoryStatusQueryPlanner,
  type ClusterStatusResult,
  type ClusterStatusFailure,
  type LeofsClusterStatus,
  type DiracClusterStatus,
  type DiracBoxStatus,
  type ConsoleAttempt,
  type StatusQueryFailureCode,
  type StatusQueryPlanner,
} from "./query";
