import { EngineError } from "../../../../src/jobs";

/** The EngineError code a decision was refused with, or "no refusal". */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof EngineError) return error.code;
    throw error;
  }
  return "no refusal";
}
