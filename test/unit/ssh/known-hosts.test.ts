import { execFileSync } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { KnownHosts, fingerprintSha256, hashKnownHostName, hostKeyName } from "../../../src/ssh";

function ed25519Blob(): { base64: string; blob: Buffer } {
  const raw = generateKeyPairSync("ed25519").publicKey.export({ format: "der", type: "spki" }).subarray(-32);
  const field = (b: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  const blob = Buffer.concat([field(Buffer.from("ssh-ed25519")), field(raw)]);
  return { base64: blob.toString("base64"), blob };
}

describe("known_hosts", () => {
  const a = ed25519Blob();
  const b = ed25519Blob();
  const c = ed25519Blob();

  it("names non-22 ports in brackets", () => {
    expect(hostKeyName("Db1.Example", 22)).toBe("db1.example");
    expect(hostKeyName("127.0.0.2", 2222)).toBe("[127.0.0.2]:2222");
  });

  it("matches plain entries, comma lists and wildcards, and honours negation", () => {
    const kh = KnownHosts.parse(
      [
        "# comment",
        "",
        `db1,[127.0.0.2]:2222 ssh-ed25519 ${a.base64} comment words`,
        `*.cluster,!bad.cluster ssh-ed25519 ${b.base64}`,
      ].join("\n"),
    );
    expect(kh.verify("db1", 22, a.blob)).toEqual({ ok: true });
    expect(kh.verify("127.0.0.2", 2222, a.blob)).toEqual({ ok: true });
    expect(kh.verify("127.0.0.2", 22, a.blob)).toEqual({ ok: false, reason: "unknown" });
    expect(kh.verify("n1.cluster", 22, b.blob)).toEqual({ ok: true });
    expect(kh.verify("bad.cluster", 22, b.blob)).toEqual({ ok: false, reason: "unknown" });
    expect(kh.verify("db1", 22, b.blob)).toEqual({ ok: false, reason: "mismatch" });
  });

  it("accepts any of several keys pinned for one host", () => {
    const kh = KnownHosts.parse(`h ssh-ed25519 ${a.base64}\nh ssh-ed25519 ${b.base64}\n`);
    expect(kh.lookup("h", 22).keys).toHaveLength(2);
    expect(kh.verify("h", 22, b.blob)).toEqual({ ok: true });
    expect(kh.verify("h", 22, c.blob)).toEqual({ ok: false, reason: "mismatch" });
  });

  it("matches hashed entries by HMAC-SHA1 of the exact name, port included", () => {
    const salt = randomBytes(20);
    const kh = KnownHosts.parse(`${hashKnownHostName("[10.0.0.1]:2222", salt)} ssh-ed25519 ${a.base64}`);
    expect(kh.verify("10.0.0.1", 2222, a.blob)).toEqual({ ok: true });
    expect(kh.verify("10.0.0.1", 2223, a.blob)).toEqual({ ok: false, reason: "unknown" });
    expect(kh.verify("10.0.0.1", 22, a.blob)).toEqual({ ok: false, reason: "unknown" });
  });

  it("refuses @revoked keys even when pinned, and ignores @cert-authority lines", () => {
    const kh = KnownHosts.parse([`h ssh-ed25519 ${a.base64}`, `@revoked other ssh-ed25519 ${a.base64}`, `@cert-authority h ssh-ed25519 ${b.base64}`].join("\n"));
    expect(kh.verify("h", 22, a.blob)).toEqual({ ok: false, reason: "revoked" });
    expect(kh.verify("h", 22, b.blob)).toEqual({ ok: false, reason: "mismatch" });
  });

  it("skips malformed lines and reports their numbers", () => {
    const kh = KnownHosts.parse([`h ssh-ed25519 ${a.base64}`, "h ssh-ed25519", `h ssh-rsa ${a.base64}`, `@bogus h ssh-ed25519 ${a.base64}`, "h ssh-ed25519 !!!"].join("\n"));
    expect(kh.entries).toHaveLength(1);
    expect(kh.invalidLines).toEqual([2, 3, 4, 5]);
  });

  it("prints fingerprints the way ssh-keygen -l does", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-fp-"));
    try {
      fs.writeFileSync(path.join(dir, "key.pub"), `ssh-ed25519 ${a.base64}\n`);
      const printed = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", path.join(dir, "key.pub")], { encoding: "utf8" }).split(" ")[1];
      expect(fingerprintSha256(a.blob)).toBe(printed);
      expect(fingerprintSha256(a.blob)).not.toBe(fingerprintSha256(b.blob));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
