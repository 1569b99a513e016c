import type { ExecOptions as SshExecOptions, ExecResult as SshExecResult, RemoteCleanup } from "../../ssh/exec-types";

/**
 * What the worker needs from the SSH layer, addressed by inventory host name.
 * `createSshExecutor` adapts `SshPool` to it; tests use the same adapter.
 */
export interface HostRef {
  readonly cluster: string;
  /** Inventory host name. */
  readonly host: string;
}

/** The SSH layer's exec options, as much of them as a step gives. */
export type HostExecOptions = Pick<SshExecOptions, "timeoutMs" | "signal" | "onStdout" | "onStderr" | "maxOutputBytes">;

/**
 * The SSH layer's exec result without its byte counts, which a step does not
 * use (and executors that tests and the demo put in its place need not
 * give). `cleanup`, after a timeout or abort: `kill-failed` when the host
 * could not confirm the command stopped (it may still run).
 */
export type HostExecResult = Omit<SshExecResult, "stdoutBytes" | "stderrBytes" | "cleanup"> & { readonly cleanup?: RemoteCleanup };

export interface CopyOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface RemoteExecutor {
  exec(target: HostRef, command: string, options: HostExecOptions): Promise<HostExecResult>;
  /** Resolves when the destination matches the source (checksums verified); rejects otherwise. */
  copy(from: HostRef, fromPath: string, to: HostRef, toPath: string, options?: CopyOptions): Promise<unknown>;
  close?(): Promise<void>;
}
