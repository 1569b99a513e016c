/**
 * Polls `check` until it returns a value other than undefined, and returns
 * it; fails naming `what` after `timeoutMs`. The one way tests wait for
 * "time passes": no fixed sleeps standing in for a condition.
 */
export async function eventually<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** `eventually` for a yes/no condition. */
export async function eventuallyTrue(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000, intervalMs = 50): Promise<void> {
  await eventually(what, async () => ((await check()) ? true : undefined), timeoutMs, intervalMs);
}
