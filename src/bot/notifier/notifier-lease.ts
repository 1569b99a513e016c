/**
 * Which bot process writes a run's Slack messages (issue 15 point 1): any
 * number of bot processes receive every run event; exactly one at a time
 * holds a run's lease and posts or updates for it. A holder that dies stops
 * renewing, and another bot takes the lease over after it lapses.
 */
export type LeaseState = "first" | "held" | "busy" | "done";

export interface NotifierLease {
  /** How long a hold lasts without renewal. */
  readonly ttlMs: number;
  /**
   * Takes or renews the lease of `runId` for this process: `held`; `first`
   * when held and no process had held it before (so none can have posted for
   * the run); `busy` while another process holds it; `done` once the writer
   * finished the run's final message (nobody needs to write again).
   */
  hold(runId: string): Promise<LeaseState>;
  /** The final message is written: the other bots stand down for good. */
  finish(runId: string): Promise<void>;
}
