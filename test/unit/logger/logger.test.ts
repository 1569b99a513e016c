import { Writable } from "node:stream";
import { childLogger, createLogger, REDACTED } from "../../../src/util/logger";

const SECRET = "s3cr3t-value-that-must-not-leak";

/** Collects what pino writes, one parsed JSON object per line. */
function capture() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString("utf8"));
      done();
    },
  });
  const text = () => chunks.join("");
  const lines = () =>
    text()
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { stream, text, lines };
}

describe("createLogger", () => {
  it("LOG_FORMAT=pretty writes pino-pretty lines for people, redacted like JSON (issue 14 point 4)", async () => {
    const out = capture();
    const logger = createLogger({ logLevel: "info", logFormat: "pretty", role: "worker" }, out.stream);
    logger.info({ runId: "r1", token: SECRET }, "step started");
    await new Promise((resolve) => setImmediate(resolve));
    const text = out.text();
    expect(text).toMatch(/INFO.*step started/);
    expect(text).toContain("runId: \"r1\"");
    expect(text).toContain(REDACTED);
    expect(text).not.toContain(SECRET);
    expect(() => JSON.parse(text.split("\n")[0] ?? "") as unknown).toThrow();
  });

  it("never writes a secret passed in the redacted fields", () => {
    const out = capture();
    const logger = createLogger({ logLevel: "trace" }, out.stream);
    logger.info(
      {
        token: SECRET,
        password: SECRET,
        slack: { botToken: SECRET, appToken: SECRET, signingSecret: SECRET },
        ssh: { privateKey: SECRET, passphrase: SECRET },
        headers: { authorization: `Bearer ${SECRET}` },
        req: { headers: { authorization: `Bearer ${SECRET}`, cookie: SECRET } },
        config: { slack: { token: SECRET } },
        err: { config: { headers: { Authorization: `Bearer ${SECRET}` } } },
        settings: { redisUrl: `redis://:${SECRET}@127.0.0.1:6379` },
      },
      "starting",
    );
    logger.child({ signingSecret: SECRET }).warn({ run: { password: SECRET } }, "child");

    expect(out.text()).not.toContain(SECRET);
    const [first, second] = out.lines();
    expect(first).toMatchObject({
      msg: "starting",
      token: REDACTED,
      slack: { botToken: REDACTED, appToken: REDACTED, signingSecret: REDACTED },
      headers: { authorization: REDACTED },
      req: { headers: { authorization: REDACTED, cookie: REDACTED } },
      config: { slack: { token: REDACTED } },
    });
    expect(second).toMatchObject({ msg: "child", signingSecret: REDACTED, run: { password: REDACTED } });
  });

  it("logs at the configured level and above, with the process role", () => {
    const out = capture();
    const logger = createLogger({ logLevel: "warn", role: "worker" }, out.stream);
    logger.info("hidden");
    logger.error({ host: "leofs-m0" }, "shown");
    expect(out.lines()).toEqual([expect.objectContaining({ msg: "shown", role: "worker", level: 50, host: "leofs-m0" })]);
  });
});

describe("childLogger", () => {
  it("scopes every line to the run, step and host that are set", () => {
    const out = capture();
    const logger = createLogger({ logLevel: "info" }, out.stream);
    childLogger(logger, { runId: "run-42", step: "backup-mnesia", host: "leofs-m1" }).info("step started");
    childLogger(logger, { runId: "run-43" }).info("run planned");
    const [step, run] = out.lines();
    expect(step).toMatchObject({ runId: "run-42", step: "backup-mnesia", host: "leofs-m1", msg: "step started" });
    expect(run).toMatchObject({ runId: "run-43", msg: "run planned" });
    expect(run).not.toHaveProperty("step");
    expect(run).not.toHaveProperty("host");
  });
});
