import type { ClusterKind } from "../../procedures/model/plan";
import { REQUIRED_FIELDS, type ParamField } from "../commands/param-fields";
import { VIEW, type StepValue } from "./action-ids";
import { BLOCK_LIMITS } from "./block-limits";
import { mrkdwn, plain, type Block, type InputBlock, type ModalView } from "./block-types";
import { fitBlocks } from "./fit-blocks";
import { escapeMrkdwn, truncatePlain } from "./fit-text";

/** What a parameters modal carries through `private_metadata` to its submission. */
export interface ParamsModalState {
  readonly kind: ClusterKind;
  readonly procedureId: string;
  readonly cluster: string;
  readonly params: Readonly<Record<string, string>>;
  readonly missing: readonly string[];
  readonly dryRun: boolean;
  /** Where the command was typed: the plan preview goes there. */
  readonly channelId: string;
}

export interface ReasonModalState {
  readonly action: "reject" | "skip" | "abort";
  readonly step: StepValue;
  readonly channelId: string;
}

/** `view.state.values` as Slack sends it on view_submission. */
export type ViewStateValues = Readonly<
  Record<string, Readonly<Record<string, { readonly value?: string | null; readonly selected_option?: { readonly value: string } | null }>>>
>;

const VALUE_ACTION = "value";

function inputFor(field: ParamField): InputBlock {
  const placeholder = plain(truncatePlain(field.placeholder, BLOCK_LIMITS.placeholder));
  const element =
    field.options !== undefined
      ? { type: "static_select" as const, action_id: VALUE_ACTION, placeholder, options: field.options.map((o) => ({ text: plain(o), value: o })) }
      : { type: "plain_text_input" as const, action_id: VALUE_ACTION, placeholder };
  return { type: "input", block_id: field.name, label: plain(field.label), hint: plain(`On the command line: ${field.syntax}`), element };
}

function fieldsOf(procedureId: string, names: readonly string[]): ParamField[] {
  return (REQUIRED_FIELDS[procedureId] ?? []).filter((f) => names.includes(f.name));
}

export function renderParamsModal(state: ParamsModalState): ModalView {
  const given = Object.entries(state.params).map(([k, v]) => `${k}=${v}`).join(" ");
  const blocks: Block[] = [
    {
      type: "section",
      text: mrkdwn(`*${escapeMrkdwn(state.procedureId)}* on \`${escapeMrkdwn(state.cluster)}\`${given ? `\nGiven: ${escapeMrkdwn(given)}` : ""}\nThe plan is shown before anything runs.`),
    },
    ...fieldsOf(state.procedureId, state.missing).map(inputFor),
  ];
  return {
    type: "modal",
    callback_id: VIEW.params,
    title: plain(state.dryRun ? "Dry run" : "Plan a procedure"),
    submit: plain("Show plan"),
    close: plain("Cancel"),
    private_metadata: JSON.stringify(state),
    blocks: fitBlocks(blocks, "modal"),
  };
}

export function decodeParamsModalState(metadata: string): ParamsModalState {
  const state = JSON.parse(metadata) as ParamsModalState;
  if (typeof state.procedureId !== "string" || typeof state.cluster !== "string" || typeof state.params !== "object" || !Array.isArray(state.missing)) {
    throw new Error("parameters form metadata is incomplete");
  }
  return state;
}

function submitted(values: ViewStateValues, blockId: string): string {
  const v = values[blockId]?.[VALUE_ACTION];
  return (v?.selected_option?.value ?? v?.value ?? "").trim();
}

/** Per-field validation for `response_action: "errors"`, or the completed parameters. */
export function readParamsSubmission(state: ParamsModalState, values: ViewStateValues): { readonly errors: Record<string, string> } | { readonly params: Record<string, string> } {
  const errors: Record<string, string> = {};
  const params: Record<string, string> = { ...state.params };
  for (const field of fieldsOf(state.procedureId, state.missing)) {
    const value = submitted(values, field.name);
    const problem = value === "" ? "required" : field.validate(value);
    if (problem !== undefined) errors[field.name] = problem.replace(/`/g, "");
    else params[field.name] = value;
  }
  return Object.keys(errors).length > 0 ? { errors } : { params };
}

const REASON_VERB: Readonly<Record<ReasonModalState["action"], string>> = { reject: "Reject", skip: "Skip", abort: "Abort" };

export function renderReasonModal(state: ReasonModalState): ModalView {
  const verb = REASON_VERB[state.action];
  const what = state.action === "abort" || state.step.stepIndex === null ? "the run" : `step ${state.step.stepIndex + 1}`;
  return {
    type: "modal",
    callback_id: VIEW.reason,
    title: plain(`${verb} ${state.action === "abort" || state.step.stepIndex === null ? "run" : "step"}`),
    submit: plain(verb),
    close: plain("Cancel"),
    private_metadata: JSON.stringify(state),
    blocks: fitBlocks(
      [
        { type: "section", text: mrkdwn(`${verb} ${what} of run \`${escapeMrkdwn(state.step.runId)}\`. The reason goes to the audit log.`) },
        { type: "input", block_id: "reason", label: plain("Reason"), element: { type: "plain_text_input", action_id: VALUE_ACTION, multiline: true, placeholder: plain("Why?") } },
      ],
      "modal",
    ),
  };
}

export function decodeReasonModalState(metadata: string): ReasonModalState {
  const state = JSON.parse(metadata) as ReasonModalState;
  if (!(state.action in REASON_VERB) || typeof state.step?.runId !== "string") throw new Error("reason form metadata is incomplete");
  return state;
}

export function readReasonSubmission(values: ViewStateValues): { readonly errors: Record<string, string> } | { readonly reason: string } {
  const reason = submitted(values, "reason");
  if (reason.length < 3) return { errors: { reason: "Say briefly why (at least 3 characters)" } };
  return { reason: reason.slice(0, 500) };
}
