/**
 * What the worker needs from the SSH layer, addressed by inventory host name.
 * `createSshExecutor` adapts `SshPool` to it; tests use the same adapter.
 */
export interface HostRef {
  readonly cluster: string;
  /** Inventory host name. */
  readonly host: string;
}

export interface ExecOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly onStdout?: (chunk: string) => void;
  readonly onStderr?: (chunk: string) => void;
  readonly maxOutputBytes?: number;
}

export interface ExecResult {
  readonly code: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly truncated: boolean;
  readonly durationMs: number;
  readonly timedOut: boolean;
  readonly aborted: boolean;
  /** After a timeout or abort: `kill-failed` when the host could not confirm the command stopped (it may still run). */
  readonly cleanup?: "none" | "killed" | "kill-failed";
}

export interface CopyOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface RemoteExecutor {
  exec(target: HostRef, command: string, options: ExecOptions): Promise<ExecResult>;
  /** Resolves when the destination matches the source (checksums verified); rejects otherwise. */
  copy(from: HostRef, fromPath: string, to: HostRef, toPath: string, options?: CopyOptions): Promise<unknown>;
  close?(): Promise<void>;
}
