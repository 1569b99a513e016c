import { renderIncidentReport } from "../../../src/report/render-incident-report";
import type { AuditEntry, AuditType } from "../../../src/jobs/store/audit-entry";
import { makePlan, makeRun } from "../../helpers/slack/run-fixtures";

const entry = (type: AuditType, at: string, n: number): AuditEntry => ({ id: `${n}-0`, runId: "r1", type, actor: "U1", at });

/** Times in a report: UTC, and the requester's own zone when Slack gave one (formatters are kept per zone). */
describe("an incident report's times", () => {
  const run = makeRun(makePlan(1), { requestedAt: "2026-12-06T15:00:05.123Z", startedAt: "2026-12-06T15:00:06.000Z" });
  const audit = [entry("requested", "2026-12-06T15:00:05.123Z", 1), entry("started", "2026-12-06T15:00:06.000Z", 2)];

  it("shows each time in UTC and in the requester's zone, the same on a second report", () => {
    for (let i = 0; i < 2; i++) {
      const report = renderIncidentReport(run, audit, { timeZone: "Europe/Paris" });
      expect(report).toContain("2026-12-06 15:00:05Z (06/12/2026, 16:00:05 Europe/Paris)");
      expect(report).toContain("2026-12-06 15:00:06Z (06/12/2026, 16:00:06 Europe/Paris)");
    }
    // Another zone is not served by the first one's formatter.
    expect(renderIncidentReport(run, audit, { timeZone: "Asia/Tokyo" })).toContain("2026-12-06 15:00:05Z (07/12/2026, 00:00:05 Asia/Tokyo)");
  });

  it("shows UTC alone for a zone ICU does not know, every time", () => {
    for (let i = 0; i < 2; i++) {
      const report = renderIncidentReport(run, audit, { timeZone: "Mars/Olympus_Mons" });
      expect(report).toContain("2026-12-06 15:00:05Z");
      expect(report).not.toContain("Mars/Olympus_Mons)");
    }
  });
});
