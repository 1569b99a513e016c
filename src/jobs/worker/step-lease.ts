import { uniqueIds } from "../../util/unique-ids";
import type Redis from "ioredis";
import type { RedisKeys } from "../store/redis-keys";
import type { HeldClaim } from "../store/run-store";
import { defineRedisScripts } from "../store/redis-scripts";

/** A lease held while a step executes; `release` ends it. */
export interface HeldStepLease extends HeldClaim {
  release(): void;
  /** Stops renewing it, without a command: the write that committed the step's result gave it up (`releaseOnCommit`). */
  releasedByCommit(): void;
}

export interface StepLeaseOptions {
  /** How long a lease outlives its holder's last renewal; renewed every third of it. */
  readonly leaseMs: number;
  /** Names the holder in the lease's value (logs, `holder`). */
  readonly holder: string;
}

/**
 * Says that a step is being executed by a live worker. BullMQ's job lock
 * cannot: it lapses in a Redis outage longer than itself while the worker
 * goes on running the command, and the stalled check then hands the job to
 * another worker, which would take the running step for a dead worker's
 * (`beginStep`: `interrupted`, or run again if idempotent) while it still
 * runs (issue 13, a second delivery in another process).
 *
 * The lease is set on the store's connection before the write that begins the
 * step, so Redis has it whenever a reader finds the step `running`; it is
 * renewed by setting it again, so that after an outage that outlasted it the
 * live holder has it back within a third of its length, and deleted by the
 * write of the step's result (`releaseOnCommit`; on its own when no such
 * write commits). A redelivery waits while it is held (`waitWhileHeld`), and
 * calls the step interrupted only when it stayed absent for longer than a
 * renewal period.
 */
export class StepLease {
  private readonly newToken = uniqueIds();

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly options: StepLeaseOptions,
  ) {
    defineRedisScripts(redis);
  }

  private get renewMs(): number {
    return Math.max(10, Math.floor(this.options.leaseMs / 3));
  }

  /** Sends the lease now, unawaited (ordered before the caller's next command on this connection). */
  hold(runId: string, stepIndex: number, attempt: number): HeldStepLease {
    const key = this.keys.stepLease(runId, stepIndex, attempt);
    const token = `${this.options.holder}:${this.newToken()}`;
    const set = (): void => void this.redis.set(key, token, "PX", this.options.leaseMs).catch(() => undefined);
    set();
    const renew = setInterval(set, this.renewMs);
    renew.unref();
    let released = false;
    const stop = (): boolean => {
      if (released) return false;
      released = true;
      clearInterval(renew);
      return true;
    };
    return {
      key,
      token,
      // Only ours: a lease set again by a later attempt's holder is not taken away. By sha, not the
      // script's text sent and hashed again by Redis after every step (issue 13).
      release: () => void (stop() && this.redis.releaseClaim(key, token).catch(() => undefined)),
      releasedByCommit: () => void stop(),
    };
  }

  /** The lease's holder token, if any. */
  async holder(runId: string, stepIndex: number, attempt: number): Promise<string | undefined> {
    return (await this.redis.get(this.keys.stepLease(runId, stepIndex, attempt))) ?? undefined;
  }

  /**
   * Waits while another holder's lease on the step is held and `stillRunning`
   * says the step is still `running`; returns once the lease has stayed
   * absent across a renewal period (its holder is gone) or the step moved on.
   * `onWait` is called once, when waiting starts.
   */
  async waitWhileHeld(runId: string, stepIndex: number, attempt: number, stillRunning: () => Promise<boolean>, onWait: (holder: string | undefined) => void): Promise<void> {
    let absentSince: number | undefined;
    let told = false;
    for (;;) {
      const holder = await this.holder(runId, stepIndex, attempt);
      const now = Date.now();
      if (holder === undefined) {
        absentSince ??= now;
        // Absent over a whole renewal period (and a margin for a slow timer): no live holder renews it.
        if (now - absentSince > this.renewMs + Math.min(1000, this.renewMs)) return;
      } else absentSince = undefined;
      if (!told) {
        told = true;
        onWait(holder);
      }
      await new Promise((r) => setTimeout(r, Math.min(this.renewMs, 250)));
      if (!(await stillRunning())) return;
    }
  }
}
