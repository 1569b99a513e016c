/**
 * The SSH layer's error vocabulary. `retryable` tells the worker what to do
 * next: a refused host key or a failed copy verification will not get better
 * by retrying; a dropped connection may.
 */
export type SshErrorCode =
  | "HOST_KEY"
  | "CONFIG"
  | "CONNECTION"
  | "CHANNEL"
  | "POOL_CLOSED"
  | "ABORTED"
  | "COPY_FAILED"
  | "COPY_VERIFICATION";

export abstract class SshError extends Error {
  abstract readonly code: SshErrorCode;
  abstract readonly retryable: boolean;
}

export type HostKeyRefusal = "unknown" | "mismatch" | "revoked";

/** The host offered a key that known_hosts does not pin (or revokes). Never retried: it needs an operator. */
export class HostKeyError extends SshError {
  readonly code = "HOST_KEY";
  readonly retryable = false;
  constructor(
    readonly host: string,
    readonly port: number,
    readonly offeredFingerprint: string,
    readonly reason: HostKeyRefusal,
    readonly knownHostsPath: string,
    readonly hostLabel?: string,
  ) {
    const who = `${hostLabel !== undefined ? `${hostLabel} (${host}:${port})` : `${host}:${port}`}`;
    const why = {
      unknown: `is not in ${knownHostsPath}`,
      mismatch: `does not match the key pinned in ${knownHostsPath}`,
      revoked: `is marked @revoked in ${knownHostsPath}`,
    }[reason];
    super(`host key of ${who} refused: offered ${offeredFingerprint} ${why}`);
    this.name = "HostKeyError";
  }
}

/**
 * The connection could not be made or was lost. `phase` says whether a
 * command may have run: after `running`, only an idempotent step is safe to
 * retry blindly.
 */
export class SshConnectionError extends SshError {
  readonly code = "CONNECTION";
  /** False only when the server rejected our key: retrying cannot help. */
  readonly retryable: boolean;
  constructor(
    readonly host: string,
    readonly port: number,
    readonly phase: "connect" | "running",
    override readonly cause: unknown,
    readonly hostLabel?: string,
  ) {
    const who = hostLabel !== undefined ? `${hostLabel} (${host}:${port})` : `${host}:${port}`;
    const what = phase === "connect" ? "cannot connect to" : "connection lost while a command ran on";
    super(`${what} ${who}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = "SshConnectionError";
    this.retryable = (cause as { level?: unknown } | null)?.level !== "client-authentication";
  }
}

/** A key or known_hosts file cannot be read: a deployment problem, not a network one. */
export class SshConfigError extends SshError {
  readonly code = "CONFIG";
  readonly retryable = false;
  constructor(
    message: string,
    readonly path: string,
    override readonly cause: unknown,
  ) {
    super(`${message} (${path}): ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = "SshConfigError";
  }
}

/** The server refused to open a session channel (e.g. sshd MaxSessions below the pool's cap). */
export class SshChannelError extends SshError {
  readonly code = "CHANNEL";
  readonly retryable = true;
  constructor(
    readonly host: string,
    readonly port: number,
    override readonly cause: unknown,
  ) {
    super(`cannot open a channel on ${host}:${port}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = "SshChannelError";
  }
}

export class SshPoolClosedError extends SshError {
  readonly code = "POOL_CLOSED";
  readonly retryable = false;
  constructor() {
    super("the SSH pool is closed");
    this.name = "SshPoolClosedError";
  }
}

/** Aborted before the command started (while queued or connecting); an abort during the run is a result, not an error. */
export class SshAbortedError extends SshError {
  readonly code = "ABORTED";
  readonly retryable = false;
  constructor(readonly host: string, readonly port: number) {
    super(`aborted before the command started on ${host}:${port}`);
    this.name = "SshAbortedError";
  }
}

/** One side of a host-to-host copy failed (non-zero tar, timeout, abort). */
export class CopyError extends SshError {
  readonly code = "COPY_FAILED";
  readonly retryable = true;
  constructor(
    message: string,
    readonly from: string,
    readonly to: string,
    readonly detail: string,
  ) {
    super(`copy ${from} -> ${to} failed: ${message}${detail !== "" ? `\n${detail}` : ""}`);
    this.name = "CopyError";
  }
}

/** The copied tree does not match the source: the destination must not be trusted. */
export class CopyVerificationError extends SshError {
  readonly code = "COPY_VERIFICATION";
  readonly retryable = false;
  constructor(
    readonly from: string,
    readonly to: string,
    /** Relative paths that are missing, extra, or differ in content or mode. */
    readonly differing: readonly { path: string; problem: "missing" | "extra" | "content" | "mode" }[],
  ) {
    const shown = differing.slice(0, 20).map((d) => `  ${d.problem}: ${d.path}`);
    const more = differing.length > 20 ? [`  ... and ${differing.length - 20} more`] : [];
    super([`copy ${from} -> ${to} verification failed for ${differing.length} path(s):`, ...shown, ...more].join("\n"));
    this.name = "CopyVerificationError";
  }
}
