import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { main } from "../../../src/cli/main";
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
    fs.writeFileSync(inventoryFile, testInventoryYaml(CLUSTERS));
    const tb = getTestbed();
    Object.assign(process.env, { REDIS_URL: h.redisUrl, INVENTORY_FILE: inventoryFile, SSH_PRIVATE_KEY_FILE: tb.privateKeyPath, SSH_KNOWN_HOSTS_FILE: tb.knownHostsPath, LOG_LEVEL: "silent" });
  });
  afterAll(async () => {
    process.env = saved;
    await h.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function cli(...args: string[]): Promise<number> {
    out = "";
    err = "";
    const o = jest.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
    const e = jest.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true));
    try {
      return await main([...args, "--prefix", h.prefix]);
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
  }

  it("shows, lists, approves with --as, refuses with the engine's code, and aborts", async () => {
    const plan = testPlan("c1", [{ id: "restart-manager", kind: "exec", destructive: true, targets: [{ host: "h2", command: "echo restart" }] }]);
    const run = await h.engine.start(plan, { userId: "UREQ" });

    expect(await cli("runs", "--active")).toBe(0);
    expect(out).toContain(`${run.id}  c1  test.procedure  awaiting_approval  step 0/1  by UREQ`);

    expect(await cli("show", run.id)).toBe(0);
    expect(out).toContain("[?] 0. restart-manager (exec, destructive) - awaiting_approval");
    expect(out).toContain("h2$ echo restart");
    expect(out).toMatch(/waiting for approval of step 0 \(attempt 1, 1 approval\(s\)/);
    expect(out).toContain("approval.requested step 0#1 by UREQ");

    expect(await cli("approve", run.id, "--step", "0", "--as", "UREQ")).toBe(2);
    expect(err).toContain("refused (SELF_APPROVAL)");
    expect(await cli("approve", run.id, "--as", "UONCALL", "--groups", "SOPS")).toBe(0);
    expect(out).toContain("[>] 0. restart-manager (exec, destructive) - queued");
    expect((await h.engine.get(run.id))!.steps[0]!.approvals.map((d) => d.userId)).toEqual(["UONCALL"]);

    expect(await cli("abort", run.id, "--as", "UREQ", "--now")).toBe(0);
    expect(out).toContain("state aborted");
    expect(await cli("runs", "--active")).toBe(0);
    expect(out.trim()).toBe("no runs");
  });

  it("reports usage errors and unknown procedures clearly", async () => {
    expect(await cli("approve")).toBe(64);
    expect(err).toContain("needs a run id");
    expect(await cli("run", "leofs.no-such-thing", "--cluster", "c1", "--as", "UREQ", "--dry-run")).toBe(2);
    expect(err).toMatch(/refused \(PARAMS\): .*leofs.no-such-thing/);
    expect(await cli("show", "rnothere")).toBe(2);
    expect(err).toContain("refused (NOT_FOUND)");
  });
});
