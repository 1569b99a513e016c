/** A status query's payload. Query jobs are short-lived: attempted once, removed soon after. */
export interface StatusQueryJobData {
  readonly cluster: string;
  readonly requestedBy: string;
  /** Epoch ms after which nobody waits for the answer: a late worker skips the job. */
  readonly deadline: number;
  /** LeoFS: ask every manager console (a run's snapshot), not only until one answers. */
  readonly everyConsole?: boolean;
}

/** Apart from the step queue, so a query never waits behind a long step (and takes no step slot). */
export const QUERY_QUEUE = "queries";

/** How long finished query jobs are kept (seconds): long enough for a slow waiter to read the answer. */
export const QUERY_KEEP_SECONDS = 300;
