import { postSlashCommand } from "../../../sim/slack/slack-signer";
import { SECRET, startHarness, type Harness } from "./app-harness";

/**
 * Issue 12 point 10: with SLACK_TEAM_ID / SLACK_APP_ID set, a correctly
 * signed request for another workspace or app is refused before any
 * listener: answered "not here", nothing reaches the engine.
 */
describe("requests for another workspace or app", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ expectedIdentity: { teamId: "T0001", appId: "A123456" } });
  });
  afterAll(async () => {
    await h.close();
  });

  it("serves its own workspace and app, and refuses a correctly signed request for another team or another app", async () => {
    const ok = await postSlashCommand(h.eventsUrl, SECRET, { command: "/leofs", text: "help", response_url: h.fake.responseUrl("own") });
    expect(ok.status).toBe(200);
    await h.fake.waitFor(() => h.fake.responsesTo("own").length > 0);
    expect(JSON.stringify(h.fake.responsesTo("own")[0]?.body)).toContain("intervene commands");

    for (const [id, fields] of [
      ["team", { team_id: "T0FOREIGN" }],
      ["app", { api_app_id: "A0OTHER" }],
    ] as const) {
      const res = await postSlashCommand(h.eventsUrl, SECRET, { command: "/leofs", text: "recover manager-slave", response_url: h.fake.responseUrl(id), ...fields });
      expect(res.status).toBe(200);
      await h.fake.waitFor(() => h.fake.responsesTo(id).length > 0);
      expect(h.fake.responsesTo(id)[0]?.body).toMatchObject({ response_type: "ephemeral", text: "This intervene serves another Slack workspace or app: nothing was done." });
    }
    expect(h.engine.callsOf("plan")).toEqual([]);
  });
});
