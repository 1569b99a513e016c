/** Read-only cluster queries (`/leofs status <cluster>`): asked by the API side, run by a worker over SSH. */
export type { ClusterStatusResult, ClusterStatusFailure, LeofsClusterStatus, DiracClusterStatus, DiracBoxStatus, ConsoleAttempt, StatusQueryFailureCode } from "./cluster-status-result";
export type { StatusQueryPlan, StatusQueryPlanner } from "./status-query-planner";
export { inventoryStatusQueryPlanner } from "./inventory-status-query-planner";
export { runStatusQuery, type RunStatusQueryOptions } from "./run-status-query";
export { createStatusQueries, STATUS_QUERY_POLICY_ID, type StatusQueries, type StatusQueriesOptions } from "./create-status-queries";
export { startQueryWorker, type QueryWorkerOptions, type QueryWorkerHandle } from "./start-query-worker";
export { QUERY_QUEUE, type StatusQueryJobData } from "./status-query-job";
