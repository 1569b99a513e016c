import { Writable } from "node:stream";
import { coalesceSocketWrites } from "../../../src/jobs/store/coalesce-socket-writes";

/** A writable that records each call the stream makes to its sink: one entry per would-be system call. */
function recordingSink(): { stream: Writable; calls: string[][] } {
  const calls: string[][] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      calls.push([chunk.toString()]);
      done();
    },
    writev(chunks, done) {
      calls.push(chunks.map((c) => (c.chunk as Buffer).toString()));
      done();
    },
  });
  return { stream, calls };
}

const tick = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

describe("coalesceSocketWrites", () => {
  it("hands what one tick wrote to the sink at once, in the order written", async () => {
    const { stream, calls } = recordingSink();
    coalesceSocketWrites(stream);
    stream.write("a");
    stream.write("b");
    stream.write("c");
    expect(calls).toEqual([]);
    await tick();
    expect(calls).toEqual([["a", "b", "c"]]);
  });

  it("does not hold a write back past its tick: what follows an await goes out on its own", async () => {
    const { stream, calls } = recordingSink();
    coalesceSocketWrites(stream);
    stream.write("first");
    await tick();
    stream.write("second");
    await tick();
    expect(calls).toEqual([["first"], ["second"]]);
  });

  it("lets a write made inside a promise chain go before the chain's next link runs (not at the end of the tick)", async () => {
    const { stream, calls } = recordingSink();
    coalesceSocketWrites(stream);
    let seenByNextLink: string[][] = [];
    await Promise.resolve()
      .then(() => {
        stream.write("x");
        stream.write("y");
      })
      .then(() => {
        seenByNextLink = calls.map((c) => [...c]);
      });
    expect(seenByNextLink).toEqual([["x", "y"]]);
  });

  it("is applied once however often it is called, and a write of a destroyed stream is not corked", async () => {
    const { stream, calls } = recordingSink();
    coalesceSocketWrites(stream);
    coalesceSocketWrites(stream);
    stream.write("x");
    stream.write("y");
    await tick();
    expect(calls).toEqual([["x", "y"]]);
    expect(stream.writableCorked).toBe(0);
    stream.destroy();
    stream.on("error", () => undefined);
    stream.write("late");
    expect(stream.writableCorked).toBe(0);
  });
});
