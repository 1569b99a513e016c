import { createHmac } from "node:crypto";

/**
 * Slack's v0 request signature: HMAC-SHA256 of `v0:<timestamp>:<body>` with
 * the signing secret. The console signs what it sends to the bot exactly as
 * Slack does, so the bot's verification is the real one.
 */
export function slackSignatureHeaders(signingSecret: string, body: string, nowSeconds = Math.floor(Date.now() / 1000)): Record<string, string> {
  const signature = `v0=${createHmac("sha256", signingSecret).update(`v0:${nowSeconds}:${body}`).digest("hex")}`;
  return { "X-Slack-Request-Timestamp": String(nowSeconds), "X-Slack-Signature": signature };
}
