import http from "node:http";
import https from "node:https";
import { stringify } from "node:querystring";
import { webApi } from "@slack/bolt";
import { postForAnswer } from "./post-for-answer";
import type { SlackApi } from "./slack-api";

export interface HttpSlackApiOptions {
  readonly token: string;
  /** Ends with a slash: `https://slack.com/api/`. */
  readonly apiUrl: string;
  /** A call not answered in this time fails as a request error (it may or may not have taken effect). */
  readonly timeoutMs: number;
  /** Connections kept open to Slack at most. @defaultValue 32 */
  readonly maxSockets?: number;
}

/** How long an idle kept-alive connection is kept: under the idle timeouts of Slack's and most proxies' ends. */
const IDLE_SOCKET_MS = 30_000;

/**
 * The bot's own Web API calls (run messages, thread replies, look-ups,
 * uploads) over Node's http client with kept-alive connections, instead of
 * @slack/web-api's `WebClient` (fetch, a request queue, p-retry and debug
 * serialisation on every call): 0.5 ms of CPU per call there against 0.2 here
 * (issue 13: the bot's Slack calls were most of its CPU per step).
 *
 * On the wire it is what `WebClient.apiCall` sends (node_modules/@slack/web-api
 * dist/WebClient.js `makeRequest`, `serializeBody`): a form-encoded POST to
 * `<apiUrl><method>` with the token as a Bearer header, objects as JSON text,
 * undefined and null left out; a 200 whose body says `ok: false` is a
 * platform error. It fails with that package's own error classes, so
 * `classifySlackError` reads them alike:
 * - 429: `WebAPIRateLimitedError` with Retry-After's seconds (1 when absent:
 *   a rate limit without a wait is still a rate limit, not a refusal);
 * - another status than 200: `WebAPIHTTPError`;
 * - no answer, or one cut in its middle (refused, reset, timed out):
 *   `WebAPIRequestError`. WebClient throws fetch's bare `TypeError:
 *   terminated` for a cut answer, which reads as a refusal; the call may
 *   have taken effect, so here it is a request error (tried again, looked up
 *   first where a post may have landed).
 * It never retries: the notifier's caller does, knowing which calls are safe to repeat.
 */
export function createHttpSlackApi(options: HttpSlackApiOptions): SlackApi & Required<Pick<SlackApi, "uploadBytes">> {
  // Joined as WebClient joins them (`${slackApiUrl}${method}`), so a URL that works there works here.
  const urlOf = (method: string): URL => new URL(`${options.apiUrl}${method}`);
  const base = new URL(options.apiUrl);
  const secure = base.protocol === "https:";
  if (!secure && base.protocol !== "http:") throw new Error(`SLACK_API_URL must be http(s): ${options.apiUrl}`);
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 32, timeout: IDLE_SOCKET_MS };
  const agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
  // Upload URLs are on another host (files.slack.com) and may have another scheme than the API's: an agent
  // per scheme, each keeping its connections per host. Made when first needed.
  const uploadAgents = new Map<string, http.Agent>();
  const uploadAgentFor = (protocol: "http:" | "https:"): http.Agent => {
    let made = uploadAgents.get(protocol);
    if (made === undefined) {
      made = protocol === "https:" ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
      uploadAgents.set(protocol, made);
    }
    return made;
  };
  const authorization = `Bearer ${options.token}`;

  return {
    async apiCall(method, args = {}) {
      const body = formBody(args);
      const headers = { authorization, "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body) };
      const { status, statusMessage, headers: answered, text } = await postForAnswer(urlOf(method), { agent, headers, timeoutMs: options.timeoutMs, what: "from Slack" }, body);
      if (status === 429) {
        const seconds = Number(answered["retry-after"]);
        throw new webApi.WebAPIRateLimitedError(Number.isFinite(seconds) && seconds >= 0 ? seconds : 1);
      }
      if (status !== 200) throw new webApi.WebAPIHTTPError(status, statusMessage, headersOf(answered), text);
      let data: Record<string, unknown>;
      try {
        data = JSON.parse(text) as Record<string, unknown>;
      } catch {
        data = { ok: false, error: text };
      }
      if (data.ok !== true) throw new webApi.WebAPIPlatformError({ ...data, ok: false, error: typeof data.error === "string" ? data.error : "unknown_error" });
      return data;
    },

    /**
     * The upload step of Slack's external upload flow (`files.uploadV2` in
     * @slack/web-api, dist/file-upload.js: a POST of the bytes to upload_url,
     * success on a 2xx). Here rather than fetch, which cost about 0.43 ms of
     * CPU per upload against 0.1 over a kept-alive http connection (a local
     * server, 2,000 calls each; issue 13: every run's incident report takes
     * one), and fetch had no timeout of its own. It fails as an API call
     * does: a non-2xx answer is a `WebAPIHTTPError`, no answer a
     * `WebAPIRequestError` (`classifySlackError` tells a 5xx from a 4xx).
     */
    async uploadBytes(url, bytes) {
      const target = new URL(url);
      const protocol = target.protocol;
      if (protocol !== "http:" && protocol !== "https:") throw new Error(`upload_url must be http(s): ${url}`);
      const answer = await postForAnswer(target, { agent: uploadAgentFor(protocol), headers: { "content-length": bytes.length }, timeoutMs: options.timeoutMs, what: "to the file upload" }, bytes);
      if (answer.status < 200 || answer.status >= 300) throw new webApi.WebAPIHTTPError(answer.status, answer.statusMessage, headersOf(answer.headers), answer.text);
    },
  };
}

/** `WebClient.serializeBody`'s form: strings, numbers and booleans as they are, anything else as JSON text. */
export function formBody(args: Record<string, unknown>): string {
  const fields: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(args)) {
    if (value === undefined || value === null) continue;
    fields[key] = typeof value === "string" || typeof value === "number" || typeof value === "boolean" ? value : JSON.stringify(value);
  }
  return stringify(fields);
}

function headersOf(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(", ") : v;
  return out;
}
