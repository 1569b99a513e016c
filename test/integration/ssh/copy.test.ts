import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CopyError, CopyVerificationError, SshPool } from "../../../src/ssh";
import { testbedTargets } from "./targets";

jest.setTimeout(60_000);

interface LocalFile {
  sha256: string;
  mode: number;
}

/** sha256 and permission bits of every regular file, and modes of directories, as this process sees them. */
function snapshot(root: string): { files: Record<string, LocalFile>; dirs: Record<string, number> } {
  const files: Record<string, LocalFile> = {};
  const dirs: Record<string, number> = { "": fs.statSync(root).mode & 0o7777 };
  for (const entry of fs.readdirSync(root, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    const rel = path.relative(root, full);
    const mode = fs.statSync(full).mode & 0o7777;
    if (entry.isDirectory()) dirs[rel] = mode;
    else files[rel] = { sha256: crypto.createHash("sha256").update(fs.readFileSync(full)).digest("hex"), mode };
  }
  return { files, dirs };
}

/** 1,000 files in nested directories, with varied modes and awkward names. */
function buildTree(root: string): void {
  fs.mkdirSync(root, { recursive: true });
  const modes = [0o644, 0o600, 0o755, 0o640, 0o700];
  let n = 0;
  for (let d = 0; d < 10; d++) {
    const dir = path.join(root, `d${d}`, d % 2 === 0 ? "nested/deeper" : "flat");
    fs.mkdirSync(dir, { recursive: true });
    for (let f = 0; f < 100; f++, n++) {
      const file = path.join(dir, `f${f}.dat`);
      fs.writeFileSync(file, crypto.randomBytes((n * 37) % 5000));
      fs.chmodSync(file, modes[n % modes.length]!);
    }
  }
  fs.writeFileSync(path.join(root, `it's a "file" with spaces $(x) \`y\`.txt`), "awkward name\n");
  fs.writeFileSync(path.join(root, "empty"), "");
  fs.writeFileSync(path.join(root, "back\\slash\nnewline"), "escaped by sha256sum\n");
  fs.mkdirSync(path.join(root, "Mnesia.leofs@127.0.0.1"));
  fs.writeFileSync(path.join(root, "Mnesia.leofs@127.0.0.1", ".keep"), "");
  fs.chmodSync(path.join(root, "d3"), 0o750);
  fs.chmodSync(root, 0o711);
  const big = path.join(root, "DECISION_TAB.LOG");
  fs.writeFileSync(big, crypto.randomBytes(3 * 1024 * 1024));
  fs.chmodSync(big, 0o600);
}

describe("host-to-host copy", () => {
  const [host2, host3] = testbedTargets();
  let pool: SshPool;
  let dir: string;
  beforeEach(() => {
    pool = new SshPool();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-ssh-copy-"));
  });
  afterEach(async () => {
    await pool.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("copies a 1,000-file tree from 127.0.0.2 to 127.0.0.3 with identical contents and modes", async () => {
    const source = path.join(dir, "from", "mnesia");
    buildTree(source);
    const destination = path.join(dir, "to", "new dir", "mnesia");

    const result = await pool.copy(host2!, source, host3!, destination, { timeoutMs: 50_000 });

    const want = snapshot(source);
    const got = snapshot(destination);
    expect(Object.keys(want.files).length).toBeGreaterThanOrEqual(1000);
    expect(got).toEqual(want);
    expect(result.kind).toBe("directory");
    expect(result.files).toBe(Object.keys(want.files).length);
    expect(result.checksums).toEqual(Object.fromEntries(Object.entries(want.files).map(([rel, f]) => [rel, f.sha256])));
    const totalBytes = Object.keys(want.files).reduce((n, rel) => n + fs.statSync(path.join(source, rel)).size, 0);
    expect(result.bytes).toBe(totalBytes);
    expect(result.streamedBytes).toBeGreaterThan(totalBytes);
    expect(got.files["empty"]).toEqual({ sha256: crypto.createHash("sha256").update("").digest("hex"), mode: want.files["empty"]!.mode });
    // Nothing was staged on either host: only the source and the destination trees exist under the test dir.
    expect(fs.readdirSync(dir).sort()).toEqual(["from", "to"]);
    expect(fs.readdirSync(path.join(dir, "to"))).toEqual(["new dir"]);
  });

  it("copies a single file to a new name, keeping its mode", async () => {
    const source = path.join(dir, "a file's name");
    fs.writeFileSync(source, crypto.randomBytes(100_000));
    fs.chmodSync(source, 0o640);
    const destination = path.join(dir, "out", "renamed");
    const result = await pool.copy(host3!, source, host2!, destination, { timeoutMs: 20_000 });
    expect(fs.readFileSync(destination)).toEqual(fs.readFileSync(source));
    expect(fs.statSync(destination).mode & 0o777).toBe(0o640);
    expect(result).toMatchObject({ kind: "file", files: 1, bytes: 100_000 });
    expect(result.checksums).toEqual({ "a file's name": crypto.createHash("sha256").update(fs.readFileSync(source)).digest("hex") });
  });

  it("refuses to call a destination with extra files a faithful copy", async () => {
    const source = path.join(dir, "src");
    fs.mkdirSync(source);
    fs.writeFileSync(path.join(source, "a"), "a");
    const destination = path.join(dir, "dst");
    fs.mkdirSync(destination);
    fs.writeFileSync(path.join(destination, "stale"), "left over");
    const error: unknown = await pool.copy(host2!, source, host3!, destination, { timeoutMs: 20_000 }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(CopyVerificationError);
    expect((error as CopyVerificationError).differing).toEqual([{ path: "stale", problem: "extra" }]);
    expect((error as CopyVerificationError).retryable).toBe(false);
    const allowed = await pool.copy(host2!, source, host3!, destination, { timeoutMs: 20_000, allowExtraFiles: true });
    expect(allowed.checksums).toEqual({ a: crypto.createHash("sha256").update("a").digest("hex") });
  });

  it("fails with CopyError when the source is missing or the destination is not writable", async () => {
    await expect(pool.copy(host2!, path.join(dir, "nope"), host3!, path.join(dir, "x"), { timeoutMs: 10_000 })).rejects.toBeInstanceOf(CopyError);
    const source = path.join(dir, "src");
    fs.mkdirSync(source);
    fs.writeFileSync(path.join(source, "a"), "a");
    fs.writeFileSync(path.join(dir, "a-file"), "not a directory");
    const error: unknown = await pool.copy(host2!, source, host3!, path.join(dir, "a-file", "sub"), { timeoutMs: 10_000 }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(CopyError);
    expect((error as Error).message).toMatch(/receiving side exited/);
    // The pool is not wedged by the failed transfer.
    expect((await pool.exec(host2!, "echo fine", { timeoutMs: 5000 })).stdout).toBe("fine\n");
    expect(pool.stats().busyChannels).toBe(0);
  });

  it("agrees with sha256sum run locally", async () => {
    const source = path.join(dir, "s");
    fs.mkdirSync(source);
    fs.writeFileSync(path.join(source, "x"), "hello\n");
    const result = await pool.copy(host2!, source, host3!, path.join(dir, "d"), { timeoutMs: 10_000 });
    const local = execFileSync("sha256sum", [path.join(source, "x")], { encoding: "utf8" }).split(" ")[0];
    expect(result.checksums).toEqual({ x: local });
  });
});
