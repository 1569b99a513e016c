import { shellJoin } from "../../util/shell-quote";
import type { Capture } from "../model/step";
import { CaptureError } from "../procedure-errors";

export type Captured = Readonly<Record<string, readonly string[]>>;

export type CaptureOutcome = { readonly ok: true; readonly values: Captured } | { readonly ok: false; readonly reason: string };

/** `{{name}}` in a command: a capture's values go there, shell-quoted. */
export const PLACEHOLDER = /\{\{([A-Za-z][A-Za-z0-9_]*)\}\}/g;

function anchored(valuePattern: string): RegExp {
  return new RegExp(`^(?:${valuePattern})$`);
}

/**
 * Extracts each capture from a step's stdout: every match of `pattern` (global,
 * multiline) gives its group 1. A value that does not match `valuePattern` in
 * full fails the whole step, so odd text never reaches a later command.
 */
export function extractCaptures(captures: readonly Capture[], stdout: string): CaptureOutcome {
  const values: Record<string, string[]> = {};
  for (const capture of captures) {
    let re: RegExp;
    let valueRe: RegExp;
    try {
      re = new RegExp(capture.pattern, "gm");
      valueRe = anchored(capture.valuePattern);
    } catch (error) {
      return { ok: false, reason: `capture ${capture.name}: invalid pattern: ${(error as Error).message}` };
    }
    const found: string[] = [];
    for (const match of stdout.matchAll(re)) {
      const value = match[1];
      if (value === undefined) continue;
      if (!valueRe.test(value)) {
        return { ok: false, reason: `capture ${capture.name}: value ${JSON.stringify(value)} does not match /^(?:${capture.valuePattern})$/; refusing to use it in a later command` };
      }
      found.push(value);
    }
    values[capture.name] = found;
  }
  return { ok: true, values };
}

/**
 * Substitutes `{{name}}` placeholders with the captured values, each one a
 * shell-quoted word (several values → several words; none → nothing). When the
 * declaring `captures` are given, values are checked against their
 * `valuePattern` again (they may have come back from storage). An unknown
 * placeholder or a refused value throws `CaptureError`.
 */
export function resolveCommand(command: string, captured: Captured, captures?: readonly Capture[]): string {
  return command.replace(PLACEHOLDER, (_whole, name: string) => {
    const values = captured[name];
    if (values === undefined) throw new CaptureError(name, `the command refers to {{${name}}} but no earlier step captured it`);
    const spec = captures?.find((c) => c.name === name);
    if (spec !== undefined) {
      const valueRe = anchored(spec.valuePattern);
      const bad = values.find((v) => !valueRe.test(v));
      if (bad !== undefined) throw new CaptureError(name, `value ${JSON.stringify(bad)} does not match /^(?:${spec.valuePattern})$/`);
    }
    return shellJoin(values);
  });
}

/** Placeholder names a command uses, in order of first use. */
export function placeholdersIn(command: string): string[] {
  return [...new Set([...command.matchAll(PLACEHOLDER)].map((m) => m[1] ?? ""))];
}
