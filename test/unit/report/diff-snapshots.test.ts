import type { ClusterSnapshot } from "../../../src/jobs/query/cluster-snapshot";
import { diffSnapshots } from "../../../src/report/diff-snapshots";

const leofs = (ring: string, states: Record<string, string>, version = "1.4.3"): ClusterSnapshot => ({
  kind: "leofs",
  at: "2026-12-04T10:00:00.000Z",
  version,
  ring: { current: ring, previous: ring },
  nodes: Object.entries(states).map(([node, state]) => ({ node, type: "S" as const, state, currentRing: ring, previousRing: ring })),
});

describe("what a run changed in its cluster (issue 16 point 2)", () => {
  it("lists changed states and versions; a node the run was asked to change is no surprise", () => {
    const diff = diffSnapshots(leofs("aaaa1111", { "s0@h": "running", "s1@h": "running" }), leofs("aaaa1111", { "s0@h": "running", "s1@h": "suspend" }), "leofs.storage", ["s1@h"]);
    expect(diff).toEqual({ changes: ["s1@h: running → suspend"], warnings: [] });
  });

  it("warns about a node that ran and does not, and a ring hash a recovery changed", () => {
    const diff = diffSnapshots(leofs("aaaa1111", { "s0@h": "running", "s1@h": "running" }, "1.4.3"), leofs("bbbb2222", { "s0@h": "stop", "s1@h": "running" }, "1.4.4"), "leofs.recover-manager");
    expect(diff?.changes).toEqual(
      expect.arrayContaining(["system version: 1.4.3 → 1.4.4", "manager current ring hash: aaaa1111 → bbbb2222", "s0@h: running → stop", "s1@h ring: aaaa1111 → bbbb2222"]),
    );
    expect(diff?.warnings).toEqual([
      "the current ring hash changed (aaaa1111 → bbbb2222) during leofs.recover-manager, which should leave the ring as it was",
      "the previous ring hash changed (aaaa1111 → bbbb2222) during leofs.recover-manager, which should leave the ring as it was",
      "s0@h was running and is stop now",
    ]);
  });

  it("a manager whose console comes back is a change; one that stops answering is a warning", () => {
    const withManagers = (slave: string): ClusterSnapshot => ({ ...(leofs("aaaa1111", { "s0@h": "running" }) as Extract<ClusterSnapshot, { kind: "leofs" }>), managers: [{ console: "master", outcome: "ok" }, { console: "slave", outcome: slave }] });
    expect(diffSnapshots(withManagers("leofs_error"), withManagers("ok"), "leofs.recover-manager")).toEqual({ changes: ["manager-slave console: leofs_error → ok"], warnings: [] });
    expect(diffSnapshots(withManagers("ok"), withManagers("console_unreachable"), "leofs.launch")?.warnings).toEqual(["manager-slave's console answered at the start and does not now (console_unreachable)"]);
  });

  it("DIRAC: services per box, and a warning for one that ran and does not", () => {
    const box = (state: string): ClusterSnapshot => ({ kind: "dirac", at: "2026-12-04T10:00:00.000Z", boxes: [{ host: "vo1", ok: true, services: [{ service: "Framework_SystemAdministrator", state }] }] });
    expect(diffSnapshots(box("run"), box("down"), "dirac.intervention")).toEqual({ changes: ["vo1 Framework_SystemAdministrator: run → down"], warnings: ["vo1 Framework_SystemAdministrator was running and is down now"] });
    expect(diffSnapshots(box("run"), box("run"), "dirac.intervention")).toEqual({ changes: [], warnings: [] });
  });

  it("says when the cluster could not be read, and nothing without both snapshots", () => {
    expect(diffSnapshots({ kind: "unavailable", at: "x", why: "no_worker: no worker answered" }, leofs("a", {}), "leofs.launch")?.warnings).toEqual(["the cluster could not be read at the start: no_worker: no worker answered"]);
    expect(diffSnapshots(undefined, leofs("a", {}), "leofs.launch")).toBeUndefined();
  });
});
