import { ACTION, VIEW, type StepValue } from "../src/bot/blocks/action-ids";
import type { ModalView } from "../src/bot/blocks/block-types";
import { renderReviewModal } from "../src/bot/blocks/render-review-modal";
import type { RunRecord } from "../src/jobs";
import { messageAtGate } from "../test/e2e/slack/leofs-slack-flow";
import { buttonValue, U_APPROVER, U_REQUESTER, type SlackE2e } from "../test/e2e/slack/slack-e2e";

/** A view_submission the product would accept, and what kind of modal it came from. */
export interface ViewSubmissionBase {
  readonly kind: "params" | "reason" | "review";
  readonly payload: ViewSubmission;
}

interface ViewSubmission extends Record<string, unknown> {
  type: unknown;
  user: unknown;
  view: Record<string, unknown> & { callback_id: unknown; private_metadata: unknown; state: unknown };
}

/**
 * A modal's submission as Slack sends it (shape of
 * test/fixtures/slack/payloads/view_submission.bolt-python-test.json), for a
 * view the product opened (`views.open`'s `view`) and the values typed in it.
 */
export function viewSubmission(opened: ModalView | Record<string, unknown>, user: string, values: Record<string, unknown>): ViewSubmission {
  return {
    type: "view_submission",
    team: { id: "T0001", domain: "example" },
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: "T0001" },
    api_app_id: "A123456",
    token: "verification_token",
    trigger_id: "111.222.valid",
    view: {
      ...opened,
      id: "V0FUZZ",
      team_id: "T0001",
      hash: "1596530361.3wRYuk3R",
      app_id: "A123456",
      bot_id: "B0INTERVENE",
      root_view_id: "V0FUZZ",
      previous_view_id: null,
      callback_id: (opened as { callback_id?: unknown }).callback_id,
      private_metadata: (opened as { private_metadata?: unknown }).private_metadata ?? "",
      state: { values },
    },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
}

const GARBAGE: readonly unknown[] = [null, 42, [], {}, "", "x".repeat(20_000), '{"step":', "🙂", -1, true];

/**
 * `base` with one field broken so that the submission can never be a valid
 * decision: the gate it names is not the run's open one (run, step, attempt
 * or plan hash changed), the reason is too short or not text, the submitter
 * is nobody the policy knows, or the payload is not one a listener takes.
 * A params submission may stay valid: its outcome is a plan preview, never a run.
 */
export function fuzzViewSubmission(base: ViewSubmissionBase, rnd: () => number): unknown {
  const p = JSON.parse(JSON.stringify(base.payload)) as ViewSubmission;
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  const g = (): unknown => pick(GARBAGE);
  const metadata = (): Record<string, unknown> & { step?: Partial<Record<keyof StepValue, unknown>> } => JSON.parse(String(p.view.private_metadata)) as Record<string, unknown>;
  const withStep = (field: keyof StepValue, value: unknown): void => {
    const m = metadata();
    if (m.step === undefined) m.procedureId = `${String(m.procedureId)}-${String(value)}`;
    else m.step[field] = value;
    p.view.private_metadata = JSON.stringify(m);
  };
  switch (Math.floor(rnd() * 11)) {
    case 0: p.view.private_metadata = g(); break;
    case 1: p.view.private_metadata = String(p.view.private_metadata).slice(0, Math.floor(rnd() * 40)); break;
    case 2: withStep("runId", pick(["", "rnope", "../../etc/passwd", "r".repeat(300), `${String(metadata().step?.runId)}x`])); break;
    case 3: withStep("attempt", pick([0, 1, 2, 99, -1, 1.5, "1", null].filter((a) => a !== metadata().step?.attempt))); break;
    case 4: withStep("planHash", pick(["", "0".repeat(64), `${String(metadata().step?.planHash)}0`])); break;
    case 5: withStep("stepIndex", pick([null, -1, 0, 1, 2, 3, 4, 999, "3", 2.5].filter((i) => i !== metadata().step?.stepIndex))); break;
    // The review modal reads no values (its submit is the approval): a stranger submits it instead.
    case 6: if (base.kind === "review") p.user = { id: "U0STRANGER", team_id: "T0001" };
    // The reason modal reads `reason`; the params modal its fields: every one made empty, short or not text.
    else p.view.state = pick([null, [], { values: null }, { values: [] }, { values: Object.fromEntries(Object.keys((p.view.state as { values: object }).values).map((k) => [k, pick([null, {}, { value: null }, { value: { type: "plain_text_input", value: pick(["", "ab", "  x ", 42, [], null]) } }])])) }]); break;
    case 7: p.user = pick([null, 42, {}, { id: "U0STRANGER", team_id: "T0001" }, { id: 42 }, { id: "" }]); break;
    case 8: p.view.callback_id = pick([g(), `${String(base.payload.view.callback_id)}x`, VIEW.params === base.payload.view.callback_id ? "intervene.nope" : VIEW.params]); break;
    // Bolt routes a view on `type`: a garbage type with an otherwise valid view would be no view at all; break the metadata too.
    case 9: p.type = g(); p.view.private_metadata = g(); break;
    default: p.view = g() as never; break;
  }
  return p;
}

/** The value a user would pick or type in an input block of a modal the product opened (the first option, or its placeholder). */
function typedValues(view: { readonly blocks?: readonly unknown[] }): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const b of view.blocks ?? []) {
    const block = b as { type?: string; block_id?: string; element?: { type: string; action_id: string; options?: Array<{ value: string }>; placeholder?: { text: string } } };
    if (block.type !== "input" || block.block_id === undefined || block.element === undefined) continue;
    const e = block.element;
    values[block.block_id] = { [e.action_id]: e.options !== undefined ? { type: e.type, selected_option: e.options[0] } : { type: e.type, value: e.placeholder?.text ?? "" } };
  }
  return values;
}

/**
 * The three modals of the product, opened for real where a click or command
 * opens them (Reject on the run message, a command missing its target) and
 * rendered by the product where no button of this plan opens it (Review: this
 * plan's gates fit their message), each with a valid submission.
 */
export async function viewSubmissionBases(e2e: SlackE2e, run: RunRecord, channel: string): Promise<ViewSubmissionBase[]> {
  const { fake } = e2e;
  const opened = async (open: () => Promise<unknown>): Promise<Record<string, unknown>> => {
    const before = fake.callsOf("views.open").length;
    await open();
    await fake.waitFor(() => fake.callsOf("views.open").length > before, 15_000);
    return fake.callsOf("views.open").at(-1)!.args.view as Record<string, unknown>;
  };
  const atGate = await messageAtGate(e2e, run);
  const reason = await opened(() => e2e.click(atGate, ACTION.reject, U_APPROVER, { wait: false }));
  const params = await opened(() => e2e.command("recover", { user: U_REQUESTER, wait: false }));
  const step = buttonValue(atGate.blocks, ACTION.approve);
  if (step === undefined) throw new Error("the run message shows no Approve");
  const review = renderReviewModal(run, { step, channelId: channel });
  return [
    { kind: "reason", payload: viewSubmission(reason, U_APPROVER, { reason: { value: { type: "plain_text_input", value: "fuzz base: never sent as is" } } }) },
    { kind: "params", payload: viewSubmission(params, U_REQUESTER, typedValues(params)) },
    { kind: "review", payload: viewSubmission(review, U_APPROVER, {}) },
  ];
}
