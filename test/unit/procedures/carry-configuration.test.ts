import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { carryConfiguration } from "../../../src/procedures/leofs/upgrade-host-steps";

/**
 * Issue 11 point 4, on a scratch tree laid out as a LeoFS package lays out
 * etc/ (leo-project/leofs 1.4.4 rel/leo_storage/reltool.config.in: conf,
 * schema, environment, the `.d` override dir, snmp yml).
 */
describe("carryConfiguration: .conf and .environment carried, *.schema never", () => {
  let root: string;
  const at = (...p: string[]) => path.join(root, ...p);
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  };
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "carry conf-"));
    write(at("saved", "leo_storage.conf"), "nodename = storage_1@10.0.0.105\n");
    write(at("saved", "leo_storage.environment"), "RUNNER_USER=\nMAX_OPEN_FILES=131072\n");
    write(at("saved", "leo_storage.schema"), "%% 1.4.3 schema\n");
    write(at("saved", "leo_storage.d", "20-local.conf"), "obj_containers.num_of_containers = [64]\n");
    write(at("saved", "server_cert.pem"), "old cert\n");
    write(at("saved", "leo_storage_snmp.yml"), "old snmp\n");
    write(at("new", "leo_storage.conf"), "nodename = storage_0@127.0.0.1\n");
    write(at("new", "leo_storage.environment"), "RUNNER_USER=\n");
    write(at("new", "leo_storage.schema"), "%% 1.4.4 schema\n");
    write(at("new", "leo_storage_snmp.yml"), "new snmp\n");
    fs.mkdirSync(at("new", "leo_storage.d"));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const run = () => {
    const r = spawnSync("bash", ["-c", carryConfiguration(at("saved"), at("new"), at("pkg etc"), "leo_storage.conf").text], { encoding: "utf8" });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const read = (...p: string[]) => fs.readFileSync(at(...p), "utf8");

  it("puts the operator's conf, environment and overrides in the new etc/, keeps the package's schema, and saves the package's copies", () => {
    const r = run();
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout.split("\n").filter(Boolean).sort()).toEqual(
      [
        "carried leo_storage.conf",
        "carried leo_storage.d",
        "carried leo_storage.environment",
        "carried server_cert.pem (not in the package)",
        "kept the package's leo_storage.schema",
        "kept the package's leo_storage_snmp.yml",
      ].sort(),
    );
    expect(read("new", "leo_storage.conf")).toBe("nodename = storage_1@10.0.0.105\n");
    expect(read("new", "leo_storage.environment")).toContain("MAX_OPEN_FILES=131072");
    expect(read("new", "leo_storage.d", "20-local.conf")).toContain("num_of_containers");
    expect(read("new", "leo_storage.schema")).toBe("%% 1.4.4 schema\n");
    expect(read("new", "server_cert.pem")).toBe("old cert\n");
    expect(read("new", "leo_storage_snmp.yml")).toBe("new snmp\n");
    expect(read("pkg etc", "leo_storage.conf")).toBe("nodename = storage_0@127.0.0.1\n");
    expect(fs.existsSync(at("pkg etc", "leo_storage.schema"))).toBe(false);
  });

  it("runs again with the same result, and keeps the first copy of the package's files", () => {
    expect(run().code).toBe(0);
    expect(run().code).toBe(0);
    expect(read("new", "leo_storage.conf")).toBe("nodename = storage_1@10.0.0.105\n");
    expect(read("pkg etc", "leo_storage.conf")).toBe("nodename = storage_0@127.0.0.1\n");
    expect(fs.readdirSync(at("new")).filter((f) => f.endsWith(".carry"))).toEqual([]);
  });

  it("fails when the saved configuration is missing, and names nothing as carried", () => {
    fs.rmSync(at("saved"), { recursive: true });
    const r = run();
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe("");
  });
});
