import type { z } from "zod";
import { closestName } from "./closest-name";
import { describeValue } from "./describe-value";
import type { PathIssue } from "./path-issue";
import type { YamlPath } from "./yaml-source";

export type SchemaResult<T> = { readonly ok: true; readonly data: T } | { readonly ok: false };

const TYPE_NAMES: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
  array: "a list",
  object: "a mapping",
  record: "a mapping",
};

/**
 * Validates `value` (found at `base` in the file) and appends one PathIssue
 * per problem to `issues`, in the inventory's wording: "required",
 * "expected …, got …", "unknown key (did you mean …?)".
 */
export function runSchema<S extends z.ZodType>(schema: S, value: unknown, base: YamlPath, issues: PathIssue[]): SchemaResult<z.output<S>> {
  // zod reports unknown keys without the allowed ones; the error map sees the object schema, so note them by path.
  const knownKeys = new Map<string, readonly string[]>();
  const result = schema.safeParse(value, { error: (issue) => messageFor(issue, knownKeys) });
  if (result.success) return { ok: true, data: result.data };
  for (const issue of result.error.issues) {
    const path = [...base, ...(issue.path as (string | number)[])];
    if (issue.code === "unrecognized_keys") {
      const known = knownKeys.get(JSON.stringify(issue.path)) ?? [];
      for (const key of issue.keys) issues.push({ path: [...path, key], at: "key", message: unknownKey(key, known) });
    } else {
      issues.push({ path, at: issue.code === "invalid_key" ? "key" : "value", message: issue.message });
    }
  }
  return { ok: false };
}

function unknownKey(key: string, known: readonly string[]): string {
  const guess = closestName(key, known);
  if (guess !== undefined) return `unknown key (did you mean ${JSON.stringify(guess)}?)`;
  return known.length > 0 ? `unknown key (expected one of: ${known.join(", ")})` : "unknown key";
}

function messageFor(issue: z.core.$ZodRawIssue, knownKeys: Map<string, readonly string[]>): string | undefined {
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined) return "required";
      return `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}, got ${describeValue(issue.input)}`;
    case "invalid_value": {
      const values = issue.values.map((v) => JSON.stringify(v));
      const list = values.length <= 2 ? values.join(" or ") : `one of ${values.join(", ")}`;
      return `expected ${list}, got ${describeValue(issue.input)}`;
    }
    case "unrecognized_keys": {
      const def = (issue.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def;
      knownKeys.set(JSON.stringify(issue.path ?? []), Object.keys(def?.shape ?? {}));
      return "unknown key";
    }
    case "invalid_key":
      return issue.issues[0]?.message ?? "invalid key";
    case "too_small":
      return issue.origin === "array" ? `expected at least ${String(issue.minimum)} item(s)` : undefined;
    default:
      return undefined;
  }
}
