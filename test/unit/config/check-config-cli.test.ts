import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runCheckConfig } from "../../../src/config/check-config-cli";
import { BASE_INVENTORY, mutate } from "./inventory-fixture";

const EXAMPLE = path.join(__dirname, "../../../config/inventory.example.yaml");

function run(argv: string[], env: NodeJS.ProcessEnv = { HOME: "/home/op" }) {
  const out: string[] = [];
  const err: string[] = [];
  const code = runCheckConfig(argv, env, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("npm run config:check", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "intervene-config-check-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("prints the clusters, hosts, approvers and policy of a valid inventory, without Slack credentials", () => {
    const result = run(["--inventory", EXAMPLE]);
    expect(result).toMatchObject({ code: 0, err: "" });
    expect(result.out.split("\n")).toEqual(
      expect.arrayContaining([
        `${EXAMPLE}: valid, 2 cluster(s)`,
        "prod: leofs, channel C0LEOFSPROD - Production object store (Tokyo)",
        "  managers: master leofs-m0 manager_0@10.0.0.101 :10010, slave leofs-m1 manager_1@10.0.0.102 :10011",
        "    leofs-g0: leofs-ops@10.0.0.103:2222 via jump@bastion.example.net:22 deb",
        // Issue 11 point 5: the switch and what it means, before any run.
        "  nodes run by the launch scripts (bin/leo_* start|stop) (service: launch-script); never both on one node",
        "  approval: 2 of U0APPROVER1 U0APPROVER2 group S0SREONCALL, per-step, expires after 30m, no self-approval, requesters: U0OPERATOR1 group S0SREONCALL",
        "  approval for leofs.upgrade: 2 of U0APPROVER1 U0APPROVER2 group S0SREONCALL, per-run, expires after 30m, no self-approval, requesters: U0OPERATOR1 group S0SREONCALL",
        "lhcb: dirac, channel C0DIRACOPS - LHCb DIRAC VOBOXes",
        "  dirac setup LHCb-Production in /opt/dirac, framework server volhcb18, agents after 5m",
      ]),
    );
  });

  it("takes the file from INVENTORY_FILE when --inventory is not given", () => {
    const file = path.join(dir, "inventory.yaml");
    writeFileSync(file, BASE_INVENTORY);
    const result = run([], { INVENTORY_FILE: file, HOME: "/home/op" });
    expect(result.code).toBe(0);
    expect(result.out).toContain(`${file}: valid, 2 cluster(s)`);
  });

  it("prints every error, one per line, and exits 1", () => {
    const file = path.join(dir, "inventory.yaml");
    writeFileSync(file, mutate(BASE_INVENTORY, [["slave: { host: m1", "slave: { hots: m1"]]));
    expect(run([`--inventory=${file}`])).toEqual({
      code: 1,
      out: "",
      err: [
        `${file}: clusters.prod.leofs.managers.slave.host: required`,
        `${file}:15:18 clusters.prod.leofs.managers.slave.hots: unknown key (did you mean "host"?)`,
      ].join("\n"),
    });
  });

  it("says which file is missing", () => {
    const file = path.join(dir, "missing.yaml");
    expect(run(["--inventory", file])).toMatchObject({ code: 1, err: expect.stringContaining(`${file}: file not found`) as unknown });
  });

  it("refuses unknown arguments with usage, exit 2", () => {
    expect(run(["--inventroy", "x"])).toEqual({
      code: 2,
      out: "",
      err: 'unknown argument "--inventroy"\nusage: npm run config:check [-- --inventory <file>]',
    });
    expect(run(["--inventory"]).code).toBe(2);
  });
});
