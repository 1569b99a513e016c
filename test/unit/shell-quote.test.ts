import { execFileSync } from "node:child_process";
import fc from "fast-check";
import { UnquotableError, shellJoin, shellQuote } from "../../src/util/shell-quote";

describe("shellQuote", () => {
  it("refuses NUL instead of truncating the word", () => {
    expect(() => shellQuote("rm\0 -rf /")).toThrow(UnquotableError);
    expect(() => shellJoin(["ok", "\0"])).toThrow(UnquotableError);
  });

  it("quotes the empty string as an empty word", () => {
    expect(shellQuote("")).toBe("''");
  });

  it("leaves plain words readable", () => {
    expect(shellQuote("/var/lib/leofs/work/mnesia")).toBe("/var/lib/leofs/work/mnesia");
    expect(shellQuote("manager_0@127.0.0.1")).toBe("manager_0@127.0.0.1");
    expect(shellQuote("--force")).toBe("--force");
  });

  it("single-quotes anything the shell would interpret", () => {
    expect(shellQuote("a b")).toBe("'a b'");
    expect(shellQuote("$(reboot)")).toBe("'$(reboot)'");
    expect(shellQuote("`id`")).toBe("'`id`'");
    expect(shellQuote("*")).toBe("'*'");
    expect(shellQuote("~root")).toBe("'~root'");
    expect(shellQuote("a\nb")).toBe("'a\nb'");
    expect(shellQuote("back\\slash")).toBe("'back\\slash'");
  });

  it("closes, escapes and reopens around a single quote", () => {
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote("'")).toBe("''\\'''");
    expect(shellQuote('say "hi"')).toBe("'say \"hi\"'");
  });

  it("joins argv into words", () => {
    expect(shellJoin(["leofs-adm", "recover-node", "storage 1@x"])).toBe("leofs-adm recover-node 'storage 1@x'");
    expect(shellJoin([])).toBe("");
  });

  it("round-trips any NUL-free string through a local POSIX sh (dash) and bash", () => {
    const arb = fc.string({ unit: "grapheme", maxLength: 30 }).filter((s) => !s.includes("\0"));
    const samples = fc.sample(fc.array(arb, { minLength: 1, maxLength: 40 }), 5).flat();
    for (const shell of ["sh", "bash"]) {
      const out = execFileSync(shell, ["-c", `printf '%s\\0' ${samples.map(shellQuote).join(" ")}`], { encoding: "utf8" });
      expect(out.split("\0").slice(0, -1)).toEqual(samples);
    }
  });
});
