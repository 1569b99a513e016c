/**
 * Coalesces a command's output chunks before they are published: ssh2 hands
 * over output in small pieces, and one Redis message per piece (parsed by
 * every bot process) is work on the hot path for nothing; the notifier only
 * keeps a live tail. Chunks go out at most every `intervalMs`, or sooner once
 * `maxChars` are waiting, and `flush()` sends the rest when the command ends.
 */
export class OutputBatcher {
  private pending = "";
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly send: (chunk: string) => void,
    private readonly intervalMs = 100,
    private readonly maxChars = 16_384,
  ) {}

  push(chunk: string): void {
    this.pending += chunk;
    if (this.pending.length >= this.maxChars) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }

  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending === "") return;
    const chunk = this.pending;
    this.pending = "";
    this.send(chunk);
  }
}
