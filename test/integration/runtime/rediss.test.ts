import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startRedisServer, type RedisServerHandle } from "../../../sim/process/redis-server";
import { requireBinary } from "../../../sim/process/require-binary";

jest.setTimeout(60_000);

const ROOT = path.resolve(__dirname, "..", "..", "..");

/**
 * Issue 12 point 4: `rediss://` works. A private redis-server that speaks only
 * TLS, with a certificate from a private CA; the product's own connection
 * (`openRedis`) reaches it when the CA is added with NODE_EXTRA_CA_CERTS, as
 * the README says, and refuses it when the CA is unknown (the server
 * certificate is verified, not skipped).
 */
describe("Redis over TLS (rediss://)", () => {
  let dir: string;
  let redis: RedisServerHandle;

  beforeAll(async () => {
    const openssl = requireBinary("openssl", "openssl");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-tls-"));
    const f = (name: string) => path.join(dir, name);
    const run = (...args: string[]) => execFileSync(openssl, args, { stdio: "pipe" });
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f("ca.key"), "-out", f("ca.pem"), "-days", "2", "-subj", "/CN=intervene test CA");
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f("server.key"), "-out", f("server.csr"), "-subj", "/CN=127.0.0.1");
    fs.writeFileSync(f("san.ext"), "subjectAltName=IP:127.0.0.1\n");
    run("x509", "-req", "-in", f("server.csr"), "-CA", f("ca.pem"), "-CAkey", f("ca.key"), "-CAcreateserial", "-out", f("server.pem"), "-days", "2", "-extfile", f("san.ext"));
    redis = await startRedisServer({ appendonly: false, tls: { certFile: f("server.pem"), keyFile: f("server.key"), caFile: f("ca.pem") } });
  });
  afterAll(async () => {
    await redis?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The product's connection in a fresh process (NODE_EXTRA_CA_CERTS is read at start): SET, GET, answer. */
  const connect = (extraCa: string | undefined) =>
    spawnSync(
      process.execPath,
      [
        "-r",
        "ts-node/register/transpile-only",
        "-e",
        `const { openRedis } = require("./src/jobs/store/redis-connection");
         const r = openRedis(process.env.URL, "rediss-test");
         let lastError = "";
         r.on("error", (e) => { lastError = e.message; });
         r.set("intervene-tls", "ok").then(() => r.get("intervene-tls")).then((v) => { console.log("got " + v); r.disconnect(); },
           (e) => { console.log("failed " + e.message); r.disconnect(); process.exit(3); });
         setTimeout(() => { console.log("failed: " + lastError); process.exit(4); }, 4000).unref();`,
      ],
      { cwd: ROOT, env: { ...process.env, URL: redis.url, ...(extraCa !== undefined ? { NODE_EXTRA_CA_CERTS: extraCa } : { NODE_EXTRA_CA_CERTS: "" }) }, encoding: "utf8", timeout: 30_000 },
    );

  it("connects with rediss:// when the private CA is trusted, and verifies the server certificate otherwise", () => {
    expect(redis.url).toMatch(/^rediss:\/\/127\.0\.0\.1:\d+$/);
    const trusted = connect(path.join(dir, "ca.pem"));
    expect(trusted.stdout.trim()).toBe("got ok");
    const untrusted = connect(undefined);
    expect(untrusted.status).not.toBe(0);
    expect(untrusted.stdout).not.toContain("got ok");
    expect(untrusted.stdout).toMatch(/failed: .*certificate/i);
  });
});
