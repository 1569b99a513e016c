import http from "node:http";
import type { AddressInfo } from "node:net";
import { webApi } from "@slack/bolt";
import { createHttpSlackApi } from "../../../src/bot/notifier/http-slack-api";
import { classifySlackError, type SlackApi } from "../../../src/bot/notifier/slack-api";

interface Seen {
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  readonly port: number | undefined;
}

/**
 * The bot's lean Web API client (issue 13) against @slack/web-api's
 * WebClient, both pointed at one local server: the same request on the wire,
 * and every kind of failure classified alike by classifySlackError.
 */
describe("the bot's HTTP Web API client, beside WebClient", () => {
  let server: http.Server;
  let apiUrl: string;
  const seen: Seen[] = [];
  let lean: SlackApi;
  let reference: SlackApi;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString("utf8")));
      req.on("end", () => {
        seen.push({ url: req.url ?? "", headers: req.headers, body, port: req.socket.remotePort });
        if (req.url === "/upload/ok") {
          res.writeHead(200, { "content-type": "text/plain" });
          res.end(`OK - ${Buffer.byteLength(body)}`);
          return;
        }
        if (req.url === "/upload/gone") {
          res.writeHead(404, { "content-type": "text/plain" });
          res.end("not found");
          return;
        }
        if (req.url === "/upload/silent") return;
        const method = (req.url ?? "").replace(/^\/api\//, "");
        const json = (status: number, data: unknown, headers: Record<string, string> = {}): void => {
          res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
          res.end(JSON.stringify(data));
        };
        if (method === "chat.postMessage") json(200, { ok: true, channel: "C1", ts: "1700000000.000100" });
        else if (method === "refused") json(200, { ok: false, error: "channel_not_found" });
        else if (method === "limited") json(429, { ok: false, error: "ratelimited" }, { "retry-after": "7" });
        else if (method === "broken") json(503, { ok: false });
        else if (method === "garbled") {
          res.writeHead(200, { "content-type": "text/html" });
          res.end("<html>gateway</html>");
        } else if (method === "cut") {
          // The answer's head and part of its body, then the connection drops.
          res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": "100" });
          res.write('{"ok":tr');
          setTimeout(() => res.socket?.destroy(), 20);
        } else if (method === "silent") {
          // Never answers: the client's timeout ends the call.
        } else json(404, { ok: false, error: "unknown_method" });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
    lean = createHttpSlackApi({ token: "xoxb-fake", apiUrl, timeoutMs: 300 });
    const client = new webApi.WebClient("xoxb-fake", { slackApiUrl: apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, timeout: 300 });
    reference = { apiCall: async (method, args) => (await client.apiCall(method, args)) as unknown as Record<string, unknown> };
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const args = {
    channel: "C1",
    text: "run r1: succeeded & done = 100%",
    blocks: [{ type: "section", text: { type: "mrkdwn", text: "*step 1* on `h00`" } }],
    unfurl_links: false,
    metadata: { event_type: "intervene_message", event_payload: { run_id: "r1", key: "run" } },
    thread_ts: undefined,
    limit: 100,
  };

  it("sends what WebClient sends: the same form body, content type and Bearer token, to <apiUrl><method>", async () => {
    seen.length = 0;
    expect(await lean.apiCall("chat.postMessage", args)).toMatchObject({ ok: true, ts: "1700000000.000100" });
    await reference.apiCall("chat.postMessage", args);
    const [ours, theirs] = seen as [Seen, Seen];
    expect(ours.url).toBe("/api/chat.postMessage");
    expect(ours.url).toBe(theirs.url);
    expect(new URLSearchParams(ours.body).toString()).toBe(new URLSearchParams(theirs.body).toString());
    expect(Object.fromEntries(new URLSearchParams(ours.body))).toEqual({
      channel: "C1",
      text: "run r1: succeeded & done = 100%",
      blocks: JSON.stringify(args.blocks),
      unfurl_links: "false",
      metadata: JSON.stringify(args.metadata),
      limit: "100",
    });
    expect(ours.headers["content-type"]).toBe(theirs.headers["content-type"]);
    expect(ours.headers.authorization).toBe("Bearer xoxb-fake");
    expect(ours.headers.authorization).toBe(theirs.headers.authorization);
  });

  it.each([
    ["a refusal (ok: false)", "refused", { kind: "fatal", error: "channel_not_found" }],
    ["a 429 with Retry-After", "limited", { kind: "rate-limited", retryAfterMs: 7000 }],
    ["a 5xx", "broken", { kind: "ambiguous" }],
    ["a body that is not JSON", "garbled", { kind: "fatal", error: "<html>gateway</html>" }],
    ["no answer within the timeout", "silent", { kind: "ambiguous" }],
  ])("%s fails as WebClient's does", async (_name, method, expected) => {
    const ours = await lean.apiCall(method, {}).then(() => undefined, (err: unknown) => classifySlackError(err));
    const theirs = await reference.apiCall(method, {}).then(() => undefined, (err: unknown) => classifySlackError(err));
    expect(ours).toEqual(expected);
    expect(theirs).toEqual(expected);
  });

  it("an answer cut in its middle may have taken effect: a request error here (WebClient throws fetch's bare TypeError, which reads as a refusal)", async () => {
    expect(await lean.apiCall("cut", {}).then(() => undefined, classifySlackError)).toEqual({ kind: "ambiguous" });
    expect(await reference.apiCall("cut", {}).then(() => undefined, classifySlackError)).toEqual({ kind: "fatal", error: "TypeError: terminated" });
  });

  it("uploads a file's bytes as fetch did (the same bytes and length), over one kept-alive connection; a 4xx answer fails for good, no answer may be tried again", async () => {
    const origin = apiUrl.replace(/\/api\/$/, "");
    const bytes = Buffer.from("# Incident report: run r1\n\n– step 1 on `h00`: succeeded ✓\n", "utf8");
    seen.length = 0;
    await lean.uploadBytes!(`${origin}/upload/ok`, bytes);
    await lean.uploadBytes!(`${origin}/upload/ok`, bytes);
    const fetched = await fetch(`${origin}/upload/ok`, { method: "POST", body: bytes });
    expect(fetched.ok).toBe(true);
    const [ours, again, theirs] = seen as [Seen, Seen, Seen];
    expect(Buffer.from(ours.body, "utf8").equals(bytes)).toBe(true);
    expect(ours.body).toBe(theirs.body);
    expect(ours.headers["content-length"]).toBe(String(bytes.length));
    expect(ours.headers["content-length"]).toBe(theirs.headers["content-length"]);
    expect(again.port).toBe(ours.port);
    // Failing as an API call fails: a 4xx will not pass, no answer may be tried again (SlackCaller.uploadBytes).
    expect(await lean.uploadBytes!(`${origin}/upload/gone`, bytes).then(() => undefined, classifySlackError)).toEqual({ kind: "fatal", error: "http_404" });
    expect(await lean.uploadBytes!(`${origin}/upload/silent`, bytes).then(() => undefined, classifySlackError)).toEqual({ kind: "ambiguous" });
    await expect(lean.uploadBytes!("ftp://files.example/upload", bytes)).rejects.toThrow("upload_url must be http(s): ftp://files.example/upload");
  });

  it("a refused connection is a request error (the call may be tried again), and a kept-alive connection serves the next calls", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const nowhere = createHttpSlackApi({ token: "xoxb-fake", apiUrl: `http://127.0.0.1:${port}/api/`, timeoutMs: 1000 });
    expect(await nowhere.apiCall("chat.postMessage", {}).then(() => undefined, classifySlackError)).toEqual({ kind: "ambiguous" });

    seen.length = 0;
    for (let i = 0; i < 5; i++) await lean.apiCall("chat.postMessage", { channel: "C1", text: `${i}` });
    // One connection, opened once and kept.
    expect(new Set(seen.map((s) => s.port)).size).toBe(1);
  });
});
