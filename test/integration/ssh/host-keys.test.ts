import { execFileSync } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { HostKeyError, SshPool, hashKnownHostName, type SshTarget } from "../../../src/ssh";
import { getTestbed } from "../../helpers/testbed";
import { testbedTargets } from "./targets";

/** A well-formed ed25519 host key that is not the host's. */
function strangerKeyBase64(): string {
  const { publicKey } = generateKeyPairSync("ed25519");
  const raw = publicKey.export({ format: "der", type: "spki" }).subarray(-32);
  const field = (b: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return Buffer.concat([field(Buffer.from("ssh-ed25519")), field(raw)]).toString("base64");
}

describe("host keys are pinned by known_hosts", () => {
  const testbed = getTestbed();
  const [host2] = testbedTargets();
  const host = testbed.hosts[0]!;
  const [keyType, keyBase64] = host.hostPublicKey.split(" ") as [string, string];
  const name = `[${host.address}]:${host.port}`;
  const offeredFingerprint = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", path.join(host.dir, "ssh_host_ed25519_key.pub")], { encoding: "utf8" }).split(" ")[1]!;
  let dir: string;
  let pool: SshPool;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-known-hosts-"));
    pool = new SshPool();
  });
  afterEach(async () => {
    await pool.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function withKnownHosts(lines: string[]): SshTarget {
    const file = path.join(dir, "known_hosts");
    fs.writeFileSync(file, `${lines.join("\n")}\n`);
    return { ...host2!, knownHostsPath: file };
  }

  async function refusal(target: SshTarget): Promise<HostKeyError> {
    const error: unknown = await pool.exec(target, "true", { timeoutMs: 5000 }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(HostKeyError);
    return error as HostKeyError;
  }

  it("refuses a host whose key differs from the pinned one, naming the host and the offered fingerprint", async () => {
    const err = await refusal(withKnownHosts([`${name} ssh-ed25519 ${strangerKeyBase64()}`]));
    expect(err).toMatchObject({ reason: "mismatch", host: host.address, port: host.port, offeredFingerprint, retryable: false });
    expect(err.message).toContain(host.address);
    expect(err.message).toContain(offeredFingerprint);
    expect(pool.stats().openConnections).toBe(0);
  });

  it("refuses a host that known_hosts does not list", async () => {
    const others = testbed.hosts.slice(1).map((h) => `[${h.address}]:${h.port} ${h.hostPublicKey}`);
    const err = await refusal(withKnownHosts(["# only the other hosts", "", ...others]));
    expect(err).toMatchObject({ reason: "unknown", offeredFingerprint });
  });

  it("does not take the port-22 entry for a host on another port", async () => {
    const err = await refusal(withKnownHosts([`${host.address} ${keyType} ${keyBase64}`]));
    expect(err.reason).toBe("unknown");
  });

  it("refuses a key marked @revoked even when it is also pinned", async () => {
    const err = await refusal(withKnownHosts([`${name} ${keyType} ${keyBase64}`, `@revoked * ${keyType} ${keyBase64}`]));
    expect(err.reason).toBe("revoked");
  });

  it("accepts a matching hashed entry and refuses one hashed for another port", async () => {
    const salt = randomBytes(20);
    const ok = withKnownHosts([`${hashKnownHostName(name, salt)} ${keyType} ${keyBase64}`]);
    expect((await pool.exec(ok, "echo ok", { timeoutMs: 5000 })).stdout).toBe("ok\n");
    await pool.close();
    pool = new SshPool();
    const wrongPort = withKnownHosts([`${hashKnownHostName(`[${host.address}]:${host.port + 1}`, salt)} ${keyType} ${keyBase64}`]);
    expect((await refusal(wrongPort)).reason).toBe("unknown");
  });

  it("reads a file hashed by ssh-keygen -H", async () => {
    const file = path.join(dir, "known_hosts");
    fs.copyFileSync(testbed.knownHostsPath, file);
    execFileSync("ssh-keygen", ["-q", "-H", "-f", file], { stdio: "ignore" });
    expect(fs.readFileSync(file, "utf8")).toMatch(/^\|1\|/);
    const result = await pool.exec({ ...host2!, knownHostsPath: file }, "echo hashed", { timeoutMs: 5000 });
    expect(result.stdout).toBe("hashed\n");
  });

  it("accepts the host in a comma list, among several keys for it", async () => {
    const target = withKnownHosts([
      `other.example,${name} ssh-ed25519 ${strangerKeyBase64()}`,
      `other.example,${name} ${keyType} ${keyBase64} pinned by the test`,
    ]);
    expect((await pool.exec(target, "echo listed", { timeoutMs: 5000 })).stdout).toBe("listed\n");
  });
});
