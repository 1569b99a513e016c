/**
 * The SSH executor: a pool of pinned-host-key connections that runs shell
 * commands with timeouts that really stop them, and copies trees host to host.
 */
export { SshPool, type SshPoolOptions, type SshPoolStats, type SshPoolHostStats } from "./ssh-pool";
export type { SshTarget } from "./ssh-target";
export { sshTargetKey, describeSshTarget } from "./ssh-target";
export type { ExecOptions, ExecResult, RemoteCleanup } from "./exec-types";
export type { CopyOptions, CopyResult } from "./copy-between-hosts";
export { KnownHosts, hostKeyName, hashKnownHostName, type KnownHostKey, type HostKeyVerdict } from "./known-hosts";
export { fingerprintSha256 } from "./fingerprint-sha256";
export {
  SshError,
  HostKeyError,
  SshConnectionError,
  SshChannelError,
  SshConfigError,
  SshPoolClosedError,
  SshAbortedError,
  CopyError,
  CopyVerificationError,
  type SshErrorCode,
  type HostKeyRefusal,
} from "./ssh-errors";
