import type Redis from "ioredis";

export interface ReplicaConfirmationOptions {
  /** Replicas that must have a write before it is acknowledged. @defaultValue 1 */
  readonly replicas?: number;
  /** How long WAIT may block the connection. @defaultValue 1000 */
  readonly timeoutMs?: number;
  /**
   * After a short WAIT (the replica is gone or lagging), how long each later
   * write's WAIT may block, until one comes back confirmed. @defaultValue 20
   */
  readonly degradedTimeoutMs?: number;
  /** Called when a WAIT came back short: writes go on, each confirmed only if a replica answers within `degradedTimeoutMs`. */
  readonly onShort?: (acked: number, wanted: number) => void;
  /** Called when a WAIT is confirmed again after `onShort`, with the writes left unconfirmed meanwhile. */
  readonly onConfirmedAgain?: (unconfirmed: number) => void;
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
 * the timeout) does not stop the engine: it is reported through `onShort`,
 * and later writes wait only `degradedTimeoutMs` for a replica (a replica on
 * the same network acknowledges within a millisecond or two) until one
 * answers in time. That keeps a lost replica from adding a second to every
 * transition, and ends the unconfirmed stretch with the first write after
 * the replica is back. An earlier version skipped WAIT for a fixed 5 s
 * instead: a second failover soon after a first then found writes the
 * rejoined replica would have confirmed, and lost them (the chaos row "Redis
 * failover under Sentinel": 5 acknowledged creations gone, a cluster lock
 * left to a finished run). Refusing writes without replicas is Redis's own
 * `min-replicas-to-write`.
 */
export class ReplicaConfirmation {
  private epoch = 0;
  private degraded = false;
  private readonly replicas: number;
  private readonly timeoutMs: number;
  private readonly degradedTimeoutMs: number;
  /** Writes whose WAIT came back short. */
  unconfirmed = 0;
  private unconfirmedSinceShort = 0;

  constructor(
    private readonly redis: Redis,
    private readonly options: ReplicaConfirmationOptions = {},
  ) {
    this.replicas = options.replicas ?? 1;
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.degradedTimeoutMs = options.degradedTimeoutMs ?? 20;
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

  /** Whether the last WAIT came back short: writes are acknowledged without a replica's copy. */
  get isDegraded(): boolean {
    return this.degraded;
  }

  /**
   * True when the writes sent since `mark` reached the replicas (or the
   * replicas are known to be missing, which `onShort` has reported) on the
   * connection they were sent on; false when that connection was replaced in
   * between, so the write may have died with the old primary.
   */
  async confirm(mark: number): Promise<boolean> {
    const acked = await this.redis.wait(this.replicas, this.degraded ? this.degradedTimeoutMs : this.timeoutMs);
    if (acked < this.replicas) {
      this.unconfirmed++;
      this.unconfirmedSinceShort++;
      if (!this.degraded) this.options.onShort?.(acked, this.replicas);
      this.degraded = true;
    } else if (this.degraded) {
      this.degraded = false;
      this.options.onConfirmedAgain?.(this.unconfirmedSinceShort);
      this.unconfirmedSinceShort = 0;
    }
    return this.epoch === mark;
  }
}
