import { ACTION, decodeStep } from "../../../src/bot/blocks/action-ids";
import type { Block } from "../../../src/bot/blocks/block-types";
import { clickButton } from "../../helpers/slack/click-button";
import { engineRefusal } from "../../helpers/slack/recording-engine";
import { makePlan, makeRun, withStep } from "../../helpers/slack/run-fixtures";
import { postEvent, postInteraction, postSlashCommand } from "../../../sim/slack/slack-signer";
import { SECRET, startHarness, type Harness } from "./app-harness";

/** Slack's contract: a command not acked within 3 s fails for the user. A protocol bound, not a performance target. */
const SLACK_ACK_DEADLINE_MS = 3000;

let h: Harness;
let seq = 0;

beforeEach(async () => {
  h = await startHarness();
  await h.handle.whenConnected();
});

afterEach(async () => {
  await h.close();
});

async function command(text: string, userId = "U0REQUESTER", cmd = "/leofs"): Promise<{ id: string; status: number; elapsedMs: number; body: Record<string, unknown> }> {
  const id = `cmd-${++seq}`;
  const res = await postSlashCommand(h.eventsUrl, SECRET, { command: cmd, text, user_id: userId, response_url: h.fake.responseUrl(id) });
  await h.fake.waitFor(() => h.fake.responsesTo(id).length > 0 || h.fake.callsOf("views.open").length > 0);
  return { id, status: res.status, elapsedMs: res.elapsedMs, body: h.fake.responsesTo(id)[0]?.body ?? {} };
}

describe("slash commands", () => {
  it("/leofs recover manager-slave is acked within Slack's 3 s and answered with the plan preview, ephemerally", async () => {
    const res = await command("recover manager-slave");
    expect(res.status).toBe(200);
    expect(res.elapsedMs).toBeLessThan(SLACK_ACK_DEADLINE_MS);
    expect(h.engine.callsOf("plan")[0]?.args[0]).toEqual({ procedureId: "leofs.recover-manager", cluster: "prod", params: { target: "manager-slave" } });
    expect(res.body.response_type).toBe("ephemeral");
    expect(JSON.stringify(res.body.blocks)).toContain(ACTION.start);
    expect(h.fake.topLevel()).toEqual([]);
  });

  it.each([
    ["unsigned", { unsigned: true }],
    ["badly signed", { signature: "v0=0000000000000000000000000000000000000000000000000000000000000000" }],
    ["tampered", { tamper: (b: string) => `${b}&text=abort%20run-1` }],
    ["stale (6 minutes old)", { timestamp: Math.floor(Date.now() / 1000) - 360 }],
  ])("a %s request gets 401 and never reaches the engine", async (_name, options) => {
    const res = await postSlashCommand(h.eventsUrl, SECRET, { command: "/leofs", text: "recover manager-slave", response_url: h.fake.responseUrl("x") }, options);
    expect(res.status).toBe(401);
    const click = await postInteraction(h.eventsUrl, SECRET, { type: "block_actions", user: { id: "U1" }, actions: [] }, options);
    expect(click.status).toBe(401);
    await new Promise((r) => setTimeout(r, 100));
    expect(h.engine.calls.filter((c) => c.method !== "subscribe")).toEqual([]);
    expect(h.fake.responses).toEqual([]);
  });

  it("an invalid command gets ephemeral help with the nearest command, and nothing reaches the channel or the engine", async () => {
    const res = await command("recovr manager-slave");
    expect(res.status).toBe(200);
    expect(res.body.response_type).toBe("ephemeral");
    expect(JSON.stringify(res.body.blocks)).toContain("did you mean `/leofs recover manager-slave`?");
    expect(JSON.stringify(res.body.blocks)).toContain("Usage:");
    expect(h.engine.calls.filter((c) => c.method !== "subscribe")).toEqual([]);
    expect(h.fake.callsOf("chat.postMessage")).toEqual([]);
  });

  it("when the engine hangs (Redis down) the user hears so quickly, ephemerally", async () => {
    h.engine.hang("plan");
    const started = Date.now();
    const res = await command("launch");
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body.blocks)).toContain("did not answer within 1s");
    expect(Date.now() - started).toBeLessThan(SLACK_ACK_DEADLINE_MS);
  });

  it("missing parameters open a modal; invalid fields come back as per-field errors; a valid one posts the plan", async () => {
    await command("takeover manager-master new-host=leofs-m2");
    const opened = h.fake.callsOf("views.open")[0];
    expect(opened?.args.trigger_id).toBe("13345224609.738474920.8088930838d88f008e0");
    const view = opened?.args.view as { private_metadata: string; callback_id: string };
    const submit = (value: string) =>
      postInteraction(h.eventsUrl, SECRET, {
        type: "view_submission",
        user: { id: "U0REQUESTER", team_id: "T0001" },
        team: { id: "T0001" },
        api_app_id: "A123456",
        trigger_id: "111.222.valid",
        view: { id: "V1", type: "modal", callback_id: view.callback_id, private_metadata: view.private_metadata, state: { values: { newNode: { value: { type: "plain_text_input", value } } } } },
      });
    const bad = await submit("not-a-node");
    expect(JSON.parse(bad.body)).toEqual({ response_action: "errors", errors: { newNode: "not-a-node is not a node name like manager_1@10.0.0.107" } });
    expect(h.engine.callsOf("plan")).toEqual([]);
    const good = await submit("manager_0@10.0.0.107");
    expect(good.status).toBe(200);
    await h.fake.waitFor(() => h.fake.ephemerals.length > 0);
    expect(h.engine.callsOf("plan")[0]?.args[0]).toEqual({
      procedureId: "leofs.takeover-manager", cluster: "prod", params: { replace: "manager-master", newHost: "leofs-m2", newNode: "manager_0@10.0.0.107" },
    });
    expect(h.fake.ephemerals[0]).toMatchObject({ channel: "C0LEOFSPROD", user: "U0REQUESTER" });
  });
});

describe("buttons", () => {
  it("Start re-plans, checks the hash, starts as the clicking user (with resolved user groups) and the run message appears in the channel", async () => {
    const preview = await command("recover manager-slave", "U0APPROVER1");
    const click = await clickButton({
      eventsUrl: h.eventsUrl, secret: SECRET, message: { blocks: preview.body.blocks as Block[] }, actionId: ACTION.start,
      userId: "U0APPROVER1", channelId: "C0LEOFSPROD", responseUrl: h.fake.responseUrl("start-1"), ephemeral: true,
    });
    expect(click.status).toBe(200);
    await h.fake.waitFor(() => h.fake.responsesTo("start-1").length > 0 && h.fake.topLevel("C0LEOFSPROD").length > 0);
    expect(h.engine.callsOf("start")[0]?.args[1]).toEqual({ userId: "U0APPROVER1", userGroups: ["S0SREONCALL"] });
    expect(h.fake.responsesTo("start-1")[0]?.body).toMatchObject({ replace_original: true });
    expect(JSON.stringify(h.fake.responsesTo("start-1")[0]?.body)).toContain("run-1");
    expect(h.fake.callsOf("usergroups.users.list")[0]?.args).toMatchObject({ usergroup: "S0SREONCALL" });
  });

  it("a plan that changed since the preview is not started", async () => {
    const preview = await command("recover manager-slave");
    h.engine.planFor = (r) => makePlan(5, { procedureId: r.procedureId, cluster: r.cluster, params: r.params });
    await clickButton({
      eventsUrl: h.eventsUrl, secret: SECRET, message: { blocks: preview.body.blocks as Block[] }, actionId: ACTION.start,
      userId: "U0REQUESTER", channelId: "C0LEOFSPROD", responseUrl: h.fake.responseUrl("start-2"), ephemeral: true,
    });
    await h.fake.waitFor(() => h.fake.responsesTo("start-2").length >= 2);
    expect(JSON.stringify(h.fake.responsesTo("start-2")[0]?.body)).toContain("The plan changed");
    expect(h.engine.callsOf("start")).toEqual([]);
  });

  it("Approve on the run message sends the gate (run, step, attempt, plan hash); a refusal comes back ephemerally", async () => {
    const plan = makePlan(3);
    const run = makeRun(plan, { id: "run-77" });
    h.engine.runs.set(run.id, run);
    h.engine.emit({ type: "run.created", run });
    const waiting = withStep(run, 1, { state: "awaiting_approval", attempt: 2 }, { state: "awaiting_approval", cursor: 1 });
    h.engine.emit({ type: "approval.requested", run: waiting, stepIndex: 1, approvers: { users: ["U0APPROVER1"], userGroups: ["S0SREONCALL"], minApprovals: 1 } });
    await h.fake.waitFor(() => {
      const ts = h.fake.topLevel("C0LEOFSPROD")[0]?.ts;
      return ts !== undefined && JSON.stringify(h.fake.latest(ts)?.blocks).includes(ACTION.approve) && h.fake.replies(ts).length > 0;
    });
    const message = h.fake.topLevel("C0LEOFSPROD")[0]!;
    const blocks = h.fake.latest(message.ts)?.blocks ?? [];
    const mention = h.fake.replies(message.ts).map((r) => JSON.stringify(r.versions[0]?.blocks)).join();
    expect(mention).toContain("<@U0APPROVER1> <!subteam^S0SREONCALL>");

    await clickButton({ eventsUrl: h.eventsUrl, secret: SECRET, message: { blocks, ts: message.ts }, actionId: ACTION.approve, userId: "U0APPROVER1", channelId: "C0LEOFSPROD", responseUrl: h.fake.responseUrl("ap-1") });
    await h.fake.waitFor(() => h.fake.responsesTo("ap-1").length > 0);
    expect(h.engine.callsOf("approve")[0]?.args).toEqual([{ runId: "run-77", stepIndex: 1, attempt: 2, planHash: plan.planHash }, { userId: "U0APPROVER1", userGroups: ["S0SREONCALL"] }]);

    h.engine.refuse("approve", engineRefusal("self_approval", "the requester cannot approve their own run"));
    await clickButton({ eventsUrl: h.eventsUrl, secret: SECRET, message: { blocks, ts: message.ts }, actionId: ACTION.approve, userId: "U0REQUESTER", channelId: "C0LEOFSPROD", responseUrl: h.fake.responseUrl("ap-2") });
    await h.fake.waitFor(() => h.fake.responsesTo("ap-2").length > 0);
    const refusal = h.fake.responsesTo("ap-2")[0]?.body;
    expect(refusal).toMatchObject({ response_type: "ephemeral", replace_original: false });
    expect(JSON.stringify(refusal)).toContain("the requester cannot approve their own run");
    expect(decodeStep(JSON.stringify({ r: "run-77", s: 1, t: 2, h: plan.planHash }))).toEqual({ runId: "run-77", stepIndex: 1, attempt: 2, planHash: plan.planHash });
  });

  it("Reject opens a reason modal; its submission rejects the gate with the reason", async () => {
    const plan = makePlan(2);
    const run = withStep(makeRun(plan, { id: "run-9" }), 1, { state: "awaiting_approval" }, { state: "awaiting_approval", cursor: 1 });
    h.engine.runs.set(run.id, run);
    h.engine.emit({ type: "run.created", run });
    await h.fake.waitFor(() => h.fake.topLevel().length > 0);
    const message = h.fake.topLevel()[0]!;
    await clickButton({ eventsUrl: h.eventsUrl, secret: SECRET, message: { blocks: message.versions[0]?.blocks ?? [], ts: message.ts }, actionId: ACTION.reject, userId: "U0APPROVER1", channelId: "C0LEOFSPROD", responseUrl: h.fake.responseUrl("rj") });
    await h.fake.waitFor(() => h.fake.callsOf("views.open").length > 0);
    const view = h.fake.callsOf("views.open")[0]?.args.view as { private_metadata: string; callback_id: string };
    await postInteraction(h.eventsUrl, SECRET, {
      type: "view_submission", user: { id: "U0APPROVER1", team_id: "T0001" }, team: { id: "T0001" }, api_app_id: "A123456",
      view: { id: "V2", type: "modal", callback_id: view.callback_id, private_metadata: view.private_metadata, state: { values: { reason: { value: { type: "plain_text_input", value: "wrong host" } } } } },
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(h.engine.callsOf("reject")[0]?.args).toEqual([{ runId: "run-9", stepIndex: 1, attempt: 1, planHash: plan.planHash }, { userId: "U0APPROVER1", userGroups: ["S0SREONCALL"] }, "wrong host"]);
  });
});

describe("a gate whose commands do not fit its message (issue 12 point 6)", () => {
  it("says how many commands are not shown, offers Review instead of Approve, shows every command in the modal, and its submit approves that gate", async () => {
    // 60 targets of ~120 characters each: about 7,500 characters, far over one section.
    const targets = Array.from({ length: 60 }, (_, i) => ({ host: `leofs-s${i}`, command: `/usr/local/leofs/current/leo_storage/bin/leo_storage stop && echo node-${i}-${"x".repeat(60)}` }));
    const plan = makePlan(2, {}, (i) => (i === 1 ? { destructive: true, targets } : { destructive: false }));
    const run = withStep(makeRun(plan, { id: "run-big" }), 1, { state: "awaiting_approval" }, { state: "awaiting_approval", cursor: 1 });
    h.engine.runs.set(run.id, run);
    h.engine.emit({ type: "run.created", run });
    await h.fake.waitFor(() => h.fake.topLevel().some((m) => JSON.stringify(m.versions[0]?.blocks ?? []).includes("run-big")));
    const message = h.fake.topLevel().find((m) => JSON.stringify(m.versions[0]?.blocks ?? []).includes("run-big"))!;
    const blocks = message.versions.at(-1)?.blocks ?? [];
    const text = JSON.stringify(blocks);
    expect(text).toMatch(/the first \d+ of 60 commands/);
    expect(text).toMatch(/\*\d+ more commands not shown here\.\* Review all 60 to approve\./);
    expect(text).not.toContain(ACTION.approve);
    expect(text).toContain("Review all 60 commands to approve");

    await clickButton({ eventsUrl: h.eventsUrl, secret: SECRET, message: { blocks, ts: message.ts }, actionId: ACTION.review, userId: "U0APPROVER1", channelId: "C0LEOFSPROD", responseUrl: h.fake.responseUrl("rv") });
    await h.fake.waitFor(() => h.fake.callsOf("views.open").some((c) => JSON.stringify(c.args.view).includes("run-big")));
    const view = h.fake.callsOf("views.open").find((c) => JSON.stringify(c.args.view).includes("run-big"))!.args.view as { private_metadata: string; callback_id: string; submit?: { text: string } };
    const shown = JSON.stringify(view);
    for (const t of targets) expect(shown).toContain(`node-${t.host.slice(7)}-`);
    expect(view.submit?.text).toBe("Approve");
    await postInteraction(h.eventsUrl, SECRET, {
      type: "view_submission", user: { id: "U0APPROVER1", team_id: "T0001" }, team: { id: "T0001" }, api_app_id: "A123456",
      view: { id: "V3", type: "modal", callback_id: view.callback_id, private_metadata: view.private_metadata, state: { values: {} } },
    });
    await h.fake.waitFor(() => h.engine.callsOf("approve").some((c) => (c.args[0] as { runId: string }).runId === "run-big"));
    expect(h.engine.callsOf("approve").find((c) => (c.args[0] as { runId: string }).runId === "run-big")?.args).toEqual([
      { runId: "run-big", stepIndex: 1, attempt: 1, planHash: plan.planHash },
      { userId: "U0APPROVER1", userGroups: ["S0SREONCALL"] },
    ]);
  });
});

describe("app home and health", () => {
  it("app_home_opened publishes the home view", async () => {
    h.engine.runs.set("run-5", makeRun(makePlan(2), { id: "run-5", state: "awaiting_approval" }));
    const res = await postEvent(h.eventsUrl, SECRET, { type: "app_home_opened", user: "U0APPROVER1", channel: "D1", tab: "home" });
    expect(res.status).toBe(200);
    await h.fake.waitFor(() => h.fake.views.some((v) => v.method === "views.publish"));
    expect(JSON.stringify(h.fake.views.find((v) => v.method === "views.publish")?.view)).toContain("run-5");
  });

  it("/healthz on the Slack port answers 200 with the connection state and nothing more (no bot id, no error text); the detail is the handle's", async () => {
    const res = await fetch(`${h.baseUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ http: "up", slack: "connected" });
    expect(h.handle.health()).toMatchObject({ http: "up", slack: "connected", botUserId: "W23456789", events: "subscribed" });
    for (const path of ["/metrics", "/readyz"]) expect([path, (await fetch(`${h.baseUrl}${path}`)).status]).toEqual([path, 404]);
  });
});
