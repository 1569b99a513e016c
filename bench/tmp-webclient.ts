import { fork } from "node:child_process";
import http from "node:http";
import { WebClient } from "@slack/web-api";

if (process.argv[2] === "server") {
  let n = 0;
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ ok: true, channel: "C1", ts: `1700000000.${String(++n).padStart(6, "0")}`, message: { text: body.slice(0, 10) } }));
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1", () => process.send!((server.address() as { port: number }).port));
} else {
  void (async () => {
    const child = fork(__filename, ["server"], { execArgv: ["-r", "ts-node/register/transpile-only"] });
    const port = await new Promise<number>((r) => child.once("message", (m) => r(m as number)));
    const url = `http://127.0.0.1:${port}/api/`;
    const client = new WebClient("xoxb-1", { slackApiUrl: url, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, timeout: 15000 });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    const blocks = Array.from({ length: 8 }, (_, i) => ({ type: "section", text: { type: "mrkdwn", text: `step ${i} *done* on h0${i} in 12 ms` } }));
    const args = { channel: "C1", text: "run rabc: succeeded", blocks, unfurl_links: false, metadata: { event_type: "x", event_payload: { run_id: "r", key: "k" } } };
    const lean = (method: string, a: Record<string, unknown>): Promise<Record<string, unknown>> =>
      new Promise((resolve, reject) => {
        const form = new URLSearchParams();
        for (const [k, v] of Object.entries(a)) if (v !== undefined) form.set(k, typeof v === "object" ? JSON.stringify(v) : String(v));
        const body = form.toString();
        const req = http.request(url + method, { method: "POST", agent, headers: { authorization: "Bearer xoxb-1", "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body) } }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>));
        });
        req.on("error", reject);
        req.end(body);
      });
    const N = 2000;
    for (let round = 0; round < 2; round++) {
      for (const [name, f] of [["webclient", () => client.apiCall("chat.postMessage", args)], ["lean", () => lean("chat.postMessage", args)]] as const) {
        for (let i = 0; i < 200; i++) await (f as () => Promise<unknown>)();
        const c0 = process.cpuUsage();
        const t = performance.now();
        // 4 at a time, as the notifier's lines do
        await Promise.all(Array.from({ length: 4 }, async () => { for (let i = 0; i < N / 4; i++) await (f as () => Promise<unknown>)(); }));
        const cpu = process.cpuUsage(c0);
        console.log(name, "cpu ms/call", ((cpu.user + cpu.system) / 1000 / N).toFixed(3), "wall ms/call", ((performance.now() - t) / N).toFixed(3));
      }
    }
    child.kill();
    process.exit(0);
  })();
}
