import { parseLeofsStatus } from "../../../src/procedures/parsers/parse-leofs-status";
import { canDetach, canRebalance, canResume, canSuspend } from "../../../src/procedures/leofs/storage-preconditions";
import { statusText, type Row } from "./status-text";

const R = "8a6ef4cb";
const run = (node: string): Row => ({ type: "S", node, state: "running", ring: [R, R] });
const st = (rows: Row[], replicas = 3, ring: [string, string] = [R, R]) => parseLeofsStatus(statusText({ ring, rows, replicas }));

describe("canDetach", () => {
  it("allows a running node when enough others keep running", () => {
    expect(canDetach(st([run("s0@h"), run("s1@h"), run("s2@h"), run("s3@h")]), "s3@h")).toEqual({ ok: true, reasons: [] });
  });
  it("refuses when fewer running nodes than replicas would remain", () => {
    const r = canDetach(st([run("s0@h"), run("s1@h"), run("s2@h")]), "s2@h");
    expect(r.ok).toBe(false);
    expect(r.reasons).toEqual([
      'only 3 storage node(s) are running and the cluster keeps 3 replicas: after detaching s2@h fewer than 3 would remain (the manager answers "Running nodes less than # of replicas"); attach a node first',
    ]);
  });
  it("refuses a suspended node and too many detached nodes", () => {
    const rows: Row[] = [run("s0@h"), run("s1@h"), run("s2@h"), run("s3@h"), { type: "S", node: "s4@h", state: "suspend", ring: [R, R] }, { type: "S", node: "s5@h", state: "detached", ring: ["-1", "-1"] }];
    const r = canDetach(st(rows, 1), "s4@h");
    expect(r.reasons).toEqual([
      's4@h is "suspend"; only a running or stopped node can be detached (resume it first)',
      '1 node(s) are already detached (s5@h), as many as the 1 replicas (the manager answers "Detached nodes greater than or equal # of replicas"); rebalance first',
    ]);
  });
  it("refuses an unknown node, listing members", () => {
    expect(canDetach(st([run("s0@h")], 1), "s9@h").reasons[0]).toBe("s9@h is not in the cluster's member table (storage nodes: s0@h)");
  });
});

describe("canRebalance", () => {
  it("allows one attached node on a consistent ring", () => {
    expect(canRebalance(st([run("s0@h"), { type: "S", node: "s1@h", state: "attached", ring: ["", ""] }]))).toEqual({ ok: true, reasons: [] });
  });
  it("explains `Not satisfy conditions`: a differing ring and two degraded nodes", () => {
    const rows: Row[] = [
      { type: "S", node: "s0@h", state: "running", ring: ["12345678", R] },
      { type: "S", node: "s1@h", state: "stop", ring: ["", ""] },
      { type: "S", node: "s2@h", state: "suspend", ring: [R, R] },
      { type: "S", node: "s3@h", state: "attached", ring: ["", ""] },
    ];
    expect(canRebalance(st(rows)).reasons).toEqual([
      "s0@h has ring 12345678/8a6ef4cb but the manager's is 8a6ef4cb/8a6ef4cb (\"Not satisfy conditions\"): run `leofs-adm recover-ring s0@h`",
      '2 storage node(s) are not serving (s1@h is "stop", s2@h is "suspend"); at most one may be out of running ("Not satisfy conditions"): bring the others back first',
    ]);
  });
  it("says when there is nothing to rebalance, and when the cluster never started", () => {
    expect(canRebalance(st([run("s0@h")])).reasons).toEqual(['no storage node is attached or detached, so there is nothing to rebalance ("Not need rebalance")']);
    expect(canRebalance(st([{ type: "S", node: "s0@h", state: "attached", ring: ["", ""] }], 1, ["", ""])).reasons[0]).toMatch(/not been started yet/);
  });
});

describe("canSuspend / canResume", () => {
  const rows: Row[] = [run("s0@h"), { type: "S", node: "s1@h", state: "suspend", ring: [R, R] }, { type: "S", node: "s2@h", state: "restarted", ring: ["", ""] }, { type: "G", node: "g0@h", state: "running", ring: [R, R] }];
  it("suspend needs running", () => {
    expect(canSuspend(st(rows), "s0@h").ok).toBe(true);
    expect(canSuspend(st(rows), "s1@h").reasons).toEqual(['s1@h is "suspend"; only a running node can be suspended']);
    expect(canSuspend(st(rows), "g0@h").reasons).toEqual(["g0@h is a gateway; only storage nodes can be suspended, resumed or detached"]);
  });
  it("resume accepts suspend and restarted", () => {
    expect(canResume(st(rows), "s1@h").ok).toBe(true);
    expect(canResume(st(rows), "s2@h").ok).toBe(true);
    expect(canResume(st(rows), "s0@h").reasons).toEqual(['s0@h is "running"; only a suspended or restarted node can be resumed (the manager answers "Could not resume the node")']);
  });
});

// Issue 11 point 10: preconditions as leo_manager_console.erl / leo_manager_api.erl (LeoFS 1.4.4) decide them.
describe("point 10: preconditions from the LeoFS 1.4.4 source", () => {
  const node = (n: string, state: string): Row => ({ type: "S", node: n, state, ring: state === "running" ? [R, R] : ["", ""] });

  it("resume refuses a detached node (leo_manager_console.erl resume) and points to rollback", () => {
    const r = canResume(st([run("s0@h"), node("s1@h", "detached")], 1), "s1@h");
    expect(r.ok).toBe(false);
    expect(r.reasons[0]).toContain('only a suspended or restarted node can be resumed (the manager answers "Could not resume the node")');
    expect(r.reasons[0]).toContain("leofs-adm rollback s1@h");
    expect(canResume(st([run("s0@h"), node("s1@h", "restarted")], 1), "s1@h").ok).toBe(true);
  });

  it("detach of a stopped node needs running >= N, of a running node running > N (allow_to_detach_node_2)", () => {
    // 3 running + 1 stopped, N = 3: the stopped node may go (3 >= 3), a running one may not (3 > 3 is false).
    const rows = [run("s0@h"), run("s1@h"), run("s2@h"), node("s3@h", "stop")];
    expect(canDetach(st(rows, 3), "s3@h")).toEqual({ ok: true, reasons: [] });
    expect(canDetach(st(rows, 3), "s2@h").reasons[0]).toContain("Running nodes less than # of replicas");
    // 2 running + 1 stopped, N = 3: not even the stopped node.
    expect(canDetach(st([run("s0@h"), run("s1@h"), node("s3@h", "stop")], 3), "s3@h").ok).toBe(false);
  });

  it("rebalance with N = 1 allows no degraded node; with N >= 2 exactly one (is_allow_to_distribute_command)", () => {
    const rows = [run("s0@h"), node("s1@h", "suspend"), node("s2@h", "attached")];
    expect(canRebalance(st(rows, 1)).reasons).toEqual([
      '1 storage node(s) are not serving (s1@h is "suspend"); with 1 replica(s) the manager allows none ("Not satisfy conditions"): bring it back first',
    ]);
    expect(canRebalance(st(rows, 2))).toEqual({ ok: true, reasons: [] });
    expect(canRebalance(st([...rows, node("s3@h", "stop")], 3)).ok).toBe(false);
  });
});
