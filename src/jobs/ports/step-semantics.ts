import type { Capture, Expectation } from "../../procedures/model/step";

export interface ExpectationInput {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ExpectationVerdict {
  readonly ok: boolean;
  readonly reason?: string;
}

/** The pure step semantics the procedures layer owns (evaluateExpectation, extractCaptures, resolveCommand). */
export interface StepSemantics {
  evaluateExpectation(expect: Expectation, input: ExpectationInput): ExpectationVerdict;
  /** Throws when a captured value does not match its valuePattern. */
  extractCaptures(captures: readonly Capture[], stdout: string): Record<string, readonly string[]>;
  /** Substitutes `{{name}}` placeholders, shell-quoted; throws on a missing capture. */
  resolveCommand(command: string, captured: Readonly<Record<string, readonly string[]>>): string;
}
