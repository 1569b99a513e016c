import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { moveIntoBackup } from "../../../src/procedures/leofs/move-into-backup";

/** The command as a host runs it, on a scratch tree with a space in its paths. */
describe("moveIntoBackup (issue 11 point 12: the backup step can run again)", () => {
  let root: string;
  let dir: string;
  let backup: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "move into backup-"));
    dir = path.join(root, "work", "mnesia", "127.0.0.1");
    backup = path.join(root, "backups", "prod", "20240501T102030Z-manager-slave-mnesia");
    fs.mkdirSync(dir, { recursive: true });
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const run = (whenNothing: "refuse" | "record-empty") => {
    const r = spawnSync("bash", ["-c", moveIntoBackup(dir, backup, whenNothing)], { encoding: "utf8" });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const files = (d: string) => (fs.existsSync(d) ? fs.readdirSync(d).sort() : []);

  it("moves the set, then on a second run says it was moved already and changes nothing", () => {
    for (const f of ["schema.DAT", "leo_ring_cur.DCD", "LATEST.LOG"]) fs.writeFileSync(path.join(dir, f), f);
    expect(run("refuse")).toEqual({ code: 0, stdout: `moved 3 entries to ${backup}\n`, stderr: "" });
    expect(files(dir)).toEqual([]);
    expect(files(backup)).toEqual(["LATEST.LOG", "leo_ring_cur.DCD", "schema.DAT"]);
    expect(run("refuse")).toEqual({ code: 0, stdout: `intervene: ${backup} already holds the set, moved by an earlier attempt: nothing to do\n`, stderr: "" });
    expect(files(backup)).toEqual(["LATEST.LOG", "leo_ring_cur.DCD", "schema.DAT"]);
  });

  it("refuses an empty Mnesia directory with no earlier backup, naming both paths", () => {
    const r = run("refuse");
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`intervene: refusing: no files in ${dir} nor in ${backup}: no set to back up; check the Mnesia path\n`);
  });

  it("records an empty directory as nothing to move when the caller allows it (a fresh manager)", () => {
    expect(run("record-empty")).toEqual({ code: 0, stdout: `intervene: ${dir} holds no files: nothing to move aside\n`, stderr: "" });
    expect(fs.statSync(backup).isDirectory()).toBe(true);
    expect(run("record-empty").code).toBe(0);
  });

  it("refuses to merge when both the directory and the backup hold files (a move cut short, or files written since)", () => {
    fs.mkdirSync(backup, { recursive: true });
    fs.writeFileSync(path.join(backup, "schema.DAT"), "old");
    fs.writeFileSync(path.join(dir, "schema.DAT"), "new");
    const r = run("refuse");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("hold files (a move cut short?)");
    expect(fs.readFileSync(path.join(backup, "schema.DAT"), "utf8")).toBe("old");
    expect(fs.readFileSync(path.join(dir, "schema.DAT"), "utf8")).toBe("new");
  });
});
