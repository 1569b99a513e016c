import fs from "node:fs";
import path from "node:path";
import { parseLeofsStatus, type LeofsStatus } from "../../../src/procedures";
import { leofsAdm, type LeofsRole, type LeofsSim } from "../../../sim/leofs/start-leofs-sim";

/** `leofs-adm status` through the master's console over SSH, parsed by the product's parser. */
export async function parsedStatus(sim: LeofsSim): Promise<LeofsStatus> {
  const r = await sim.exec(sim.hostOf("manager-master").name, leofsAdm("status"));
  if (r.code !== 0) throw new Error(`leofs-adm status exited ${r.code}: ${r.stdout}${r.stderr}`);
  return parseLeofsStatus(r.stdout);
}

/** `<launch script> <command>` on the host of a role, over SSH. */
export async function launchScript(sim: LeofsSim, role: LeofsRole, command: string, index = 0): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const h = sim.hostOf(role, index);
  return sim.exec(h.name, `${h.launchScript} ${command}`);
}

export { breakManagerMnesia } from "../../../sim/leofs/break-manager-mnesia";

/** Files in the backup directories the procedures made (`<root>/var/backups/intervene/<cluster>/<ts>-<label>`) whose name ends in `label`. */
export function backupsOn(sim: LeofsSim, host: string, label: string): { readonly dir: string; readonly files: string[] }[] {
  const base = path.join(sim.host(host).root, "var/backups/intervene", sim.clusterName);
  if (!fs.existsSync(base)) return [];
  return fs
    .readdirSync(base)
    .filter((d) => d.endsWith(label))
    .sort()
    .map((d) => ({ dir: path.join(base, d), files: fs.readdirSync(path.join(base, d)).sort() }));
}

/** Everything a dry run must leave alone: node table, both managers' Mnesia, packages, sim processes, host trees. */
export async function leofsSnapshot(sim: LeofsSim): Promise<unknown> {
  const hosts: Record<string, unknown> = {};
  for (const h of sim.hosts) hosts[h.name] = { packages: await sim.state.installedVersions(h.name), epmd: await sim.state.epmdPids(h.name), tree: treeOf(h.root) };
  return {
    nodes: await sim.state.nodeStates(),
    mnesia: [await sim.state.mnesiaOf(0), await sim.state.mnesiaOf(1)],
    pids: (await sim.state.simPids()).sort((a, b) => a - b),
    hosts,
  };
}

/** Relative path, size and mtime of every file under `dir` (logs and Mnesia files included). */
export function treeOf(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else {
        const st = fs.lstatSync(full);
        out.push(`${path.relative(dir, full)} ${st.size} ${st.mtimeMs}`);
      }
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out.sort();
}
