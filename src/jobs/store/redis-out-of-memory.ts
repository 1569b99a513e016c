import { EngineError } from "../engine-error";

/** What an operator does about it, in every message that reports it. */
export const REDIS_OUT_OF_MEMORY_FIX =
  "free memory in Redis or raise its limit (`CONFIG SET maxmemory <bytes>`, and `maxmemory` in redis.conf so it lasts)";

/**
 * Redis at `maxmemory` with `maxmemory-policy noeviction` refuses writes with
 * `OOM command not allowed when used memory > 'maxmemory'` (issue 15 point 5).
 * In a MULTI the refusal comes back as EXECABORT with the OOM among
 * `previousErrors`. A Lua script is refused only at its first write, so a
 * refused script changed nothing.
 */
export function isRedisOutOfMemory(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.message.startsWith("OOM ")) return true;
  const previous = (error as Error & { previousErrors?: unknown }).previousErrors;
  return Array.isArray(previous) && previous.some((e) => e instanceof Error && e.message.startsWith("OOM "));
}

/** The refusal a user sees (the bot renders EngineErrors as they are): nothing was changed, and what to do. */
export function redisOutOfMemoryError(operation: string): EngineError {
  return new EngineError(
    "REDIS_OUT_OF_MEMORY",
    `Redis is out of memory (it reached maxmemory and evicts nothing), so intervene cannot record anything: ${operation} was not recorded and nothing changed. Runs already going wait where they are and go on by themselves once Redis accepts writes again. An operator should ${REDIS_OUT_OF_MEMORY_FIX}, then try again.`,
    { operation },
  );
}

/** Runs `fn`, turning Redis's OOM refusal into `redisOutOfMemoryError(operation)`; `operation` names what was asked, e.g. "your approval". */
export async function refusedWhenRedisIsFull<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (isRedisOutOfMemory(error)) throw redisOutOfMemoryError(operation);
    throw error;
  }
}

/**
 * Runs `fn` until Redis stops refusing it for memory. For writes that must
 * not be dropped: a step's start, and above all the result of a command that
 * has already run, which no one could otherwise tell from a crash. `onWait`
 * is told once per wait; other errors are thrown as they are.
 */
export async function untilRedisAcceptsWrites<T>(fn: () => Promise<T>, onWait: (error: Error) => void, maxDelayMs = 2000): Promise<T> {
  let delayMs = 100;
  let told = false;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (!isRedisOutOfMemory(error)) throw error;
      if (!told) onWait(error as Error);
      told = true;
      await new Promise((r) => setTimeout(r, delayMs));
      delayMs = Math.min(maxDelayMs, delayMs * 2);
    }
  }
}
