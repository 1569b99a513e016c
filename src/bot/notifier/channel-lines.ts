import type { Clock } from "./clock";

/** A task holding a line frees it with `release` as soon as its post is answered, or when it ends. */
export type LineTask = (release: () => void) => Promise<void>;

interface Line {
  readonly waiting: LineTask[];
  busy: boolean;
}

/**
 * Slack takes about one new message a second per channel. Each channel has
 * one line: its tasks run one at a time, each `intervalMs` after the previous
 * post was answered (spacing counted from the answer, not the request, keeps
 * them apart when they reach Slack too). A task waiting in a line is one
 * closure, not a suspended call: when the line was a promise chain entered
 * from inside each run's post, a backlog of thousands of runs (runs finishing
 * faster than Slack takes posts, `npm run bench -- --soak`) held five async
 * frames and a rendered message per run.
 */
export class ChannelLines {
  private readonly lines = new Map<string, Line>();
  private readonly lastPostDone = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
  ) {}

  /**
   * Runs `task` at its turn in `channel`'s line, or at once without a channel.
   * The line is the task's until it calls `release` (after its post: what it
   * does next, such as saving the message's ref in Redis, holds no other
   * run's post) or ends. `task` must not reject.
   */
  join(channel: string | undefined, task: LineTask): void {
    if (channel === undefined) {
      void task(() => undefined);
      return;
    }
    let line = this.lines.get(channel);
    if (line === undefined) {
      line = { waiting: [], busy: false };
      this.lines.set(channel, line);
    }
    line.waiting.push(task);
    this.pump(channel, line);
  }

  /**
   * Resolves at this caller's turn in `channel`'s line with the release to call
   * once its post is answered. For the rare post outside a task that holds
   * the line (a second post in one piece of work): a suspended call, which a
   * task waiting in the line is not.
   */
  turn(channel: string): Promise<() => void> {
    return new Promise((resolve) => {
      this.join(channel, (release) => new Promise<void>((done) => resolve(() => (release(), done()))));
    });
  }

  /** A post to `channel` was answered (or failed for good): the next one waits a full interval from now. */
  posted(channel: string): void {
    this.lastPostDone.set(channel, this.clock.now());
  }

  private pump(channel: string, line: Line): void {
    if (line.busy) return;
    if (line.waiting.length === 0) {
      this.lines.delete(channel);
      return;
    }
    line.busy = true;
    const go = (): void => {
      const task = line.waiting.shift()!;
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        line.busy = false;
        this.pump(channel, line);
      };
      void task(release).finally(release);
    };
    const wait = (this.lastPostDone.get(channel) ?? Number.NEGATIVE_INFINITY) + this.intervalMs - this.clock.now();
    if (wait > 0) this.clock.setTimeout(go, wait);
    else go();
  }
}
