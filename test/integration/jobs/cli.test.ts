import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { main, type CliIo } from "../../../src/cli/main";
import { getTestbed } from "../../helpers/testbed";
import { createHarness, testInventoryYaml, testPlan, type Harness } from "./helpers/jobs-harness";

const CLUSTERS = { c1: "{}" };

describe("the intervene CLI drives the same engine from a terminal", () => {
  let h: Harness;
  let dir: string;
  const saved = { ...process.env };
  let out: string;
  let err: string;

  beforeAll(() => {
    h = createHarness("cli", CLUSTERS);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-cli-"));
    const inventoryFile = path.join(dir, "inventory.yaml");
    // Issue 12 point 5: OS users mapped to Slack users; nobody else can act.
    fs.writeFileSync(inventoryFile, `${testInventoryYaml(CLUSTERS)}cli:\n  users:\n    alice: UREQ\n    bob: UAPP1\n`);
    const tb = getTestbed();
    Object.assign(process.env, { REDIS_URL: h.redisUrl, INVENTORY_FILE: inventoryFile, SSH_PRIVATE_KEY_FILE: tb.privateKeyPath, SSH_KNOWN_HOSTS_FILE: tb.knownHostsPath, LOG_LEVEL: "silent" });
  });
  afterAll(async () => {
    process.env = saved;
    await h.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  let osUser = "alice";
  let answer = false;
  let asked: string[] = [];
  const io: CliIo = {
    osUser: () => osUser,
    host: () => "ops-box",
    confirm: (question) => {
      asked.push(question);
      return Promise.resolve(answer);
    },
  };

  async function cli(...args: string[]): Promise<number> {
    out = "";
    asked = [];
    err = "";
    const o = jest.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
    const e = jest.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true));
    try {
      return await main([...args, "--prefix", h.prefix], io);
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
  }

  it("shows, lists, approves as the mapped OS user after showing what runs, refuses with the engine's code, and aborts", async () => {
    const plan = testPlan("c1", [{ id: "restart-manager", kind: "exec", destructive: true, targets: [{ host: "h2", command: "echo restart" }] }]);
    const run = await h.engine.start(plan, { userId: "UREQ" });

    expect(await cli("runs", "--active")).toBe(0);
    expect(out).toContain(`${run.id}  c1  test.procedure  awaiting_approval  step 0/1  by UREQ`);

    expect(await cli("show", run.id)).toBe(0);
    expect(out).toContain("[?] 0. restart-manager (exec, destructive) - awaiting_approval");
    expect(out).toContain("h2$ echo restart");
    expect(out).toMatch(/waiting for approval of step 0 \(attempt 1, 1 approval\(s\)/);
    expect(out).toContain("approval.requested step 0#1 by UREQ");

    // alice is UREQ, the requester: four-eyes holds on the command line too.
    osUser = "alice";
    expect(await cli("approve", run.id, "--step", "0", "--attempt", "1", "--yes")).toBe(2);
    expect(err).toContain("refused (SELF_APPROVAL)");
    // bob is UAPP1: shown exactly what runs, and asked; "no" approves nothing.
    osUser = "bob";
    answer = false;
    expect(await cli("approve", run.id, "--step", "0", "--attempt", "1")).toBe(64);
    expect(out).toContain(`Approving step 0 (restart-manager), attempt 1, of run ${run.id} (test.procedure on c1, plan`);
    expect(out).toContain("as UAPP1. It runs:\n  h2$ echo restart");
    expect(asked).toEqual(["Approve these 1 command(s)?"]);
    expect(err).toContain("not approved: answer yes at the prompt, or add --yes");
    expect((await h.engine.get(run.id))!.steps[0]!.approvals).toEqual([]);
    // A stale attempt is refused by the engine.
    expect(await cli("approve", run.id, "--step", "0", "--attempt", "2", "--yes")).toBe(2);
    expect(err).toContain("refused (STALE_GATE)");
    answer = true;
    expect(await cli("approve", run.id, "--step", "0", "--attempt", "1")).toBe(0);
    expect(out).toContain("[>] 0. restart-manager (exec, destructive) - queued");
    expect((await h.engine.get(run.id))!.steps[0]!.approvals.map((d) => d.userId)).toEqual(["UAPP1"]);
    // The audit says it came from the command line, as which OS user, on which host.
    const approved = (await h.engine.audit(run.id)).find((e) => e.type === "approved");
    expect(approved).toMatchObject({ actor: "UAPP1", data: { via: { kind: "cli", osUser: "bob", host: "ops-box" } } });

    // The incident report, in Markdown, from the run record and the audit (issue 16 point 1).
    expect(await cli("report", run.id)).toBe(0);
    expect(out).toContain(`# Incident report: ${run.plan.procedureTitle} on c1`);
    expect(out).toMatch(/\| UAPP1 \| approved \| 1\. restart-manager \| 1 \| via cli \(bob@ops-box\) \|/);

    osUser = "alice";
    expect(await cli("abort", run.id, "--now")).toBe(0);
    expect(out).toContain("state aborted");
    expect(await cli("runs", "--active")).toBe(0);
    expect(out.trim()).toBe("no runs");
  });

  it("reports usage errors and unknown procedures clearly", async () => {
    expect(await cli("approve")).toBe(64);
    expect(err).toContain("needs a run id");
    osUser = "alice";
    expect(await cli("run", "leofs.no-such-thing", "--cluster", "c1", "--dry-run")).toBe(2);
    expect(err).toMatch(/refused \(PARAMS\): .*leofs.no-such-thing/);
    expect(await cli("show", "rnothere")).toBe(2);
    expect(err).toContain("refused (NOT_FOUND)");
  });

  it("an OS user the inventory does not map acts as nobody", async () => {
    osUser = "mallory";
    expect(await cli("abort", "r1")).toBe(77);
    expect(err).toContain("refused: the OS user mallory has no Slack identity in");
    expect(err).toContain("add cli: { users: { mallory: U0123ABCD } }");
    expect(await cli("approve", "r1", "--step", "0", "--attempt", "1", "--as", "UAPP1")).toBe(64);
    expect(err).toContain("--as is gone");
  });
});
