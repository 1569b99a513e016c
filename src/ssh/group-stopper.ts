import type { ExecOptions, RemoteCleanup } from "./exec-types";

const DEFAULT_KILL_GRACE_MS = 2000;
/** If the group has not been reported this long after a stop, the shell never started the command. */
const GROUP_WAIT_MS = 3000;
/** After the kill, the command's channel or shell normally reports its end at once; do not wait on a wedged one forever. */
const AFTER_KILL_MS = 1000;

/** How a command that does not end by itself is ended. */
export interface ForcedEnd {
  /** Closes the command's channel (or its shell): its end then comes through that channel's close. */
  close(): void;
  /**
   * Drops the command's connection as dead, which closes every channel on
   * it at once: for a host that did not answer `close` within `answerMs`.
   */
  abandon(): void;
  readonly answerMs: number;
}

/**
 * Stops a command for real on timeout or abort: once its process group is
 * known, `killGroup` TERMs it, waits, then KILLs it (remote-process-group.ts).
 * `forced` gives up on the command's channel or shell when it does not end
 * after that, or when the group was never reported.
 *
 * A channel's close completes only when the host answers it (ssh2 emits
 * `close` on the peer's CHANNEL_CLOSE). On a connection that stopped
 * answering without closing, a command whose group was never reported (it
 * was in flight when the host went quiet) has no kill channel whose answer
 * timeout would drop the connection; it then waited for the keepalive to
 * call the connection dead (45 s by default), with its step `running`
 * meanwhile. `test/integration/jobs/unanswering-host.test.ts` failed that
 * way under load. A close that is not answered within `answerMs` now drops
 * the connection, as an unanswered kill channel does.
 */
export class GroupStopper {
  timedOut = false;
  aborted = false;
  stopping = false;
  private kill: Promise<RemoteCleanup> | undefined;
  private pgid: number | undefined;
  private forceTimer: NodeJS.Timeout | undefined;
  private abandonTimer: NodeJS.Timeout | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly onAbort = (): void => {
    this.aborted = true;
    this.stop();
  };
  private readonly forceEnd = (): void => {
    this.forced.close();
    this.abandonTimer ??= setTimeout(() => this.forced.abandon(), this.forced.answerMs);
  };

  constructor(
    private readonly opts: ExecOptions,
    private readonly killGroup: (pgid: number, graceMs: number) => Promise<boolean>,
    private readonly forced: ForcedEnd,
  ) {
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.stop();
    }, opts.timeoutMs);
    if (opts.signal?.aborted === true) this.onAbort();
    else opts.signal?.addEventListener("abort", this.onAbort, { once: true });
  }

  /** The remote shell reported the command's process group. */
  groupKnown(pgid: number): void {
    this.pgid = pgid;
    if (!this.stopping) return;
    clearTimeout(this.forceTimer);
    this.startKill(pgid);
  }

  /**
   * The command ended (or its channel closed): stops the clocks and resolves
   * to what became of its group. `sawEnd` says whether the command's own end
   * was seen (an exit status or an end marker).
   */
  async finished(sawEnd: boolean): Promise<RemoteCleanup> {
    clearTimeout(this.timer);
    this.opts.signal?.removeEventListener("abort", this.onAbort);
    clearTimeout(this.abandonTimer);
    const cleanup = await (this.kill ?? Promise.resolve<RemoteCleanup>("none"));
    clearTimeout(this.forceTimer);
    clearTimeout(this.abandonTimer);
    // Stopped before the shell reported its group: if it ended anyway nothing is left to kill.
    if (this.stopping && this.kill === undefined) return sawEnd ? "none" : "kill-failed";
    return cleanup;
  }

  private stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    if (this.pgid !== undefined) this.startKill(this.pgid);
    else this.forceTimer = setTimeout(this.forceEnd, GROUP_WAIT_MS);
  }

  private startKill(pgid: number): void {
    this.kill ??= this.killGroup(pgid, this.opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS).then(
      (gone): RemoteCleanup => (gone ? "killed" : "kill-failed"),
      (): RemoteCleanup => "kill-failed",
    );
    void this.kill.then(() => {
      this.forceTimer = setTimeout(this.forceEnd, AFTER_KILL_MS);
    });
  }
}
