import type { z } from "zod";
import type { FieldProblem } from "../procedure-errors";

/** Turns zod issues into messages that say what was wrong and how to write it. */
export function paramProblems(error: z.ZodError, knownFields: readonly string[]): FieldProblem[] {
  return error.issues.flatMap((issue): FieldProblem[] => {
    const field = issue.path.map(String).join(".");
    switch (issue.code) {
      case "unrecognized_keys":
        return issue.keys.map((key) => ({
          field: field === "" ? key : `${field}.${key}`,
          message: `unknown parameter; ${knownFields.length > 0 ? `this procedure takes ${knownFields.join(", ")}` : "this procedure takes no parameters"}`,
        }));
      case "invalid_value": {
        const choices = issue.values.map((v) => String(v)).join(", ");
        const got = "input" in issue && issue.input !== undefined ? `${JSON.stringify(issue.input)} is not allowed` : "missing";
        return [{ field, message: `${got}; write one of: ${choices} (e.g. ${field}=${String(issue.values[0])})` }];
      }
      case "invalid_type": {
        if (!("input" in issue) || issue.input === undefined) {
          return [{ field, message: `missing; write ${field}=<${issue.expected}>` }];
        }
        return [{ field, message: `${JSON.stringify(issue.input)} is not a ${issue.expected}; write ${field}=<${issue.expected}>` }];
      }
      case "invalid_format": {
        const got = "input" in issue && issue.input !== undefined ? `${JSON.stringify(issue.input)}: ` : "";
        return [{ field, message: `${got}${issue.message}` }];
      }
      default: {
        const got = "input" in issue && issue.input !== undefined && typeof issue.input !== "object" ? `${JSON.stringify(issue.input)}: ` : "";
        return [{ field, message: `${got}${issue.message}` }];
      }
    }
  });
}
