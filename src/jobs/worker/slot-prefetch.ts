/** Gives an SSH slot back. */
export type SlotRelease = () => Promise<void>;

/**
 * The SSH slots of a step's targets, each asked for `lanes` targets ahead
 * of its turn (issue 13).
 *
 * A target's slot is a Redis round trip (the host semaphore), and a lane of
 * a step waited for it before each command. On the bench's 2 busy cores that
 * wait was 4 to 11 ms a target (median; marks in the worker over a 100-host
 * step, 20 at a time), five times per lane: the whole of the engine's
 * fan-out time over raw execs. Asking while the targets before it run hides
 * it.
 *
 * A slot asked for early is a real slot of the host's semaphore, so a host
 * never runs more commands at once than its limit; the price is that a step
 * holds up to `lanes` slots more than it runs, each for at most one command's
 * time. A target whose host also appears among the `2 x lanes` targets before
 * it is asked for at its turn, as before: its ask then follows the release of
 * that host's earlier slot on the same connection, where an early ask could
 * find a host with a limit of 1 full and poll. Slots asked for and never
 * taken (the step stopped at a failure, or was aborted) are given back by
 * `releaseUnused`.
 */
export class SlotPrefetch {
  private readonly asked = new Map<number, Promise<SlotRelease>>();
  private readonly taken = new Set<number>();
  private readonly lanes: number;
  private closed = false;

  /**
   * `hosts[i]` is target i's host, in the order the step takes its targets;
   * `ask` asks for one slot (it may wait for a free one). The first `lanes`
   * targets are asked for now (they start now), the next `lanes` ahead.
   */
  constructor(
    private readonly hosts: readonly string[],
    lanes: number,
    private readonly ask: (host: string) => Promise<SlotRelease>,
  ) {
    this.lanes = Math.max(1, lanes);
    for (let i = 0; i < Math.min(hosts.length, this.lanes); i++) void this.start(i);
    for (let i = this.lanes; i < 2 * this.lanes; i++) this.ahead(i);
  }

  /** Target `index`'s slot (asked for now if it was not yet), and the early ask of the target `lanes` after it. */
  take(index: number): Promise<SlotRelease> {
    if (this.closed) throw new Error("the step's unused slots were already given back");
    if (this.taken.has(index)) throw new Error(`the slot of target ${index} was taken twice`);
    if (index < 0 || index >= this.hosts.length) throw new RangeError(`no target ${index}`);
    this.taken.add(index);
    const slot = this.asked.get(index) ?? this.start(index);
    this.ahead(index + this.lanes);
    return slot;
  }

  /** Gives back every slot asked for and not taken; later `take`s are refused. */
  releaseUnused(): void {
    this.closed = true;
    for (const [index, slot] of this.asked) {
      if (this.taken.has(index)) continue;
      this.taken.add(index);
      void slot.then((release) => release()).catch(() => undefined);
    }
  }

  private ahead(index: number): void {
    if (index >= this.hosts.length || this.asked.has(index)) return;
    const host = this.hosts[index]!;
    for (let i = Math.max(0, index - 2 * this.lanes); i < index; i++) if (this.hosts[i] === host) return;
    void this.start(index);
  }

  private start(index: number): Promise<SlotRelease> {
    const slot = this.ask(this.hosts[index]!);
    // Awaited by its target, or given back unused; a failed ask is that target's to report.
    slot.catch(() => undefined);
    this.asked.set(index, slot);
    return slot;
  }
}
