/** The configuration layer: the only reader of process.env and config files. */
export { ConfigError, type ConfigErrorCode } from "./config-error";
export { EnvConfigError, type EnvIssue } from "./env-config-error";
export { InventoryError, formatInventoryIssue, type InventoryIssue } from "./inventory-error";
export { loadDotenv } from "./load-dotenv";
export { loadEnvConfig, inventoryLocationFromEnv, ENV_DEFAULTS, type InventoryLocation } from "./load-env-config";
export {
  LOG_LEVELS,
  ROLES,
  type LogLevel,
  type Role,
  type Settings,
  type SlackApiSettings,
  type SlackSettings,
  type SlackReceiverSettings,
  type RedisSentinelSettings,
} from "./settings";
export { loadInventory } from "./load-inventory";
export { parseInventory, type InventoryOptions } from "./parse-inventory";
export type {
  Inventory,
  Cluster,
  ClusterKind,
  LeofsCluster,
  DiracCluster,
  HostEntry,
  PackageFamily,
  ServiceManager,
  SshSettings,
  SshBastion,
  ApprovalPolicy,
  ApprovalMode,
  SlackPrincipals,
  LeofsTopology,
  LeofsManager,
  LeofsNode,
  LeofsPaths,
  DiracSetup,
  DiracBox,
  DiracRole,
} from "./inventory";
export { approvalPolicyFor } from "./approval-policy-for";
export { leofsUnitFor, LEOFS_UNIT_DIRS } from "./leofs-unit-for";
export { sshSettingsFor, hostFor, UnknownHostError } from "./ssh-settings-for";
export { formatInventorySummary } from "./format-inventory-summary";
export { parseDuration } from "./parse-duration";
export { expandTilde } from "./expand-tilde";
