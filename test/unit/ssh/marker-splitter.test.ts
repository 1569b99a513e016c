import { MarkerSplitter, type Segment } from "../../../src/ssh/marker-splitter";

const PREFIX = Buffer.from("\u001etok:", "latin1");

/** Bytes joined between markers, so the result does not depend on where reads split. */
function collect(chunks: Buffer[]): Array<string | { marker: string }> {
  const splitter = new MarkerSplitter(PREFIX);
  const out: Array<string | { marker: string }> = [];
  const add = (s: Segment): void => {
    const last = out[out.length - 1];
    if ("marker" in s) out.push({ marker: s.marker });
    else if (typeof last === "string") out[out.length - 1] = last + s.bytes.toString("latin1");
    else out.push(s.bytes.toString("latin1"));
  };
  for (const chunk of chunks) splitter.push(chunk).forEach(add);
  const rest = splitter.flush();
  if (rest.length > 0) add({ bytes: rest });
  return out;
}

describe("MarkerSplitter", () => {
  const stream = Buffer.from("out\u001e1\n\u001etok:p=12\nmore\u001eto\u001etok:e=0:0\ntail \u001etok", "latin1");
  const expected = ["out\u001e1\n", { marker: "p=12" }, "more\u001eto", { marker: "e=0:0" }, "tail \u001etok"];

  it("finds markers in one read, keeps look-alikes as output, and returns an unfinished marker at the end", () => {
    expect(collect([stream])).toEqual(expected);
  });

  it("gives the same split wherever the reads are cut, including inside a marker", () => {
    for (let i = 1; i < stream.length; i++) {
      for (let j = i; j < stream.length; j++) {
        expect(collect([stream.subarray(0, i), stream.subarray(i, j), stream.subarray(j)])).toEqual(expected);
      }
    }
  });

  it("holds back only what may still become a marker", () => {
    const splitter = new MarkerSplitter(PREFIX);
    expect(splitter.push(Buffer.from("abc\u001et", "latin1"))).toEqual([{ bytes: Buffer.from("abc") }]);
    expect(splitter.push(Buffer.from("x", "latin1"))).toEqual([{ bytes: Buffer.from("\u001etx", "latin1") }]);
    expect(splitter.flush().length).toBe(0);
  });

  it("refuses an empty prefix", () => {
    expect(() => new MarkerSplitter(Buffer.alloc(0))).toThrow(RangeError);
  });
});
