import { readFileSync } from "node:fs";
import { slackReferencePath } from "../../../sim/slack/slack-reference";

/**
 * A small JSON Schema (draft-07) checker covering the keywords Slack's
 * manifest schema uses, so the manifest test needs no new package. Returns
 * the violations as "path: problem" strings.
 */
type Schema = boolean | Record<string, unknown>;

export interface SchemaDocs {
  /** Remote $ref URLs mapped to local documents. */
  readonly byUrl: ReadonlyMap<string, Record<string, unknown>>;
}

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function typeMatches(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  return actual === type || (type === "number" && actual === "integer");
}

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function checkSchema(value: unknown, root: Record<string, unknown>, docs: SchemaDocs): string[] {
  const resolve = (ref: string, doc: Record<string, unknown>): { schema: Schema; doc: Record<string, unknown> } => {
    const [url, pointer = ""] = ref.split("#");
    const target = url === "" || url === undefined ? doc : docs.byUrl.get(url);
    if (target === undefined) throw new Error(`unresolvable $ref ${ref}`);
    let node: unknown = target;
    for (const part of pointer.split("/").filter((p) => p !== "")) node = (node as Record<string, unknown>)[decodeURIComponent(part.replace(/~1/g, "/").replace(/~0/g, "~"))];
    if (node === undefined) throw new Error(`$ref ${ref} points nowhere`);
    return { schema: node as Schema, doc: target };
  };

  const check = (v: unknown, schema: Schema, doc: Record<string, unknown>, path: string): string[] => {
    if (schema === true) return [];
    if (schema === false) return [`${path}: not allowed`];
    const s = schema;
    const out: string[] = [];
    if (typeof s.$ref === "string") {
      const r = resolve(s.$ref, doc);
      out.push(...check(v, r.schema, r.doc, path));
    }
    if (s.type !== undefined) {
      const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
      if (!types.some((t) => typeMatches(v, t))) return [...out, `${path}: expected ${types.join("|")}, got ${typeOf(v)}`];
    }
    if (Array.isArray(s.enum) && !s.enum.some((e) => equal(e, v))) out.push(`${path}: not one of ${JSON.stringify(s.enum)}`);
    if ("const" in s && !equal(s.const, v)) out.push(`${path}: must be ${JSON.stringify(s.const)}`);
    if (typeof v === "string") {
      if (typeof s.minLength === "number" && v.length < s.minLength) out.push(`${path}: shorter than ${s.minLength}`);
      if (typeof s.maxLength === "number" && v.length > s.maxLength) out.push(`${path}: longer than ${s.maxLength}`);
      if (typeof s.pattern === "string" && !new RegExp(s.pattern, "u").test(v)) out.push(`${path}: does not match ${s.pattern}`);
    }
    if (Array.isArray(v)) {
      if (typeof s.minItems === "number" && v.length < s.minItems) out.push(`${path}: fewer than ${s.minItems} items`);
      if (typeof s.maxItems === "number" && v.length > s.maxItems) out.push(`${path}: more than ${s.maxItems} items`);
      if (s.uniqueItems === true && new Set(v.map((x) => JSON.stringify(x))).size !== v.length) out.push(`${path}: items not unique`);
      if (s.items !== undefined && !Array.isArray(s.items)) v.forEach((item, i) => out.push(...check(item, s.items as Schema, doc, `${path}[${i}]`)));
    }
    if (typeOf(v) === "object") {
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      if (typeof s.minProperties === "number" && keys.length < s.minProperties) out.push(`${path}: fewer than ${s.minProperties} properties`);
      if (typeof s.maxProperties === "number" && keys.length > s.maxProperties) out.push(`${path}: more than ${s.maxProperties} properties`);
      for (const r of (s.required as string[] | undefined) ?? []) if (!(r in o)) out.push(`${path}: missing ${r}`);
      const props = (s.properties ?? {}) as Record<string, Schema>;
      const patterns = Object.entries((s.patternProperties ?? {}) as Record<string, Schema>);
      for (const key of keys) {
        let matched = false;
        if (key in props) {
          matched = true;
          out.push(...check(o[key], props[key] ?? true, doc, `${path}.${key}`));
        }
        for (const [pattern, ps] of patterns) {
          if (new RegExp(pattern, "u").test(key)) {
            matched = true;
            out.push(...check(o[key], ps, doc, `${path}.${key}`));
          }
        }
        if (!matched && s.additionalProperties !== undefined) out.push(...check(o[key], s.additionalProperties as Schema, doc, `${path}.${key}`).map((p) => (s.additionalProperties === false ? `${path}: unknown property ${key}` : p)));
      }
    }
    if (Array.isArray(s.allOf)) for (const sub of s.allOf as Schema[]) out.push(...check(v, sub, doc, path));
    // With no branch matching, the nearest branch's problems are the useful ones.
    const nearest = (results: string[][]): string[] => results.reduce((a, b) => (b.length < a.length ? b : a));
    if (Array.isArray(s.anyOf)) {
      const results = (s.anyOf as Schema[]).map((sub) => check(v, sub, doc, path));
      if (!results.some((r) => r.length === 0)) out.push(`${path}: matches none of anyOf`, ...nearest(results));
    }
    if (Array.isArray(s.oneOf)) {
      const results = (s.oneOf as Schema[]).map((sub) => check(v, sub, doc, path));
      const matching = results.filter((r) => r.length === 0).length;
      if (matching !== 1) out.push(`${path}: matches ${matching} of oneOf (needs exactly 1)`, ...(matching === 0 ? nearest(results) : []));
    }
    if (s.not !== undefined && check(v, s.not as Schema, doc, path).length === 0) out.push(`${path}: must not match "not"`);
    return out;
  };

  return check(value, root, root, "$");
}

const DIR = slackReferencePath("manifest-schema");
const load = (name: string): Record<string, unknown> => JSON.parse(readFileSync(`${DIR}/${name}`, "utf8")) as Record<string, unknown>;

/** Validates an app manifest against Slack's published schema (all versions, as manifest.schema.json dispatches). */
export function checkSlackManifest(manifest: unknown): string[] {
  const base = "https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas/";
  const byUrl = new Map([
    [`${base}manifest.schema.1.0.0.json`, load("schemas_manifest.schema.1.0.0.json")],
    [`${base}manifest.schema.2.0.0.json`, load("schemas_manifest.schema.2.0.0.json")],
  ]);
  return checkSchema(manifest, load("manifest.schema.json"), { byUrl });
}

export function loadReferenceManifest(name: "v1" | "v2"): unknown {
  return load(`tests_manifests_${name}_manifest.valid.json`);
}
