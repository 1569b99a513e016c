import type Redis from "ioredis";

export interface ReplicaConfirmationOptions {
  /** Replicas that must have a write before it is acknowledged. @defaultValue 1 */
  readonly replicas?: number;
  /** How long WAIT may block the connection. @defaultValue 1000 */
  readonly timeoutMs?: number;
  /** After a short WAIT, writes are not waited on for this long (the replica is gone or lagging). @defaultValue 5000 */
  readonly degradedMs?: number;
  /** Called when a WAIT came back short: the writes go on unconfirmed for `degradedMs`. */
  readonly onShort?: (acked: number, wanted: number) => void;
  readonly now?: () => number;
}

/**
 * Redis replicates asynchronously: a write the primary acknowledged is lost
 * if the primary dies before a replica has it and Sentinel promotes that
 * replica. `WAIT numreplicas timeout` (redis.io/commands/wait) blocks this
 * connection until that many replicas acknowledged every write sent on it
 * before, so a run record is acknowledged to the operator (and a step marked
 * running before its exec) only once it would survive the failover.
 *
 * WAIT alone is not the whole answer: when the primary dies between a write's
 * reply and WAIT's, ioredis sends WAIT again to the new primary, which knows
 * nothing of the write. So a write is confirmed only if the connection did not
 * change (no new `ready`) between sending it and WAIT's reply; otherwise the
 * caller reads the record back (RunStore does).
 *
 * A WAIT that comes back short (no replica attached, or one lagging more than
 * the timeout) does not stop the engine: it is reported through `onShort` and
 * writes go on unconfirmed for `degradedMs`, then WAIT is tried again. That
 * keeps a lost replica from adding the timeout to every transition; refusing
 * writes without replicas is Redis's own `min-replicas-to-write`.
 */
export class ReplicaConfirmation {
  private epoch = 0;
  private degradedUntil = 0;
  private readonly replicas: number;
  private readonly timeoutMs: number;
  private readonly degradedMs: number;
  private readonly now: () => number;
  /** Writes whose WAIT came back short, and writes not waited on while degraded. */
  unconfirmed = 0;

  constructor(
    private readonly redis: Redis,
    private readonly options: ReplicaConfirmationOptions = {},
  ) {
    this.replicas = options.replicas ?? 1;
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.degradedMs = options.degradedMs ?? 5000;
    this.now = options.now ?? Date.now;
    redis.on("ready", () => this.epoch++);
  }

  /** Taken before a write is sent; `confirm` compares against it. */
  mark(): number {
    return this.epoch;
  }

  /** Whether the connection was replaced since `mark` (a write's answer may then describe a resend). */
  changedSince(mark: number): boolean {
    return this.epoch !== mark;
  }

  /**
   * True when the writes sent since `mark` reached the replicas (or the
   * replicas are known to be missing, which `onShort` has reported) on the
   * connection they were sent on; false when that connection was replaced in
   * between, so the write may have died with the old primary.
   */
  async confirm(mark: number): Promise<boolean> {
    if (this.now() < this.degradedUntil) this.unconfirmed++;
    else {
      const acked = await this.redis.wait(this.replicas, this.timeoutMs);
      if (acked < this.replicas) {
        this.unconfirmed++;
        this.degradedUntil = this.now() + this.degradedMs;
        this.options.onShort?.(acked, this.replicas);
      }
    }
    return this.epoch === mark;
  }
}
