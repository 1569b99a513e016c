import type { PlannedStep } from "../../../../src/procedures/model/step";
import { shellQuote } from "../../../../src/util/shell-quote";
import { testPlan } from "./jobs-harness";

/** Ten steps, four of them non-idempotent appends of a line that must never be written twice. */
export function crashPlan(file: string, dir: string, trial: number) {
  const f = shellQuote(file);
  const d = shellQuote(dir);
  const append = (id: string, host: string): Partial<PlannedStep> & Pick<PlannedStep, "id" | "kind"> => ({
    id,
    kind: "exec",
    idempotent: false,
    targets: [{ host, command: `sleep 0.05; echo ${shellQuote(`t${trial}-${id}`)} >> ${f}; sleep 0.05` }],
  });
  return testPlan("crash", [
    { id: "precheck", kind: "check", targets: [{ host: "h2", command: "true" }] },
    append("append-1", "h2"),
    { id: "make-dir", kind: "exec", idempotent: true, targets: [{ host: "h3", command: `sleep 0.05; mkdir -p ${d}` }] },
    append("append-3", "h3"),
    { id: "file-exists", kind: "check", targets: [{ host: "h4", command: `test -f ${f}` }] },
    { id: "settle", kind: "wait", wait: { delayMs: 50 } },
    append("append-6", "h4"),
    { id: "touch", kind: "exec", idempotent: true, targets: [{ host: "h2", command: `sleep 0.05; touch ${d}/x` }] },
    append("append-8", "h2"),
    { id: "count", kind: "check", targets: [{ host: "h3", command: `grep -c . ${f}` }] },
  ]);
}

/** The steps whose line must be in the file exactly once. */
export const APPENDS = [1, 3, 6, 8];
