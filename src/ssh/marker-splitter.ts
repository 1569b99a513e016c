/**
 * Splits a byte stream at marker lines: `prefix` + text + "\n". The bytes
 * between markers come out as they arrive, except a tail that may be the
 * start of a marker split across two reads; that tail is held until the
 * next read says which it is. Used on a long-lived remote shell's stdout and
 * stderr, where a random per-command prefix marks where a command's output
 * ends (the command cannot print a prefix it does not know).
 */
export type Segment = { readonly bytes: Buffer } | { readonly marker: string };

export class MarkerSplitter {
  private held: Buffer = Buffer.alloc(0);

  constructor(private readonly prefix: Buffer) {
    if (prefix.length === 0) throw new RangeError("a marker prefix cannot be empty");
  }

  push(chunk: Buffer): Segment[] {
    let buf = this.held.length > 0 ? Buffer.concat([this.held, chunk]) : chunk;
    const out: Segment[] = [];
    const emit = (bytes: Buffer): void => {
      if (bytes.length > 0) out.push({ bytes });
    };
    for (;;) {
      const at = buf.indexOf(this.prefix);
      if (at < 0) {
        const keep = this.partialPrefixAt(buf);
        emit(buf.subarray(0, keep));
        this.held = buf.subarray(keep);
        return out;
      }
      const newline = buf.indexOf(0x0a, at + this.prefix.length);
      emit(buf.subarray(0, at));
      if (newline < 0) {
        this.held = buf.subarray(at);
        return out;
      }
      out.push({ marker: buf.toString("latin1", at + this.prefix.length, newline) });
      buf = buf.subarray(newline + 1);
    }
  }

  /** What is held back at the stream's end: it was output after all. */
  flush(): Buffer {
    const rest = this.held;
    this.held = Buffer.alloc(0);
    return rest;
  }

  /** Index where a proper prefix of the marker starts at the end of `buf`, or buf.length. */
  private partialPrefixAt(buf: Buffer): number {
    for (let k = Math.max(0, buf.length - this.prefix.length + 1); k < buf.length; k++) {
      if (buf[k] === this.prefix[0] && buf.subarray(k).equals(this.prefix.subarray(0, buf.length - k))) return k;
    }
    return buf.length;
  }
}
