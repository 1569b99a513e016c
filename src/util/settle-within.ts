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
