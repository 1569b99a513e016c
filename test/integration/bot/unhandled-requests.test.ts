import { postInteraction } from "../../../sim/slack/slack-signer";
import { SECRET, startHarness, type Harness } from "./app-harness";

/**
 * A correctly signed request that no listener takes is acked as soon as Bolt
 * is done with it (200), not left to Bolt's 404 after 3 s, which Slack shows
 * the user as an error. Found by `npm run chaos` (fuzzed view submissions).
 */
describe("requests no listener takes", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  const submission = (callbackId: unknown, type: unknown = "view_submission") => ({
    type,
    user: { id: "U0APPROVER1", team_id: "T0001" },
    team: { id: "T0001" },
    api_app_id: "A123456",
    trigger_id: "111.222.valid",
    view: { id: "V9", type: "modal", callback_id: callbackId, private_metadata: "{}", state: { values: {} } },
  });

  it.each([
    ["the submission of a modal this version does not know", submission("intervene.from-an-older-version")],
    ["a submission without a callback id", submission(undefined)],
    ["a payload whose type Bolt cannot tell", submission("intervene.reason", "view_submited")],
  ])("%s is acked with 200 and reaches nothing", async (_what, payload) => {
    const res = await postInteraction(h.eventsUrl, SECRET, payload);
    expect([res.status, res.body]).toEqual([200, ""]);
    expect(h.engine.calls.filter((c) => c.method !== "subscribe")).toEqual([]);
  });
});
