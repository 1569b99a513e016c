/**
 * Collects a stream's bytes up to a cap, keeping the head and the tail: a
 * command's first lines say what it did, its last lines why it stopped.
 */
export class CappedOutput {
  private readonly head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private collected = 0;
  private total = 0;
  private readonly headCap: number;
  private readonly tailCap: number;

  constructor(maxBytes: number) {
    this.headCap = Math.ceil(maxBytes / 2);
    this.tailCap = Math.floor(maxBytes / 2);
  }

  push(chunk: Buffer): void {
    this.total += chunk.length;
    this.collected += chunk.length;
    let rest = chunk;
    if (this.headBytes < this.headCap) {
      const take = Math.min(this.headCap - this.headBytes, rest.length);
      this.head.push(rest.subarray(0, take));
      this.headBytes += take;
      rest = rest.subarray(take);
    }
    if (rest.length === 0) return;
    this.tail.push(rest);
    this.tailBytes += rest.length;
    // Compact lazily so a stream of small chunks costs O(n), not O(n * cap).
    if (this.tailBytes > 2 * this.tailCap + 64 * 1024) this.compactTail();
  }

  /** Counts bytes that were streamed elsewhere (stdoutTo): neither kept nor reported as dropped. */
  count(bytes: number): void {
    this.total += bytes;
  }

  /** Bytes the stream produced, kept or not. */
  get bytes(): number {
    return this.total;
  }

  get truncated(): boolean {
    return this.collected > this.headCap + this.tailCap;
  }

  text(): string {
    this.compactTail();
    const head = Buffer.concat(this.head);
    const tail = Buffer.concat(this.tail);
    const dropped = this.collected - head.length - tail.length;
    if (dropped === 0) return Buffer.concat([head, tail]).toString("utf8");
    return `${head.toString("utf8")}\n[... ${dropped} bytes omitted ...]\n${tail.toString("utf8")}`;
  }

  private compactTail(): void {
    if (this.tailBytes <= this.tailCap) return;
    const all = Buffer.concat(this.tail);
    const keptTail = Buffer.from(all.subarray(all.length - this.tailCap));
    this.tail = [keptTail];
    this.tailBytes = keptTail.length;
  }
}
