import { createHmac } from "node:crypto";

export interface SignOptions {
  /** Unix seconds; default now. Older than 5 minutes is stale to Bolt. */
  readonly timestamp?: number;
  /** Override the computed signature (to test bad signatures). */
  readonly signature?: string;
  /** Leave the signature headers out. */
  readonly unsigned?: boolean;
  /** Change the body after signing (to test tampering). */
  readonly tamper?: (body: string) => string;
}

export interface PostResult {
  readonly status: number;
  readonly body: string;
  readonly elapsedMs: number;
}

/** Slack's v0 request signature: HMAC-SHA256 of `v0:<timestamp>:<body>` with the signing secret. */
export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
}

export async function postSigned(url: string, secret: string, body: string, options: SignOptions = {}): Promise<PostResult> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = { "Content-Type": "application/x-www-form-urlencoded" };
  if (options.unsigned !== true) {
    headers["X-Slack-Request-Timestamp"] = String(timestamp);
    headers["X-Slack-Signature"] = options.signature ?? slackSignature(secret, timestamp, body);
  }
  const sent = options.tamper === undefined ? body : options.tamper(body);
  const started = performance.now();
  const res = await fetch(url, { method: "POST", headers, body: sent });
  const text = await res.text();
  return { status: res.status, body: text, elapsedMs: performance.now() - started };
}

export interface SlashCommandFields {
  readonly command: string;
  readonly text: string;
  readonly user_id?: string;
  readonly channel_id?: string;
  readonly response_url: string;
  readonly trigger_id?: string;
  /** @defaultValue T0001 */
  readonly team_id?: string;
  /** @defaultValue A123456 */
  readonly api_app_id?: string;
}

/** A slash command's fields as Slack sends them (after payloads/slash-command.doc-example.json), over HTTP or Socket Mode. */
export function slashCommandPayload(fields: SlashCommandFields): Record<string, string> {
  return {
    token: "gIkuvaNzQIHg97ATvDxqgjtO",
    team_id: fields.team_id ?? "T0001",
    team_domain: "example",
    channel_id: fields.channel_id ?? "C0LEOFSPROD",
    channel_name: "leofs-prod",
    user_id: fields.user_id ?? "U0REQUESTER",
    user_name: "steve",
    command: fields.command,
    text: fields.text,
    response_url: fields.response_url,
    trigger_id: fields.trigger_id ?? "13345224609.738474920.8088930838d88f008e0",
    api_app_id: fields.api_app_id ?? "A123456",
  };
}

/** A slash command as Slack posts it over HTTP, form-encoded and signed. */
export function postSlashCommand(eventsUrl: string, secret: string, fields: SlashCommandFields, options: SignOptions = {}): Promise<PostResult> {
  return postSigned(eventsUrl, secret, new URLSearchParams(slashCommandPayload(fields)).toString(), options);
}

/** An interaction (block_actions, view_submission) as Slack posts it: `payload=<json>`, form-encoded, signed. */
export function postInteraction(eventsUrl: string, secret: string, payload: unknown, options: SignOptions = {}): Promise<PostResult> {
  return postSigned(eventsUrl, secret, new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), options);
}

/** An Events API callback (e.g. app_home_opened), JSON, signed. */
export async function postEvent(eventsUrl: string, secret: string, event: Record<string, unknown>): Promise<PostResult> {
  const body = JSON.stringify({ token: "x", team_id: "T0001", api_app_id: "A123456", type: "event_callback", event_id: `Ev${Date.now()}`, event_time: Math.floor(Date.now() / 1000), event });
  const timestamp = Math.floor(Date.now() / 1000);
  const started = performance.now();
  const res = await fetch(eventsUrl, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Slack-Request-Timestamp": String(timestamp), "X-Slack-Signature": slackSignature(secret, timestamp, body) },
    body,
  });
  return { status: res.status, body: await res.text(), elapsedMs: performance.now() - started };
}
