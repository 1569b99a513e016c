import { z } from "zod";
import type { CatalogProcedure } from "../src/procedures/catalog";
import type { Plan } from "../src/procedures/model/plan";
import { renderPlanText } from "../src/procedures/planning/render-plan-text";

export interface DocExample {
  readonly cluster: string;
  readonly params: Readonly<Record<string, unknown>>;
  /** What the example inventory was given for this example, if anything. */
  readonly inventoryNote?: string;
  readonly plan: Plan;
}

interface JsonSchemaProperty {
  readonly type?: string;
  readonly enum?: readonly unknown[];
  readonly default?: unknown;
  readonly pattern?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly anyOf?: readonly JsonSchemaProperty[];
}

function describeParam(schema: JsonSchemaProperty): string {
  if (schema.enum !== undefined) return `one of ${schema.enum.map((v) => `\`${String(v)}\``).join(", ")}`;
  if (schema.anyOf !== undefined) return schema.anyOf.map(describeParam).join(" or ");
  const range = schema.minimum !== undefined || schema.maximum !== undefined ? ` (${schema.minimum ?? ""}…${schema.maximum ?? ""})` : "";
  return `${schema.type ?? "value"}${range}${schema.pattern !== undefined ? `, matching \`${schema.pattern}\`` : ""}`;
}

/** The parameter table, from the same zod schema every chat parameter passes. */
function paramRows(definition: CatalogProcedure): string[] {
  const json = z.toJSONSchema(definition.params, { io: "input", unrepresentable: "any" }) as { properties?: Record<string, JsonSchemaProperty>; required?: readonly string[] };
  const properties = Object.entries(json.properties ?? {});
  if (properties.length === 0) return ["No parameters."];
  return [
    "| parameter | value | required | default |",
    "| --- | --- | --- | --- |",
    ...properties.map(([name, schema]) => `| \`${name}\` | ${describeParam(schema)} | ${json.required?.includes(name) === true ? "yes" : "no"} | ${schema.default === undefined ? "" : `\`${JSON.stringify(schema.default)}\``} |`),
  ];
}

/**
 * A procedure as a document (issue 16 point 3): what it is for, its
 * parameters, and the exact plan the planner makes for each example on the
 * example inventory, step by step with kind, hosts, commands, gates, cites
 * and notes (renderPlanText, as `--dry-run` prints it). Deterministic: the
 * plans are made at a fixed time.
 */
export function renderProcedureDoc(definition: CatalogProcedure, examples: readonly DocExample[]): string {
  const lines = [
    `# ${definition.title} (\`${definition.id}\`)`,
    "",
    "<!-- Written by `npm run docs` from the procedure's definition; `npm test` fails when it is out of date. Do not edit. -->",
    "",
    definition.summary,
    "",
    `- Kind: \`${definition.kind}\``,
    `- Seed: ${definition.seed}`,
    "",
    "## Parameters",
    "",
    ...paramRows(definition),
    "",
  ];
  for (const example of examples) {
    const params = Object.entries(example.params).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(" ");
    lines.push(
      `## Example: ${params === "" ? "no parameters" : `\`${params}\``} on \`${example.cluster}\``,
      "",
      ...(example.inventoryNote !== undefined ? [example.inventoryNote, ""] : []),
      "⚠ marks a step that needs approval. Each step names the seed section or reference fact it implements (`cite`) and, where the seed is wrong or vague, what is done instead (`note`).",
      "",
      "```text",
      renderPlanText(example.plan),
      "```",
      "",
    );
  }
  return `${lines.join("\n").replace(/\n+$/, "")}\n`;
}
