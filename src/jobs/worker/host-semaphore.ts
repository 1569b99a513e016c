import { uniqueIds } from "../../util/unique-ids";
import type Redis from "ioredis";
import type { RedisKeys } from "../store/redis-keys";
import { defineRedisScripts } from "../store/redis-scripts";

export interface HostSemaphoreOptions {
  /** Concurrent commands per host across all workers. @defaultValue 4 */
  readonly perHostLimit?: number | ((cluster: string, host: string) => number);
  /** Lease length; renewed while held, lapses if the holder dies. @defaultValue 30000 */
  readonly leaseMs?: number;
  /** @defaultValue 50 */
  readonly pollMs?: number;
}

export class SemaphoreAbortedError extends Error {
  constructor(readonly host: string) {
    super(`aborted while waiting for an SSH slot on ${host}`);
    this.name = "SemaphoreAbortedError";
  }
}

/** Per-host SSH concurrency kept in Redis, so it holds across worker processes and machines. */
export class HostSemaphore {
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly newLeaseId: () => string;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly options: HostSemaphoreOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? 30_000;
    this.pollMs = options.pollMs ?? 50;
    this.newLeaseId = uniqueIds();
    defineRedisScripts(redis);
  }

  private limit(cluster: string, host: string): number {
    const l = this.options.perHostLimit ?? 4;
    return typeof l === "function" ? l(cluster, host) : l;
  }

  /** Waits for a slot; returns the release function. */
  async acquire(cluster: string, host: string, signal?: AbortSignal): Promise<() => Promise<void>> {
    const key = this.keys.semaphore(cluster, host);
    const leaseId = this.newLeaseId();
    const limit = this.limit(cluster, host);
    for (;;) {
      if (signal?.aborted === true) throw new SemaphoreAbortedError(host);
      const got = await this.redis.acquireLease(key, leaseId, limit, this.leaseMs);
      if (got === 1) break;
      await new Promise((r) => setTimeout(r, this.pollMs * (0.5 + Math.random())));
    }
    const renew = setInterval(() => {
      this.redis.acquireLease(key, leaseId, Number.MAX_SAFE_INTEGER, this.leaseMs).catch(() => undefined);
    }, this.leaseMs / 3);
    renew.unref();
    return async () => {
      clearInterval(renew);
      await this.redis.zrem(key, leaseId);
    };
  }

  async holders(cluster: string, host: string): Promise<number> {
    return this.redis.zcard(this.keys.semaphore(cluster, host));
  }
}
