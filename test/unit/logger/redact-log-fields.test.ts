import { Writable } from "node:stream";
import { createLogger } from "../../../src/util/logger";
import { REDACTED, redactLogFields, SECRET_LOG_KEYS } from "../../../src/util/redact-log-fields";

const SECRET = "s3cr3t-value-that-must-not-leak";

describe("redactLogFields", () => {
  it("replaces every secret key at the top level and one and two levels down, in objects and arrays", () => {
    for (const key of SECRET_LOG_KEYS) {
      const fields = { [key]: SECRET, a: { [key]: SECRET, b: { [key]: SECRET } }, list: [{ [key]: SECRET }] };
      expect(redactLogFields(fields)).toEqual({ [key]: REDACTED, a: { [key]: REDACTED, b: { [key]: REDACTED } }, list: [{ [key]: REDACTED }] });
    }
  });

  it("stops three levels down, except under err (an HTTP client error's request config)", () => {
    const deep = { a: { b: { c: { token: "left as it is" } } } };
    expect(redactLogFields(deep)).toBe(deep);
    const err = Object.assign(new Error("request failed"), { config: { headers: { Authorization: `Bearer ${SECRET}`, accept: "json" } } });
    const out = redactLogFields({ err });
    expect(out.err).toBeInstanceOf(Error);
    expect(out.err.message).toBe("request failed");
    expect(out.err.stack).toBe(err.stack);
    expect(out.err.config.headers).toEqual({ Authorization: REDACTED, accept: "json" });
  });

  it("copies only the objects on the way to a secret and never changes what it was given", () => {
    const shared = { host: "m0" };
    const fields = { runId: "r1", target: shared, slack: { botToken: SECRET } };
    const out = redactLogFields(fields);
    expect(fields.slack.botToken).toBe(SECRET);
    expect(out.target).toBe(shared);
    expect(out.slack).toEqual({ botToken: REDACTED });
    const clean = { runId: "r1", step: 2, target: shared };
    expect(redactLogFields(clean)).toBe(clean);
  });

  it("replaces read-only and getter properties, and leaves byte buffers and non-objects alone", () => {
    const frozen = Object.freeze({ password: SECRET });
    const getter = Object.defineProperty({}, "secret", { get: () => SECRET, enumerable: true });
    expect(redactLogFields({ frozen, getter })).toEqual({ frozen: { password: REDACTED }, getter: { secret: REDACTED } });
    const bytes = Buffer.from("token");
    expect(redactLogFields({ bytes }).bytes).toBe(bytes);
    expect(redactLogFields("token")).toBe("token");
    expect(redactLogFields(null)).toBeNull();
  });
});

describe("the logger's children", () => {
  it("redact their bindings at every depth of child: a grandchild's and its own line's secrets never reach the output", () => {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk.toString("utf8"));
        done();
      },
    });
    const logger = createLogger({ logLevel: "info" }, stream);
    logger.child({ runId: "r1" }).child({ ssh: { passphrase: SECRET } }).info({ cookie: SECRET }, "grandchild");
    const text = chunks.join("");
    expect(text).not.toContain(SECRET);
    expect(JSON.parse(text) as unknown).toMatchObject({ runId: "r1", ssh: { passphrase: REDACTED }, cookie: REDACTED, msg: "grandchild" });
  });
});
