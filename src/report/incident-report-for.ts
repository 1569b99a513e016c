import type { EngineHandle } from "../jobs";
import { compileSecretPatterns, DEFAULT_SECRET_PATTERNS } from "../util/secret-redactor";
import { renderIncidentReport } from "./render-incident-report";

/** A run's incident report from the engine's run record and audit stream (undefined: no such run). */
export async function incidentReportFor(
  engine: Pick<EngineHandle, "get" | "audit">,
  runId: string,
  options: {
    readonly timeZone?: (userId: string) => Promise<string | undefined>;
    readonly secretPatterns?: readonly string[];
    /** At a run's end its closing snapshot is still being read: wait this long for it (0: do not wait). */
    readonly waitForEndSnapshotMs?: number;
  } = {},
): Promise<string | undefined> {
  let run = await engine.get(runId);
  if (run === undefined) return undefined;
  const deadline = Date.now() + (options.waitForEndSnapshotMs ?? 0);
  while (run !== undefined && run.snapshots?.before !== undefined && run.snapshots.after === undefined && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    run = await engine.get(runId);
  }
  if (run === undefined) return undefined;
  const audit = await engine.audit(runId);
  const timeZone = await options.timeZone?.(run.requestedBy);
  return renderIncidentReport(run, audit, { ...(timeZone !== undefined ? { timeZone } : {}), secretPatterns: compileSecretPatterns(options.secretPatterns ?? DEFAULT_SECRET_PATTERNS) });
}
