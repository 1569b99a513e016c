/**
 * The ack floor in a process of its own, like the real bot: Bolt's HTTP
 * receiver and signature check, and a /dirac handler that only acks.
 * Usage: node bare-bolt-process.js <port> <signing secret> <api url>
 */
import { App, LogLevel } from "@slack/bolt";

async function main(): Promise<void> {
  const [portText, signingSecret, apiUrl] = process.argv.slice(2);
  const port = Number(portText);
  const app = new App({
    authorize: () => Promise.resolve({ botToken: "xoxb-bare" }),
    deferInitialization: true,
    signingSecret: signingSecret ?? "",
    endpoints: "/slack/events",
    logLevel: LogLevel.ERROR,
    port,
    clientOptions: { slackApiUrl: apiUrl ?? "http://127.0.0.1:9/api/" },
  });
  app.command("/dirac", async ({ ack }) => {
    await ack();
  });
  await app.init();
  await app.start({ port, host: "127.0.0.1" });
  process.stdout.write("ready\n");
  process.once("SIGTERM", () => void app.stop().then(() => process.exit(0)));
}

main().catch((err: unknown) => {
  process.stderr.write(`bare bolt: ${String(err)}\n`);
  process.exit(1);
});
