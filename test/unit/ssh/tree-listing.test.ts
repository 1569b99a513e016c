import { parseTreeListing } from "../../../src/ssh/tree-listing";

const hash = (c: string): string => c.repeat(64);

describe("parseTreeListing", () => {
  it("reads find records and sha256sum lines, including names sha256sum escapes", () => {
    const stdout =
      ["d 755 4096 ", "f 600 3 a b", "d 750 4096 sub", "f 644 0 sub/it's \"q\"", "f 644 1 back\\slash\nnl", ""].join("\0") +
      "\0" +
      [`${hash("a")}  ./a b`, `${hash("b")}  ./sub/it's "q"`, `\\${hash("c")}  ./back\\\\slash\\nnl`, ""].join("\n");
    const listing = parseTreeListing(stdout);
    expect([...listing.entries]).toEqual([
      ["", { type: "d", mode: "755", size: 4096 }],
      ["a b", { type: "f", mode: "600", size: 3 }],
      ["sub", { type: "d", mode: "750", size: 4096 }],
      ["sub/it's \"q\"", { type: "f", mode: "644", size: 0 }],
      ["back\\slash\nnl", { type: "f", mode: "644", size: 1 }],
    ]);
    expect(Object.fromEntries(listing.sha256)).toEqual({ "a b": hash("a"), "sub/it's \"q\"": hash("b"), "back\\slash\nnl": hash("c") });
  });

  it("maps a single file's stdin checksum to the root", () => {
    const listing = parseTreeListing(`f 640 5 \0\0${hash("d")}  -\n`);
    expect(listing.sha256.get("")).toBe(hash("d"));
  });

  it("rejects output it does not understand", () => {
    expect(() => parseTreeListing("no separator")).toThrow(/separator/);
    expect(() => parseTreeListing("f 644 1 x\0\0not a checksum\n")).toThrow(/sha256sum/);
  });
});
