import fs from "node:fs";
import path from "node:path";
import type { MessagePayload } from "../../../src/bot/blocks/block-types";
import { renderClusterStatus } from "../../../src/bot/blocks/render-cluster-status";
import { validateBlocks } from "../../../src/bot/blocks/validate-blocks";
import type { ClusterStatusResult, ConsoleAttempt, DiracClusterStatus, LeofsClusterStatus } from "../../../src/jobs/query/cluster-status-result";
import { parseLeofsStatus, parseRunsvstat } from "../../../src/procedures";
import { makePlan, makeRun } from "../../helpers/slack/run-fixtures";
import { statusText, type Row } from "../procedures/status-text";

const SAMPLE = fs.readFileSync(path.join(__dirname, "../procedures/fixtures/leofs-status-1.4.3.txt"), "utf8");
const MASTER_OK: ConsoleAttempt = { console: "master", host: "leofs-m0", port: 10010, outcome: "ok", detail: "", durationMs: 40 };

function leofs(text: string, attempts: readonly ConsoleAttempt[] = [MASTER_OK]): LeofsClusterStatus {
  return { ok: true, kind: "leofs", cluster: "prod", status: parseLeofsStatus(text), attempts, queriedAt: "2026-01-01T10:00:00.000Z", durationMs: 120 };
}

/** Every text of the message, as the operator reads it (code blocks included). */
function allText(payload: MessagePayload): string {
  return payload.blocks
    .flatMap((b) => (b.type === "section" ? [b.text?.text ?? ""] : b.type === "context" ? b.elements.map((e) => e.text) : b.type === "header" ? [b.text.text] : []))
    .join("\n");
}

function tableRows(payload: MessagePayload): string[] {
  return payload.blocks
    .flatMap((b) => (b.type === "section" && b.text?.text.startsWith("```") === true ? b.text.text.split("\n") : []))
    .filter((l) => /^[SG] {2}/.test(l));
}

function expectWithinLimits(payload: MessagePayload): void {
  expect(validateBlocks(payload.blocks, "message")).toEqual([]);
  expect(payload.text.length).toBeGreaterThan(0);
  expect(payload.text.length).toBeLessThanOrEqual(3000);
}

const row = (type: "S" | "G", i: number, state: string, ring: readonly [string, string] = ["8a6ef4cb", "8a6ef4cb"]): Row => ({
  type,
  node: `${type === "S" ? "storage" : "gateway"}_${i}@10.0.${Math.floor(i / 250)}.${i % 250}`,
  state,
  ring,
});

describe("renderClusterStatus: LeoFS", () => {
  it("a healthy cluster: verdict, version, ring hash, replicas and one row per node in a code block", () => {
    const msg = renderClusterStatus(leofs(SAMPLE));
    expectWithinLimits(msg);
    const text = allText(msg);
    const header = msg.blocks[0];
    expect(header?.type === "header" ? header.text.text : undefined).toBe("Status of prod");
    expect(text).toContain(":white_check_mark: all 4 nodes running, rings consistent");
    expect(text).toContain("LeoFS 1.4.3");
    expect(text).toContain("manager ring `8a6ef4cb` (prev `8a6ef4cb`)");
    expect(text).toContain("replicas 3");
    expect(text).toContain("R/W/D 1/2/2");
    const rows = tableRows(msg);
    expect(rows).toHaveLength(4);
    expect(rows[0]).toMatch(/^S {2}storage_0@10\.0\.0\.104 +running +8a6ef4cb\/8a6ef4cb$/);
    expect(rows[3]).toMatch(/^G {2}gateway_0@10\.0\.0\.103 +running +8a6ef4cb\/8a6ef4cb$/);
    expect(text).not.toContain("ring differs");
    expect(msg.text).toBe("Status of prod: all 4 nodes running, rings consistent");
  });

  it("a stopped node and a mismatched ring are named in the verdict and the ring is flagged in its row", () => {
    const text = statusText({
      ring: ["8a6ef4cb", "8a6ef4cb"],
      rows: [row("S", 0, "running"), row("S", 1, "stop", ["", ""]), row("S", 2, "running", ["deadbeef", "8a6ef4cb"]), row("G", 0, "running")],
    });
    const msg = renderClusterStatus(leofs(text));
    expectWithinLimits(msg);
    const all = allText(msg);
    expect(all).toContain(":warning: storage_1 is stop; ring of storage_2 differs from the manager's (deadbeef/8a6ef4cb vs 8a6ef4cb/8a6ef4cb)");
    const rows = tableRows(msg);
    expect(rows.find((r) => r.includes("storage_1@"))).toMatch(/stop +-\/-$/);
    expect(rows.find((r) => r.includes("storage_2@"))).toMatch(/running +deadbeef\/8a6ef4cb !$/);
    expect(rows.filter((r) => r.endsWith("!"))).toHaveLength(1);
    expect(all).toContain("`!` ring differs from the manager's");
  });

  it("a detached node's -1 ring and an attached node's blank ring are not flagged as mismatches", () => {
    const text = statusText({ ring: ["8a6ef4cb", "8a6ef4cb"], rows: [row("S", 0, "running"), row("S", 1, "detached", ["-1", "-1"]), row("S", 2, "attached", ["", ""])] });
    const msg = renderClusterStatus(leofs(text));
    expect(allText(msg)).toContain(":warning: storage_1 is detached; storage_2 is attached");
    expect(tableRows(msg).some((r) => r.endsWith("!"))).toBe(false);
  });

  it("an answer from the slave console says the master's did not answer", () => {
    const master: ConsoleAttempt = { console: "master", host: "leofs-m0", port: 10010, outcome: "console_unreachable", detail: "Error: couldn't connect to LeoFS Manager", durationMs: 30 };
    const slave: ConsoleAttempt = { console: "slave", host: "leofs-m1", port: 10011, outcome: "ok", detail: "", durationMs: 40 };
    const msg = renderClusterStatus(leofs(SAMPLE, [master, slave]));
    expectWithinLimits(msg);
    expect(allText(msg)).toContain("master console leofs-m0:10010: console unreachable \u2014 Error: couldn't connect to LeoFS Manager; answered by the slave console (leofs-m1:10011)");
  });

  it("a 100-node cluster with long node names still fits, and every node needing a look stays in the table", () => {
    const rows: Row[] = Array.from({ length: 100 }, (_, i) => ({
      type: i < 90 ? ("S" as const) : ("G" as const),
      node: `storage_node_with_a_long_name_${i}@leofs-storage-${i}.dc1.example.org`,
      state: i === 57 ? "stop" : "running",
      ring: i === 83 ? (["deadbeef", "8a6ef4cb"] as const) : (["8a6ef4cb", "8a6ef4cb"] as const),
    }));
    const msg = renderClusterStatus(leofs(statusText({ ring: ["8a6ef4cb", "8a6ef4cb"], rows })), { activeRuns: [] });
    expectWithinLimits(msg);
    const table = tableRows(msg);
    expect(table.length).toBeGreaterThan(50);
    const all = allText(msg);
    expect(all).toContain("storage_node_with_a_long_name_57 is stop");
    expect(all).toContain("ring of storage_node_with_a_long_name_83 differs");
    expect(table.some((r) => r.includes("_57@") && / stop /.test(r))).toBe(true);
    expect(table.some((r) => r.includes("_83@") && r.endsWith("!"))).toBe(true);
    const hidden = /\u2026 (\d+) more nodes not shown/.exec(all);
    expect(table.length + Number(hidden?.[1] ?? 0)).toBe(100);
  });

  it("100 nodes with short names are all shown", () => {
    const rows = Array.from({ length: 100 }, (_, i) => row("S", i, "running"));
    const msg = renderClusterStatus(leofs(statusText({ ring: ["8a6ef4cb", "8a6ef4cb"], rows, replicas: 3 })));
    expectWithinLimits(msg);
    expect(tableRows(msg)).toHaveLength(100);
    expect(allText(msg)).toContain("all 100 nodes running, rings consistent");
  });

  it("a cluster not started yet says the manager has no ring", () => {
    const text = statusText({ ring: ["", ""], rows: [row("S", 0, "attached", ["", ""])] });
    const msg = renderClusterStatus(leofs(text));
    expect(allText(msg)).toContain("the manager has no ring yet");
    expect(allText(msg)).toContain("manager ring none yet");
  });

  it("shows who holds the cluster's lock when given the active runs", () => {
    const run = makeRun(makePlan(3), { id: "r-lock-1", requestedBy: "U0HOLDER" });
    const locked = allText(renderClusterStatus(leofs(SAMPLE), { activeRuns: [run] }));
    expect(locked).toContain(":lock:");
    expect(locked).toContain("`r-lock-1`");
    expect(locked).toContain("<@U0HOLDER>");
    expect(allText(renderClusterStatus(leofs(SAMPLE), { activeRuns: [] }))).toContain("the cluster is not locked");
  });
});

describe("renderClusterStatus: failures", () => {
  it("both consoles unreachable: what was tried, console by console", () => {
    const result: ClusterStatusResult = {
      ok: false,
      kind: "leofs",
      cluster: "prod",
      code: "console_unreachable",
      message: "the master console (leofs-m0:10010) did not answer: Error: couldn't connect to LeoFS Manager; tried the slave console (leofs-m1:10011) did not answer: no answer within 8s",
      attempts: [
        { console: "master", host: "leofs-m0", port: 10010, outcome: "console_unreachable", detail: "Error: couldn't connect to LeoFS Manager", durationMs: 20 },
        { console: "slave", host: "leofs-m1", port: 10011, outcome: "console_unreachable", detail: "no answer within 8s", durationMs: 8000 },
      ],
      queriedAt: "2026-01-01T10:00:00.000Z",
      durationMs: 8020,
    };
    const msg = renderClusterStatus(result);
    expectWithinLimits(msg);
    const text = allText(msg);
    expect(text).toContain(":x: *No status for `prod`*: the master console (leofs-m0:10010) did not answer");
    expect(text).toContain("\u2022 master console leofs-m0:10010: console unreachable");
    expect(text).toContain("\u2022 slave console leofs-m1:10011: console unreachable \u2014 no answer within 8s");
    expect(text).toContain("`console_unreachable`");
    expect(tableRows(msg)).toEqual([]);
  });

  it("no worker: a clear message, mrkdwn in it escaped", () => {
    const msg = renderClusterStatus({ ok: false, cluster: "prod<@U0EVIL>", code: "no_worker", message: "no worker answered within 20s", attempts: [], queriedAt: "2026-01-01T10:00:00.000Z", durationMs: 20000 });
    expectWithinLimits(msg);
    expect(allText(msg)).toContain("no worker answered within 20s");
    // Plain-text headers render no mentions; every mrkdwn text must not carry one either.
    expect(JSON.stringify(msg.blocks.filter((b) => b.type !== "header"))).not.toContain("<@U0EVIL>");
  });
});

describe("renderClusterStatus: DIRAC", () => {
  it("one table per box with each service's runit state; down services named in the verdict", () => {
    const result: DiracClusterStatus = {
      ok: true,
      kind: "dirac",
      cluster: "lhcb",
      queriedAt: "2026-01-01T10:00:00.000Z",
      durationMs: 90,
      boxes: [
        {
          host: "volhcb20",
          ok: true,
          services: parseRunsvstat(
            "/opt/dirac/startup/WorkloadManagement_PilotStatusAgent: run (pid 4029) 1697 seconds\n/opt/dirac/startup/DataManagement_FTS3Agent: down 3 seconds, normally up\n",
          ),
        },
        { host: "volhcb21", ok: false, services: [], error: "connect ECONNREFUSED 127.0.0.41:2222" },
      ],
    };
    const msg = renderClusterStatus(result);
    expectWithinLimits(msg);
    const text = allText(msg);
    expect(text).toContain(":warning: volhcb21 could not be asked; volhcb20: DataManagement_FTS3Agent is not running");
    expect(text).toMatch(/WorkloadManagement_PilotStatusAgent +run \(pid 4029\) 28m 17s/);
    expect(text).toMatch(/DataManagement_FTS3Agent +down 3s, normally up/);
    expect(text).toContain("*volhcb21*: could not be asked \u2014 connect ECONNREFUSED");
  });
});
