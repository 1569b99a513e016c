/** Every Redis key and channel the engine uses, under one prefix (tests use a unique prefix per file). */
export interface RedisKeys {
  readonly prefix: string;
  run(runId: string): string;
  /** Prefix such that `runPrefix + runId === run(runId)`: Lua scripts look up lock holders with it. */
  readonly runPrefix: string;
  runAudit(runId: string): string;
  readonly globalAudit: string;
  /** ZSET runId -> requestedAt (ms). */
  readonly runs: string;
  /** HASH runId -> cluster of runs that are not terminal. */
  readonly active: string;
  lock(cluster: string): string;
  readonly lockPrefix: string;
  output(runId: string, stepIndex: number, attempt: number, host: string): string;
  semaphore(cluster: string, host: string): string;
  /** STRING holder token (PX): a live worker executes this step attempt (step-lease.ts). */
  stepLease(runId: string, stepIndex: number, attempt: number): string;
  readonly eventsChannel: string;
  readonly abortChannel: string;
  /** BullMQ `prefix` option. */
  readonly bullPrefix: string;
}

export function redisKeys(prefix: string): RedisKeys {
  const runPrefix = `${prefix}:run:`;
  const lockPrefix = `${prefix}:lock:`;
  return {
    prefix,
    runPrefix,
    run: (runId) => `${runPrefix}${runId}`,
    runAudit: (runId) => `${runPrefix}${runId}:audit`,
    globalAudit: `${prefix}:audit`,
    runs: `${prefix}:runs`,
    active: `${prefix}:active`,
    lockPrefix,
    lock: (cluster) => `${lockPrefix}${cluster}`,
    output: (runId, stepIndex, attempt, host) => `${prefix}:out:${runId}:${stepIndex}:${attempt}:${host}`,
    semaphore: (cluster, host) => `${prefix}:sem:${cluster}:${host}`,
    stepLease: (runId, stepIndex, attempt) => `${runPrefix}${runId}:lease:${stepIndex}:${attempt}`,
    eventsChannel: `${prefix}:events`,
    abortChannel: `${prefix}:abort`,
    bullPrefix: `${prefix}:bq`,
  };
}
