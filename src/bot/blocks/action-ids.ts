import type { GateRef } from "../../jobs/engine";

/** Every action_id and callback_id the app listens to. */
export const ACTION = {
  start: "intervene.start",
  cancel: "intervene.cancel",
  approve: "intervene.approve",
  reject: "intervene.reject",
  retry: "intervene.retry",
  skip: "intervene.skip",
  abort: "intervene.abort",
  continue: "intervene.continue",
  /** Opens every command of a gate too long for its message; the modal's submit approves. */
  review: "intervene.review",
} as const;

export const VIEW = {
  params: "intervene.params",
  reason: "intervene.reason",
  review: "intervene.review",
} as const;

/** Start carries the request, not the plan: the app re-plans and refuses if the hash changed meanwhile. */
export interface StartValue {
  readonly procedureId: string;
  readonly cluster: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly planHash: string;
  /** The preview's planning time, so re-planning reproduces the same timestamped paths. */
  readonly plannedAt?: string;
}

/** Buttons on the run message act on one step (or the run) at one attempt of one plan. */
export interface StepValue {
  readonly runId: string;
  readonly stepIndex: number | null;
  readonly attempt: number;
  readonly planHash: string;
}

export function encodeStart(v: StartValue): string {
  return JSON.stringify({ p: v.procedureId, c: v.cluster, a: v.params, h: v.planHash, ...(v.plannedAt !== undefined ? { t: v.plannedAt } : {}) });
}

export function encodeStep(v: StepValue): string {
  return JSON.stringify({ r: v.runId, s: v.stepIndex, t: v.attempt, h: v.planHash });
}

function parseObject(value: string | undefined): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(value ?? "");
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through: a value we did not write
  }
  throw new Error("this button's value is not one intervene wrote");
}

export function decodeStart(value: string | undefined): StartValue {
  const o = parseObject(value);
  if (typeof o.p !== "string" || typeof o.c !== "string" || typeof o.h !== "string" || typeof o.a !== "object" || o.a === null) {
    throw new Error("this Start button's value is incomplete");
  }
  if (o.t !== undefined && typeof o.t !== "string") throw new Error("this Start button's value is incomplete");
  return { procedureId: o.p, cluster: o.c, params: o.a as Record<string, unknown>, planHash: o.h, ...(o.t !== undefined ? { plannedAt: o.t } : {}) };
}

export function decodeStep(value: string | undefined): StepValue {
  const o = parseObject(value);
  const stepOk = o.s === null || (typeof o.s === "number" && Number.isInteger(o.s) && o.s >= 0);
  if (typeof o.r !== "string" || !stepOk || typeof o.t !== "number" || typeof o.h !== "string") {
    throw new Error("this button's value is incomplete");
  }
  return { runId: o.r, stepIndex: o.s as number | null, attempt: o.t, planHash: o.h };
}

export function gateOf(v: StepValue): GateRef {
  return { runId: v.runId, stepIndex: v.stepIndex, attempt: v.attempt, planHash: v.planHash };
}
