import { evaluateExpectation, extractCaptures, resolveCommand } from "../../procedures";
import type { StepSemantics } from "../ports/step-semantics";

/** The procedures layer's own expectation, capture and substitution functions. */
export const procedureStepSemantics: StepSemantics = {
  evaluateExpectation: (expect, input) => evaluateExpectation(expect, input),
  extractCaptures: (captures, stdout) => {
    const outcome = extractCaptures(captures, stdout);
    if (!outcome.ok) throw new Error(outcome.reason);
    return outcome.values;
  },
  resolveCommand: (command, captured) => resolveCommand(command, captured),
};
