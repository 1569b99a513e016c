import { killGroupScript, parseHeader, wrapCommand } from "../../../src/ssh/remote-process-group";

describe("the remote process-group header", () => {
  it("comes first, on its own line, so later syntax errors cannot skip it", () => {
    const wrapped = wrapCommand("echo hi; (");
    expect(wrapped.split("\n")[0]).toContain('"$$"');
    expect(wrapped.endsWith("\necho hi; (")).toBe(true);
  });

  it("gives a command without input /dev/null as stdin (no EOF to send), and leaves a fed command's stdin alone", () => {
    expect(wrapCommand("cat").split("\n").slice(1)).toEqual(["exec </dev/null", "cat"]);
    expect(wrapCommand("cat", { stdin: true }).split("\n").slice(1)).toEqual(["cat"]);
  });

  it("is stripped from stderr, even when it arrives in pieces", () => {
    expect(parseHeader(Buffer.from("\u001eintervene-pg"))).toEqual({ state: "need-more" });
    const found = parseHeader(Buffer.from("\u001eintervene-pgid=4242\nreal stderr"));
    expect(found).toEqual({ state: "found", pgid: 4242, rest: Buffer.from("real stderr") });
  });

  it("finds the header after startup noise and keeps the noise as stderr", () => {
    const parsed = parseHeader(Buffer.from("bashrc: warning\n\u001eintervene-pgid=77\nafter"));
    expect(parsed).toEqual({ state: "found", pgid: 77, rest: Buffer.from("bashrc: warning\nafter") });
  });

  it("gives up looking after 64 KiB of stderr without a header", () => {
    const noise = Buffer.alloc(70 * 1024, "x");
    expect(parseHeader(noise)).toEqual({ state: "absent", rest: noise });
    expect(parseHeader(Buffer.from("short\n"))).toEqual({ state: "need-more" });
  });

  it("never signals init or a nonsense group", () => {
    expect(() => killGroupScript(1, 1000)).toThrow();
    expect(() => killGroupScript(0, 1000)).toThrow();
    expect(() => killGroupScript(Number.NaN, 1000)).toThrow();
    expect(killGroupScript(1234, 1000)).toContain("g=1234");
  });
});
