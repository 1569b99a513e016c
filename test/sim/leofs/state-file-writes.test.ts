import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const LIB = path.resolve(__dirname, "../../../sim/leofs/sim/lib.sh");

/**
 * The sim's state files (unit states, config) are read by some commands
 * without the cluster lock: `systemctl is-active` reads a unit's state that
 * way, as the real one answers at once. A write must then never show a
 * reader a truncated file: CI's systemd upgrade e2e once read a booting unit
 * as `inactive` ("answers ping but leofs-manager-master is inactive"), where
 * real systemd never reports a state the unit is not in.
 */
describe("the LeoFS sim's state file writes", () => {
  let root: string;

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "leofs-sim-kv-"));
    fs.mkdirSync(path.join(root, "cluster"));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it("a reader without the lock sees the old or the new state of a unit while it is rewritten, never none", () => {
    const script = [
      `source ${JSON.stringify(LIB)}`,
      `f=${JSON.stringify(path.join(root, "units"))}`,
      `kv_set "$f" other-unit active`,
      `kv_set "$f" leofs-manager-master "activating start"`,
      // The writer flips the unit between two states, as a boot does; the reader reads all the while.
      `( for ((i = 0; i < 1500; i++)); do if ((i % 2)); then kv_set "$f" leofs-manager-master active; else kv_set "$f" leofs-manager-master "activating start"; fi; done ) &`,
      `w=$!; reads=0; bad=0`,
      `while kill -0 "$w" 2>/dev/null; do s=$(kv_get "$f" leofs-manager-master); reads=$((reads + 1)); [[ $s == active || $s == "activating start" ]] || bad=$((bad + 1)); done`,
      `wait "$w"`,
      `echo "$reads $bad $(kv_get "$f" other-unit)"`,
    ].join("\n");
    const run = spawnSync("bash", ["--norc", "--noprofile", "-c", script], { env: { LEOFS_SIM_ROOT: root, PATH: "/usr/bin:/bin" }, encoding: "utf8", timeout: 120_000 });
    expect(run.stderr).toBe("");
    const [reads, bad, other] = run.stdout.trim().split(" ");
    expect(Number(reads)).toBeGreaterThan(50);
    expect(Number(bad)).toBe(0);
    // Other keys of the file are kept by every write.
    expect(other).toBe("active");
    expect(fs.readdirSync(root).filter((f) => f.endsWith(".new"))).toEqual([]);
  });
});
