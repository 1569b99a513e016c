import { EngineTimeoutError } from "./bot-errors";

/**
 * A listener never waits on the engine for long: when Redis is down the
 * engine's calls hang on reconnects, and the operator must hear so quickly.
 */
export async function withTimeout<T>(operation: string, timeoutMs: number, work: () => Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new EngineTimeoutError(operation, timeoutMs)), timeoutMs);
  });
  const working = work();
  // Once the timeout won, a later rejection of the work has no one waiting: it must not become an
  // unhandled rejection (which ends a Node 20 process).
  working.catch(() => undefined);
  try {
    return await Promise.race([working, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
