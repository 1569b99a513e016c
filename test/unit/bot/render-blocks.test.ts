import { CommandError, EngineTimeoutError } from "../../../src/bot/bot-errors";
import { ACTION, decodeStart, decodeStep } from "../../../src/bot/blocks/action-ids";
import type { Block, ButtonElement, MessagePayload } from "../../../src/bot/blocks/block-types";
import { renderError } from "../../../src/bot/blocks/render-error";
import { renderHelp } from "../../../src/bot/blocks/render-help";
import { renderHome } from "../../../src/bot/blocks/render-home";
import { readParamsSubmission, readReasonSubmission, renderParamsModal, renderReasonModal } from "../../../src/bot/blocks/render-modals";
import { renderPlanPreview } from "../../../src/bot/blocks/render-plan-preview";
import { renderRunMessage } from "../../../src/bot/blocks/render-run-message";
import { renderStepOutput } from "../../../src/bot/blocks/render-step-output";
import { validateBlocks, validateModal } from "../../../src/bot/blocks/validate-blocks";
import { makePlan, makeRun, makeStep, withStep } from "../../helpers/slack/run-fixtures";

function buttons(blocks: readonly Block[]): ButtonElement[] {
  return blocks.flatMap((b) => (b.type === "actions" ? [...b.elements] : []));
}

function allText(payload: MessagePayload): string {
  return JSON.stringify(payload.blocks);
}

function expectWithinLimits(payload: MessagePayload): void {
  expect(validateBlocks(payload.blocks, "message")).toEqual([]);
  expect(payload.text.length).toBeGreaterThan(0);
}

const longCommand = (i: number): string => `sudo -u leofs /usr/local/leofs/current/leo_manager_1/bin/leo_manager ${"x".repeat(400)} 2>&1 | tee /tmp/out-${i} # <@U0EVIL> \`\`\``;

describe("plan preview", () => {
  it("shows every step with hosts and exact (escaped) commands, flags destructive ones, Start/Cancel carry the plan hash", () => {
    const plan = makePlan(4);
    const preview = renderPlanPreview(plan);
    expectWithinLimits(preview);
    const text = allText(preview);
    expect(text).toContain("leo_manager stop # 3");
    expect(text).toContain("leofs-m1");
    expect(text).toContain("destructive: approval required");
    const [start, cancel] = buttons(preview.blocks);
    expect(start?.action_id).toBe(ACTION.start);
    expect(cancel?.action_id).toBe(ACTION.cancel);
    expect(decodeStart(start?.value)).toEqual({ procedureId: plan.procedureId, cluster: "prod", params: plan.params, planHash: plan.planHash });
  });

  it("a dry run has no Start button", () => {
    const preview = renderPlanPreview(makePlan(3), { dryRun: true });
    expect(buttons(preview.blocks).map((b) => b.action_id)).toEqual([ACTION.cancel]);
    expect(allText(preview)).toContain("Dry run: nothing was started");
  });

  it("a 60-step plan with long, hostile commands stays within every limit and neutralises mentions in commands", () => {
    const plan = makePlan(60, {}, (i) => ({ destructive: i % 3 === 0, targets: [{ host: `leofs-s${i}`, command: longCommand(i) }] }));
    const preview = renderPlanPreview(plan);
    expectWithinLimits(preview);
    expect(allText(preview)).not.toContain("<@U0EVIL>");
    expect(buttons(preview.blocks).map((b) => b.action_id)).toEqual([ACTION.start, ACTION.cancel]);
  });
});

describe("run message", () => {
  const plan = makePlan(4);

  it("a running run shows the checklist with state emoji, the current step and an Abort button", () => {
    const run = withStep(withStep(makeRun(plan), 0, { state: "succeeded", startedAt: "2026-01-01T10:00:01Z", finishedAt: "2026-01-01T10:00:04Z" }), 1, { state: "running" }, { cursor: 1 });
    const msg = renderRunMessage(run, { live: { stepIndex: 1, host: "leofs-m1", tail: "stopping...\nok" } });
    expectWithinLimits(msg);
    const text = allText(msg);
    expect(text).toContain(":white_check_mark: 1. Step 1");
    expect(text).toContain(":arrows_counterclockwise: *2. Step 2");
    expect(text).toContain("requested by <@U0REQUESTER>");
    expect(text).toContain("stopping...");
    expect(buttons(msg.blocks).map((b) => b.action_id)).toEqual([ACTION.abort]);
  });

  it("awaiting approval mentions the approvers and binds Approve/Reject to run, step, attempt and plan hash", () => {
    const run = withStep(makeRun(plan), 1, { state: "awaiting_approval", attempt: 2 }, { state: "awaiting_approval", cursor: 1 });
    const msg = renderRunMessage(run, { approvers: { users: ["U0APPROVER1"], userGroups: ["S0SREONCALL"], minApprovals: 2 } });
    expectWithinLimits(msg);
    const text = allText(msg);
    expect(text).toContain("<@U0APPROVER1> <!subteam^S0SREONCALL>");
    expect(text).toContain("0 of 2 approvals");
    expect(text).toContain("leofs-m1$ /usr/local/leofs/current/leo_manager_1/bin/leo_manager stop # 1");
    const [approve, reject] = buttons(msg.blocks);
    expect([approve?.action_id, reject?.action_id]).toEqual([ACTION.approve, ACTION.reject]);
    expect(decodeStep(approve?.value)).toEqual({ runId: run.id, stepIndex: 1, attempt: 2, planHash: plan.planHash });
  });

  it("resolved commands (captures filled in) are what the approver sees", () => {
    const run = withStep(makeRun(plan), 1, { state: "awaiting_approval", resolvedCommands: [{ host: "leofs-m1", command: "kill 4242" }] }, { state: "awaiting_approval", cursor: 1 });
    expect(allText(renderRunMessage(run))).toContain("leofs-m1$ kill 4242");
  });

  it("after a decision shows who decided and when instead of buttons", () => {
    const decided = withStep(makeRun(plan), 1, { state: "running", approvals: [{ userId: "U0APPROVER1", at: "2026-01-01T10:05:00Z", decision: "approved" }] }, { cursor: 1 });
    const msg = renderRunMessage(decided);
    const text = allText(msg);
    expect(text).toContain("approved by <@U0APPROVER1> <!date^1767261900^");
    expect(buttons(msg.blocks).map((b) => b.action_id)).not.toContain(ACTION.approve);
  });

  it("a per-run approval lists every destructive command and binds to step null", () => {
    const run = makeRun(plan, { state: "awaiting_approval", runApprovals: [] });
    const msg = renderRunMessage(run);
    const text = allText(msg);
    expect(text).toContain("stop # 1");
    expect(text).toContain("stop # 3");
    expect(decodeStep(buttons(msg.blocks)[0]?.value).stepIndex).toBeNull();
  });

  it("a failed step shows the error and Retry/Skip/Abort", () => {
    const run = withStep(makeRun(plan), 2, {
      state: "failed", error: "exit code 1",
      outputs: [{ host: "leofs-m1", exitCode: 1, signal: null, durationMs: 1200, tail: "[E] mnesia not running", truncated: false }],
    }, { state: "paused", cursor: 2 });
    const msg = renderRunMessage(run);
    expectWithinLimits(msg);
    expect(allText(msg)).toContain("mnesia not running");
    expect(buttons(msg.blocks).map((b) => b.action_id)).toEqual([ACTION.retry, ACTION.skip, ACTION.abort]);
  });

  it("a confirm step asks to Continue", () => {
    const p = makePlan(2, {}, (i) => (i === 1 ? { kind: "confirm", prompt: "Check the logs for errors", targets: [] } : {}));
    const msg = renderRunMessage(makeRun(p, { state: "awaiting_confirmation", cursor: 1 }));
    expect(allText(msg)).toContain("Check the logs for errors");
    expect(buttons(msg.blocks).map((b) => b.action_id)).toEqual([ACTION.continue, ACTION.abort]);
  });

  it("the final summary gives the outcome and duration, without buttons", () => {
    let run = makeRun(plan, { state: "succeeded", finishedAt: "2026-01-01T10:03:13.000Z", cursor: 4 });
    for (let i = 0; i < 4; i++) run = withStep(run, i, { state: i === 2 ? "skipped" : "succeeded" });
    const msg = renderRunMessage(run);
    expect(allText(msg)).toContain("*succeeded* in 3m 12s");
    expect(allText(msg)).toContain("3 succeeded, 1 skipped");
    expect(buttons(msg.blocks)).toEqual([]);
  });

  it("a 200-step run with decisions everywhere still fits", () => {
    const big = makePlan(200, {}, (i) => ({ destructive: true, title: `Step ${i} ${"t".repeat(100)}` }));
    let run = makeRun(big, { state: "awaiting_approval", cursor: 150 });
    for (let i = 0; i < 150; i++) run = withStep(run, i, { state: "succeeded", approvals: [{ userId: `U${i}`, at: "2026-01-01T10:05:00Z", decision: "approved" }] });
    run = withStep(run, 150, { state: "awaiting_approval" });
    const msg = renderRunMessage(run, { approvers: { users: Array.from({ length: 40 }, (_, i) => `U0APPR${i}`), userGroups: [], minApprovals: 1 } });
    expectWithinLimits(msg);
    expect(buttons(msg.blocks).map((b) => b.action_id)).toEqual([ACTION.approve, ACTION.reject, ACTION.abort]);
  });
});

describe("other renderers", () => {
  it("step output shows only the tail of each target, within limits", () => {
    const huge = Array.from({ length: 5000 }, (_, i) => `out ${i}`).join("\n");
    const outputs = Array.from({ length: 60 }, (_, i) => ({ host: `h${i}`, exitCode: 0, signal: null, durationMs: 10, tail: huge, truncated: true }));
    const msg = renderStepOutput(makeStep(3), { index: 3, state: "succeeded", attempt: 1, outputs, approvals: [] });
    expectWithinLimits(msg);
    expect(allText(msg)).toContain("out 4999");
    expect(allText(msg)).not.toContain("out 1000\\n");
  });

  it("help lists both commands' grammar", () => {
    const help = renderHelp();
    expectWithinLimits(help);
    expect(allText(help)).toContain("/leofs upgrade &lt;node|all&gt; to &lt;version&gt;");
    expect(allText(help)).toContain("/dirac intervention [setup]");
  });

  it("errors: command errors carry usage, engine refusals their code, timeouts say the outcome is unknown", () => {
    const cmd = renderError(new CommandError("command_unknown", "`recovr` is not a command; did you mean `/leofs recover manager-slave`?", ["/leofs recover manager-slave"], "/leofs recover manager-slave [cluster=<name>] [--dry-run]"));
    expectWithinLimits(cmd);
    expect(allText(cmd)).toContain("Usage: `/leofs recover manager-slave [cluster=&lt;name&gt;]");
    const refused = Object.assign(new Error("U1 may not approve: requester cannot approve their own run"), { name: "EngineError", code: "self_approval" });
    expect(allText(renderError(refused))).toContain("self_approval");
    expect(allText(renderError(new EngineTimeoutError("approve", 5000)))).toContain("may or may not have been applied");
  });

  it("home lists pending approvals, active and recent runs", () => {
    const plan = makePlan(2);
    const home = renderHome([makeRun(plan), makeRun(plan, { id: "run-old", state: "failed" })], [makeRun(plan, { id: "run-wait", state: "awaiting_approval" })]);
    expect(validateBlocks(home.blocks, "home")).toEqual([]);
    expect(JSON.stringify(home)).toContain("run-wait");
    expect(JSON.stringify(home)).toContain("run-old");
  });

  it("the parameters modal asks only for what is missing and validates each field", () => {
    const state = { kind: "leofs" as const, procedureId: "leofs.takeover-manager", cluster: "prod", params: { replace: "manager-slave" }, missing: ["newHost", "newNode"], dryRun: false, channelId: "C1" };
    const modal = renderParamsModal(state);
    expect(validateModal(modal)).toEqual([]);
    expect(modal.blocks.filter((b) => b.type === "input").map((b) => b.block_id)).toEqual(["newHost", "newNode"]);
    expect(readParamsSubmission(state, { newHost: { value: { value: "bad host!" } }, newNode: { value: { value: "" } } })).toEqual({
      errors: { newHost: "bad host! is not a host name or address", newNode: "required" },
    });
    expect(readParamsSubmission(state, { newHost: { value: { value: "leofs-m2" } }, newNode: { value: { value: "manager_1@10.0.0.7" } } })).toEqual({
      params: { replace: "manager-slave", newHost: "leofs-m2", newNode: "manager_1@10.0.0.7" },
    });
  });

  it("a select field offers the allowed values", () => {
    const modal = renderParamsModal({ kind: "leofs", procedureId: "leofs.recover-manager", cluster: "prod", params: {}, missing: ["target"], dryRun: true, channelId: "C1" });
    expect(validateModal(modal)).toEqual([]);
    expect(JSON.stringify(modal)).toContain('"static_select"');
  });

  it("the reason modal requires a reason", () => {
    const modal = renderReasonModal({ action: "reject", step: { runId: "r1", stepIndex: 2, attempt: 1, planHash: "h" }, channelId: "C1" });
    expect(validateModal(modal)).toEqual([]);
    expect(readReasonSubmission({ reason: { value: { value: " " } } })).toHaveProperty("errors.reason");
    expect(readReasonSubmission({ reason: { value: { value: "wrong node" } } })).toEqual({ reason: "wrong node" });
  });
});
