import { runDelta } from "../events/run-delta";
import type { RunRecord, StepRecord } from "../run-types";

/**
 * How a run record lies in its Redis hash (issue 13 point 1): each top-level
 * field in `f:<name>` and each step in `s:<index>`, as JSON, beside the
 * plain fields the Lua scripts read (`v`, `state`, `cluster`, `requestedBy`),
 * the step count `n` and the id of the write that made this version (`w`,
 * see RunStore). A transition writes only the fields and steps it
 * changed, so a step's begin and end no longer send the plan and every other
 * step again. Records written before this layout hold the whole record in
 * `json`; they are read as they are and rewritten whole by their next
 * transition.
 */
const LEGACY_JSON_FIELD = "json";
const FIELD = "f:";
const STEP = "s:";

/** Kept in plain fields, not in `f:`: `id` is the key, `version` is `v`, `state` is `state`, steps are `s:`. */
const NOT_IN_FIELDS = new Set<string>(["id", "version", "state", "steps"]);

/**
 * Read with the record but written only beside it, by their own script
 * (lua/set-notifier-state.lua), never by a transition: a transition computed
 * from a copy read before the bot saved its message ref would otherwise put
 * the older value back, or would have to conflict with it. cas-run.lua
 * carries the value over when it rewrites a legacy record.
 */
const SIDE_FIELDS = new Set<string>(["notifierState"]);

/** The hash field of the bot's message ref (lua/set-notifier-state.lua writes it). */
export const NOTIFIER_STATE_FIELD = `${FIELD}notifierState`;

const written = (key: string): boolean => !NOT_IN_FIELDS.has(key) && !SIDE_FIELDS.has(key);

export interface RunWrite {
  /** Field-value pairs to set, flat. */
  readonly set: readonly string[];
  /** Fields to remove. */
  readonly unset: readonly string[];
  /** Every field of the record is in `set` (a record's first write, or a legacy one rewritten). */
  readonly full: boolean;
  readonly stepCount: number;
}

const stepField = (step: StepRecord): string => `${STEP}${step.index}`;

/** Field-value pairs, flat, for top-level fields (those kept elsewhere left out) and whole steps. */
function pairs(fields: Readonly<Record<string, unknown>>, steps: readonly StepRecord[]): string[] {
  const set: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (written(key) && value !== undefined) set.push(`${FIELD}${key}`, JSON.stringify(value));
  }
  for (const step of steps) set.push(stepField(step), JSON.stringify(step));
  return set;
}

/** Every field of `run`: a new record, or one moving from the legacy layout. */
export function fullRunWrite(run: RunRecord, previous?: RunRecord): RunWrite {
  const set = pairs(run as unknown as Record<string, unknown>, run.steps);
  const unset = previous === undefined ? [] : Object.keys(previous).filter((k) => written(k) && (run as unknown as Record<string, unknown>)[k] === undefined).map((k) => `${FIELD}${k}`);
  return { set, unset, full: true, stepCount: run.steps.length };
}

/**
 * What a transition from `previous` to `next` writes: the fields and steps
 * that are not the very objects of `previous` (RunDraft copies only what it
 * changes, see `runDelta`). A change in the number of steps writes them all.
 */
export function runWrite(previous: RunRecord, next: RunRecord): RunWrite {
  if (previous.steps.length !== next.steps.length) return fullRunWrite(next, previous);
  const delta = runDelta(previous, next);
  const set = pairs(delta.set, delta.steps);
  const unset = delta.unset.filter(written).map((k) => `${FIELD}${k}`);
  return { set, unset, full: false, stepCount: next.steps.length };
}

/** The record in a run's hash (HGETALL), in either layout; undefined when there is none. */
export function runFromHash(runId: string, hash: Readonly<Record<string, string>>): RunRecord | undefined {
  if (hash.v === undefined) return undefined;
  const legacy = hash[LEGACY_JSON_FIELD];
  if (legacy !== undefined) return JSON.parse(legacy) as RunRecord;
  const count = Number(hash.n ?? "0");
  const record: Record<string, unknown> = { id: runId, version: Number(hash.v), state: hash.state };
  for (const [field, value] of Object.entries(hash)) {
    if (field.startsWith(FIELD)) record[field.slice(FIELD.length)] = JSON.parse(value);
  }
  const steps: StepRecord[] = [];
  for (let i = 0; i < count; i++) {
    const json = hash[`${STEP}${i}`];
    if (json === undefined) throw new Error(`run ${runId}: step ${i} of ${count} is missing from its record`);
    steps.push(JSON.parse(json) as StepRecord);
  }
  record.steps = steps;
  return record as unknown as RunRecord;
}
