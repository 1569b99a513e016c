/**
 * The fake Slack Web API in a process of its own, so that what it records
 * (when each call arrived) is not skewed by the bot's event loop, and its
 * memory is not counted as the bot's. Prints one JSON line with its URLs;
 * a control port serves what it recorded.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { FakeSlackServer } from "../sim/slack/fake-slack-server";

async function main(): Promise<void> {
  const fake = await FakeSlackServer.start();
  const control = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    let body: unknown;
    if (url.pathname === "/dump") {
      const from = Number(url.searchParams.get("from") ?? 0);
      body = { calls: fake.calls.slice(from), messages: [...fake.messages.values()] };
    } else if (url.pathname === "/responses") {
      const prefix = url.searchParams.get("prefix") ?? "";
      body = fake.responses.filter((r) => r.id.startsWith(prefix));
    } else if (url.pathname === "/count") {
      body = { calls: fake.calls.length };
    }
    res.writeHead(body === undefined ? 404 : 200, { "content-type": "application/json" });
    res.end(JSON.stringify(body ?? {}));
  });
  await new Promise<void>((resolve) => control.listen({ host: "127.0.0.1", port: 0 }, resolve));
  const { port } = control.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ url: fake.url, apiUrl: fake.apiUrl, control: `http://127.0.0.1:${port}` })}\n`);
  process.once("SIGTERM", () => {
    control.close();
    void fake.close().then(() => process.exit(0));
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`fake slack: ${String(err)}\n`);
  process.exit(1);
});
