import { ParseError } from "../procedure-errors";
import { isRule, outputLines, splitCells } from "./output-lines";
import { parseLeofsAdmError } from "./parse-leofs-adm-error";

export interface LeofsNodeVersion {
  /** M(anager), S(torage), G(ateway). */
  readonly type: "M" | "S" | "G";
  readonly node: string;
  readonly version: string;
}

const WHAT = "leofs-adm version all output";

/**
 * Parses `leofs-adm version all` (1.4 formatter `version_all`): the only
 * output that lists the managers (reference §1).
 */
export function parseVersionAll(text: string): LeofsNodeVersion[] {
  const admError = parseLeofsAdmError(text);
  if (admError) throw new ParseError(WHAT, `leofs-adm answered ${admError.line}`, admError.lineNumber);
  const lines = outputLines(text);
  const at = lines.findIndex((l) => l.trim() === "[Version of Node(s)]");
  if (at < 0) throw new ParseError(WHAT, "no `[Version of Node(s)]` header");
  const rows: LeofsNodeVersion[] = [];
  let headerSeen = false;
  for (let i = at + 1; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (line.trim() === "" || isRule(line)) continue;
    const cells = splitCells(line);
    if (!headerSeen) {
      if (cells.map((c) => c.toLowerCase()).join(",") !== "type,node,version") {
        throw new ParseError(WHAT, `unexpected header ${JSON.stringify(line.trim())}`, i + 1);
      }
      headerSeen = true;
      continue;
    }
    const [type, node, version] = cells;
    if (cells.length !== 3 || (type !== "M" && type !== "S" && type !== "G") || node === undefined || version === undefined) {
      throw new ParseError(WHAT, `unexpected row ${JSON.stringify(line.trim())}`, i + 1);
    }
    rows.push({ type, node, version });
  }
  if (!headerSeen) throw new ParseError(WHAT, "no table header");
  return rows;
}
