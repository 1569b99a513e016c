import type Redis from "ioredis";

export interface ReplicaConfirmationOptions {
  /** Replicas that must have a write before it is acknowledged. @defaultValue 1 */
  readonly replicas?: number;
  /** How long WAIT may block the connection. @defaultValue 1000 */
  readonly timeoutMs?: number;
  /** After a short WAIT, WAITs use `degradedTimeoutMs` until this long after the last short one (the replica is gone or lagging). @defaultValue 5000 */
  readonly degradedMs?: number;
  /** WAIT's timeout while degraded. @defaultValue 100 */
  readonly degradedTimeoutMs?: number;
  /** Called when a WAIT came back short after a good one: writes go on, each batch waiting only `degradedTimeoutMs`. */
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
 * the timeout) does not stop the engine: it is reported through `onShort`,
 * and until `degradedMs` after the last short one, WAIT's timeout is
 * `degradedTimeoutMs`. Writes never go without a WAIT: skipping it for a
 * while after a short one (as before) acknowledged writes during a replica's
 * resync that a failover then lost. One WAIT serves every write confirmed
 * while another is on the connection, so a lost replica costs a batch of
 * writes one short timeout, not each write one long one. Refusing writes
 * without replicas is Redis's own `min-replicas-to-write`.
 */
export class ReplicaConfirmation {
  private epoch = 0;
  private degradedUntil = 0;
  private readonly replicas: number;
  private readonly timeoutMs: number;
  private readonly degradedMs: number;
  private readonly degradedTimeoutMs: number;
  private readonly now: () => number;
  /** A WAIT is on the connection. */
  private waiting = false;
  /** The WAIT to send once the one on the connection answers, shared by every write confirmed meanwhile. */
  private next: { readonly promise: Promise<number>; resolve(acked: number): void; reject(err: unknown): void } | undefined;
  /** Writes whose WAIT came back short, and writes not waited on while degraded. */
  unconfirmed = 0;

  constructor(
    private readonly redis: Redis,
    private readonly options: ReplicaConfirmationOptions = {},
  ) {
    this.replicas = options.replicas ?? 1;
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.degradedMs = options.degradedMs ?? 5000;
    this.degradedTimeoutMs = options.degradedTimeoutMs ?? 100;
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
    const acked = await this.waitCovering();
    if (acked < this.replicas) this.unconfirmed++;
    return this.epoch === mark;
  }

  /**
   * A WAIT sent after the caller's write, shared with the other writes
   * confirmed before it goes out: at most one WAIT on the connection and one
   * waiting to follow it. Never the WAIT already on the connection: it was
   * sent before this write, so it does not cover it (sharing that one broke
   * approval gates in the Sentinel chaos row). A silent replica then blocks
   * the connection for one timeout, not one per write in flight.
   */
  private waitCovering(): Promise<number> {
    if (this.next !== undefined) return this.next.promise;
    let resolve!: (acked: number) => void;
    let reject!: (err: unknown) => void;
    const promise = new Promise<number>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.next = { promise, resolve, reject };
    if (!this.waiting) this.sendNext();
    return promise;
  }

  private sendNext(): void {
    const batch = this.next;
    if (batch === undefined) return;
    this.next = undefined;
    // Since a WAIT came back short, a short timeout: a replica that is back (resynced after a
    // failover) confirms again at once, and a missing one costs each batch little.
    const degraded = this.now() < this.degradedUntil;
    this.waiting = true;
    this.redis
      .wait(this.replicas, degraded ? this.degradedTimeoutMs : this.timeoutMs)
      .then((acked) => {
        if (acked < this.replicas) {
          // Reported once a spell: a missing replica is said once, not at every write.
          if (!degraded) this.options.onShort?.(acked, this.replicas);
          this.degradedUntil = this.now() + this.degradedMs;
        }
        batch.resolve(acked);
      }, (err: unknown) => batch.reject(err))
      .finally(() => {
        this.waiting = false;
        this.sendNext();
      });
  }
}
