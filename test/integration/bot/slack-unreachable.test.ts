import { freePort } from "../../../sim/process/free-port";
import { postSlashCommand } from "../../../sim/slack/slack-signer";
import { SECRET, startHarness } from "./app-harness";

describe("when the Slack Web API is unreachable", () => {
  it("start() does not hang, /healthz is up and says so, commands are still acked and answered", async () => {
    const deadPort = await freePort();
    const h = await startHarness({}, `http://127.0.0.1:${deadPort}/api/`);
    try {
      let health: Record<string, unknown> = {};
      for (let i = 0; i < 50 && health.slack !== "unreachable"; i++) {
        const res = await fetch(`${h.baseUrl}/healthz`);
        expect(res.status).toBe(200);
        health = (await res.json()) as Record<string, unknown>;
        if (health.slack !== "unreachable") await new Promise((r) => setTimeout(r, 50));
      }
      // The Slack port says only the state; the error text is for operators (the operations port's /healthz).
      expect(health).toEqual({ http: "up", slack: "unreachable" });
      expect(String(h.handle.health().slackError)).not.toBe("");

      const res = await postSlashCommand(h.eventsUrl, SECRET, { command: "/leofs", text: "help", response_url: h.fake.responseUrl("help") });
      expect(res.status).toBe(200);
      await h.fake.waitFor(() => h.fake.responsesTo("help").length > 0);
      expect(JSON.stringify(h.fake.responsesTo("help")[0]?.body)).toContain("intervene commands");
    } finally {
      await h.close();
    }
  });
});
