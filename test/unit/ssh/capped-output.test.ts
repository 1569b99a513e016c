import { CappedOutput } from "../../../src/ssh/capped-output";

describe("CappedOutput", () => {
  it("keeps everything under the cap", () => {
    const out = new CappedOutput(100);
    out.push(Buffer.from("hello "));
    out.push(Buffer.from("world"));
    expect(out.text()).toBe("hello world");
    expect(out.truncated).toBe(false);
    expect(out.bytes).toBe(11);
  });

  it("keeps the first and last halves and says how many bytes were dropped", () => {
    const out = new CappedOutput(10);
    for (const c of "abcdefghijklmnopqrstuvwxyz") out.push(Buffer.from(c));
    expect(out.truncated).toBe(true);
    expect(out.bytes).toBe(26);
    expect(out.text()).toBe("abcde\n[... 16 bytes omitted ...]\nvwxyz");
  });

  it("handles chunks that straddle the head boundary and a huge stream", () => {
    const out = new CappedOutput(8);
    out.push(Buffer.from("HEADxx"));
    for (let i = 0; i < 10_000; i++) out.push(Buffer.alloc(100, "m"));
    out.push(Buffer.from("TAIL"));
    expect(out.text()).toBe(`HEAD\n[... ${6 + 1_000_000 + 4 - 8} bytes omitted ...]\nTAIL`);
  });

  it("is exactly at the cap without truncating", () => {
    const out = new CappedOutput(6);
    out.push(Buffer.from("123456"));
    expect(out.truncated).toBe(false);
    expect(out.text()).toBe("123456");
  });

  it("counts streamed bytes without keeping them", () => {
    const out = new CappedOutput(4);
    out.count(1000);
    expect(out.bytes).toBe(1000);
    expect(out.truncated).toBe(false);
    expect(out.text()).toBe("");
  });
});
