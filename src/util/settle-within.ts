/**
 * Waits until every promise settled, or `ms` passed, whichever comes first;
 * true when all settled. Closing code that talks to Redis uses it before
 * cutting its connections: with Redis gone, a graceful close (BullMQ's
 * queue.close, UNSUBSCRIBE) waits on reconnects forever, and a SIGTERM or
 * Ctrl-C must still end the process.
 */
export async function settleWithin(ms: number, promises: readonly Promise<unknown>[]): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([Promise.allSettled(promises).then(() => true as const), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** How long a close waits on Redis before it cuts its connections. */
export const REDIS_CLOSE_MS = 3_000;

/**
 * A bounded close gave up waiting on Redis: the closer cut its connections
 * and went on. Thrown after the cut, so whoever shuts down can say what it
 * left unfinished instead of exiting quietly as if all had closed cleanly.
 */
export class CloseGaveUpError extends Error {
  constructor(
    readonly gaveUp: readonly string[],
    readonly waitedMs: number,
  ) {
    super(`${gaveUp.join(", ")} did not finish within ${waitedMs} ms; connections cut`);
    this.name = "CloseGaveUpError";
  }
}

/** What a close with several parts, each bounded by REDIS_CLOSE_MS, gave up on; `throwIfAny` reports them all at once. */
export class GaveUpList {
  private readonly parts: string[] = [];

  /** settleWithin REDIS_CLOSE_MS, remembering `what` when it gives up. */
  async within(what: string, promises: readonly Promise<unknown>[]): Promise<boolean> {
    const settled = await settleWithin(REDIS_CLOSE_MS, promises);
    if (!settled) this.parts.push(what);
    return settled;
  }

  /**
   * A graceful close (BullMQ's `close`), and when Redis does not answer in
   * time, `cut` (their `disconnect`): BullMQ keeps connections of its own
   * that a graceful close waits on for ever.
   */
  async closeOrCut(what: string, closes: readonly Promise<unknown>[], cut: () => readonly Promise<unknown>[]): Promise<void> {
    if (!(await this.within(what, closes))) await settleWithin(REDIS_CLOSE_MS, cut());
  }

  /** Keeps what an inner close reported; rethrows any other error. */
  absorb(err: unknown): void {
    if (!(err instanceof CloseGaveUpError)) throw err;
    this.parts.push(...err.gaveUp);
  }

  throwIfAny(): void {
    if (this.parts.length > 0) throw new CloseGaveUpError([...new Set(this.parts)], REDIS_CLOSE_MS);
  }
}
