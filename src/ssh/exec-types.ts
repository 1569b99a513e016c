import type { Readable, Writable } from "node:stream";

export interface ExecOptions {
  /** Limit on the command's run time (not on queueing or connecting); on expiry the remote process group is killed. */
  timeoutMs: number;
  /** Aborting kills the remote process group, like a timeout. */
  signal?: AbortSignal;
  /**
   * Decoded UTF-8 text as it arrives (multi-byte characters are never split).
   * A callback that throws gets no more text, and the exec rejects with its
   * error once the command has ended; the connection and its other commands
   * are unaffected.
   */
  onStdout?: (text: string) => void;
  onStderr?: (text: string) => void;
  /** Per stream; beyond it the head and tail halves are kept. @defaultValue 1 MiB */
  maxOutputBytes?: number;
  /** Sent to the command's stdin, then EOF. Without it the command reads EOF at once. */
  stdin?: string | Buffer | Readable;
  /** Stream stdout into this instead of collecting it (`stdout` is then ""); ended when stdout ends. */
  stdoutTo?: Writable;
  /** Between TERM and KILL when stopping a timed-out or aborted command. @defaultValue 2000 */
  killGraceMs?: number;
}

/**
 * What happened to the remote process group after a timeout or abort:
 * `killed` means no process of the group is left; `kill-failed` means the host
 * could not confirm it (connection lost, or a process survived KILL).
 */
export type RemoteCleanup = "none" | "killed" | "kill-failed";

export interface ExecResult {
  /** Exit status; null when the command died of a signal or was stopped. */
  readonly code: number | null;
  /** e.g. "SIGTERM" when the remote process died of a signal. */
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Bytes produced, including any that were dropped by the cap. */
  readonly stdoutBytes: number;
  readonly stderrBytes: number;
  readonly truncated: boolean;
  readonly durationMs: number;
  readonly timedOut: boolean;
  readonly aborted: boolean;
  readonly cleanup: RemoteCleanup;
}
