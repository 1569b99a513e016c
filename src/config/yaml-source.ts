import { isMap, isNode, isScalar, LineCounter, parseDocument, type Document } from "yaml";

export interface SourcePosition {
  readonly line: number;
  readonly col: number;
}

export type YamlPath = readonly (string | number)[];

/** A parsed YAML file that can say where a value (or the key naming it) is written. */
export interface YamlSource {
  /** Plain data, as `yaml` converts it (mappings to objects, sequences to arrays). */
  readonly data: unknown;
  /** True when the file holds nothing but blanks and comments. */
  readonly empty: boolean;
  positionOf(path: YamlPath, at: "key" | "value"): SourcePosition | undefined;
}

export type YamlParseResult =
  | { readonly ok: true; readonly source: YamlSource }
  | { readonly ok: false; readonly errors: readonly { readonly message: string; readonly position: SourcePosition }[] };

export function parseYamlSource(text: string): YamlParseResult {
  const lineCounter = new LineCounter();
  // prettyErrors off: we want the one-line reason and place the position ourselves.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { line: Math.max(line, 1), col };
  };
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => ({ message: firstLine(e.message), position: at(e.pos[0]) })),
    };
  }
  const source: YamlSource = {
    data: doc.toJS({ maxAliasCount: 100 }) as unknown,
    empty: doc.contents === null,
    positionOf(path, where) {
      const offset = where === "key" ? keyOffset(doc, path) : valueOffset(doc, path);
      return offset === undefined ? undefined : at(offset);
    },
  };
  return { ok: true, source };
}

function valueOffset(doc: Document.Parsed, path: YamlPath): number | undefined {
  const node: unknown = path.length === 0 ? doc.contents : doc.getIn(path, true);
  return isNode(node) ? node.range?.[0] : undefined;
}

function keyOffset(doc: Document.Parsed, path: YamlPath): number | undefined {
  const parent: unknown = path.length <= 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  const name = String(path[path.length - 1]);
  if (!isMap(parent)) return undefined;
  const pair = parent.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === name);
  return isNode(pair?.key) ? pair.key.range?.[0] : undefined;
}

function firstLine(message: string): string {
  return (message.split("\n")[0] ?? message).trim();
}
