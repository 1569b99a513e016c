import { SshPool } from "../../../src/ssh";
import { shellJoin } from "../../../src/util/shell-quote";
import { testbedTargets } from "./targets";

describe("exec over a pooled SSH connection", () => {
  const [host2, host3] = testbedTargets();
  let pool: SshPool;
  beforeEach(() => {
    pool = new SshPool();
  });
  afterEach(async () => {
    await pool.close();
  });

  it("returns stdout, stderr and the exit code; a non-zero exit is a result, not an error", async () => {
    const result = await pool.exec(host2!, "echo out; echo err >&2; exit 3", { timeoutMs: 10_000 });
    expect(result).toMatchObject({ code: 3, signal: null, stdout: "out\n", stderr: "err\n", timedOut: false, aborted: false, truncated: false, cleanup: "none" });
    expect(result.stdoutBytes).toBe(4);
    expect(result.stderrBytes).toBe(4);
  });

  it("runs in the login shell with the host's environment", async () => {
    const result = await pool.exec(host3!, shellJoin(["sh", "-c", 'echo "$HOME"']), { timeoutMs: 10_000 });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/host3\/home\n$/);
  });

  it("reports the signal that killed the remote command", async () => {
    const result = await pool.exec(host2!, "kill -USR1 $$", { timeoutMs: 10_000 });
    expect(result.code).toBeNull();
    expect(result.signal).toBe("SIGUSR1");
  });

  it("streams output to the callbacks before the command ends", async () => {
    const seen: Array<{ stream: string; text: string; at: number }> = [];
    const start = Date.now();
    const resultPromise = pool.exec(host2!, "echo first; echo warn >&2; sleep 1; echo last", {
      timeoutMs: 10_000,
      onStdout: (text) => seen.push({ stream: "out", text, at: Date.now() - start }),
      onStderr: (text) => seen.push({ stream: "err", text, at: Date.now() - start }),
    });
    const result = await resultPromise;
    const ended = result.durationMs;
    expect(seen.map((s) => s.text).join("")).toContain("first\n");
    const first = seen.find((s) => s.text.includes("first"))!;
    const warn = seen.find((s) => s.stream === "err")!;
    // The second line arrives a full second later: the first was delivered while the command still ran.
    expect(first.at).toBeLessThan(ended - 500);
    expect(warn.text).toBe("warn\n");
    expect(result.stdout).toBe("first\nlast\n");
  });

  it("a throwing output callback fails only its own exec, after the command ends; the connection and its other commands go on", async () => {
    const other = pool.exec(host2!, "sleep 0.5; echo still here", { timeoutMs: 10_000 });
    let calls = 0;
    const broken = pool.exec(host2!, "echo one; sleep 0.2; echo two; touch /dev/null; echo done >&2", {
      timeoutMs: 10_000,
      onStdout: () => {
        calls++;
        throw new Error("observer bug");
      },
    });
    await expect(broken).rejects.toThrow("observer bug");
    // It got no more text after it threw.
    expect(calls).toBe(1);
    expect(await other).toMatchObject({ code: 0, stdout: "still here\n" });
    expect((await pool.exec(host2!, "echo after", { timeoutMs: 10_000 })).stdout).toBe("after\n");
    expect(pool.stats().connectsTotal).toBe(1);
  });

  it("feeds stdin, then EOF", async () => {
    const result = await pool.exec(host2!, "wc -c; cat", { timeoutMs: 10_000, stdin: "hello" });
    expect(result.stdout.trim()).toBe("5");
    const none = await pool.exec(host2!, "cat; echo done", { timeoutMs: 10_000 });
    expect(none.stdout).toBe("done\n");
  });

  it("keeps the head and the tail of output beyond the cap and says how much was dropped", async () => {
    const result = await pool.exec(host2!, "printf 'HEAD'; head -c 100000 /dev/zero | tr '\\0' x; printf 'TAIL'", {
      timeoutMs: 10_000,
      maxOutputBytes: 1000,
    });
    expect(result.truncated).toBe(true);
    expect(result.stdoutBytes).toBe(100_008);
    expect(result.stdout.startsWith("HEAD")).toBe(true);
    expect(result.stdout.endsWith("TAIL")).toBe(true);
    expect(result.stdout).toContain("[... 99008 bytes omitted ...]");
  });

  it("keeps multi-byte characters whole in streamed text", async () => {
    const chunks: string[] = [];
    const result = await pool.exec(host2!, "for i in 1 2 3 4 5; do printf 'é€😀'; done", { timeoutMs: 10_000, onStdout: (t) => chunks.push(t) });
    expect(chunks.join("")).toBe("é€😀".repeat(5));
    expect(result.stdout).toBe("é€😀".repeat(5));
  });
});
