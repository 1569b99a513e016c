/**
 * The procedure domain's error vocabulary. None of these is retryable: they
 * describe the request, the inventory or a tool's output, and retrying the
 * same input gives the same answer. The transport turns `ParamError` and
 * `PreconditionError` into the operator's fix-it message.
 */
export type ProcedureErrorCode = "PARAMS" | "PRECONDITION" | "PLAN_INVALID" | "PARSE" | "CAPTURE" | "UNKNOWN_PROCEDURE";

export abstract class ProcedureError extends Error {
  abstract readonly code: ProcedureErrorCode;
  readonly retryable = false;
}

export interface FieldProblem {
  /** Dotted path of the parameter (`node`, `options.limit`); "" for the whole parameter set. */
  readonly field: string;
  /** What was wrong and how to write it. */
  readonly message: string;
}

/** The chat parameters do not fit the procedure's schema. */
export class ParamError extends ProcedureError {
  readonly code = "PARAMS";
  constructor(
    readonly procedureId: string,
    readonly problems: readonly FieldProblem[],
  ) {
    super(
      [`invalid parameters for ${procedureId}:`, ...problems.map((p) => `  ${p.field === "" ? "(parameters)" : p.field}: ${p.message}`)].join("\n"),
    );
    this.name = "ParamError";
  }
}

/** The cluster (as the inventory describes it) cannot run this procedure. */
export class PreconditionError extends ProcedureError {
  readonly code = "PRECONDITION";
  constructor(
    readonly procedureId: string,
    readonly cluster: string,
    readonly reasons: readonly string[],
  ) {
    super([`${procedureId} cannot run on ${cluster}:`, ...reasons.map((r) => `  - ${r}`)].join("\n"));
    this.name = "PreconditionError";
  }
}

/** A procedure built steps that break the plan rules: a bug in the catalog, never the operator's fault. */
export class PlanValidationError extends ProcedureError {
  readonly code = "PLAN_INVALID";
  constructor(
    readonly procedureId: string,
    readonly problems: readonly string[],
  ) {
    super([`procedure ${procedureId} built an invalid plan:`, ...problems.map((p) => `  - ${p}`)].join("\n"));
    this.name = "PlanValidationError";
  }
}

/** A tool's output is not in any format we know: never guess at the state of a cluster. */
export class ParseError extends ProcedureError {
  readonly code = "PARSE";
  constructor(
    readonly what: string,
    readonly detail: string,
    /** 1-based line of the input where parsing stopped, when known. */
    readonly line?: number,
  ) {
    super(`cannot parse ${what}${line !== undefined ? ` (line ${line})` : ""}: ${detail}`);
    this.name = "ParseError";
  }
}

/** A captured value failed its pattern, or a command refers to a capture that does not exist. */
export class CaptureError extends ProcedureError {
  readonly code = "CAPTURE";
  constructor(
    readonly capture: string,
    readonly detail: string,
  ) {
    super(`capture ${capture}: ${detail}`);
    this.name = "CaptureError";
  }
}

export class UnknownProcedureError extends ProcedureError {
  readonly code = "UNKNOWN_PROCEDURE";
  constructor(
    readonly procedureId: string,
    readonly known: readonly string[],
  ) {
    super(`unknown procedure ${procedureId}; known: ${known.join(", ")}`);
    this.name = "UnknownProcedureError";
  }
}
