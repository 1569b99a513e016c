import { boltLogger } from "../../../src/bot/bolt-logger";
import { createLogger } from "../../../src/util/logger";

/** Issue 12 point 11: Bolt's and web-api's text log lines go through the secret patterns too. */
describe("the Bolt logger", () => {
  it("redacts tokens and Authorization headers that Bolt's debug lines quote as text", () => {
    const lines: string[] = [];
    const logger = createLogger({ logLevel: "debug" }, { write: (line: string) => void lines.push(line) });
    const token = ["xoxb", "123456789012", "abcdefABCDEF123456"].join("-");
    const bolt = boltLogger(logger);
    bolt.debug("http request headers", `Authorization: Bearer ${token}`);
    bolt.warn({ url: "https://slack.com/api/chat.postMessage", body: `token=${token}` });
    const text = lines.join("");
    expect(text).not.toContain(token);
    expect(text).toContain("Authorization: [redacted]");
    expect(text).toContain("token=[redacted]");
  });
});
