import type { LeofsSim } from "./start-leofs-sim";

/**
 * Seed 000 Case 1's starting point: a manager whose Mnesia files are garbled
 * and that was restarted on them, so it runs but its Mnesia does not start.
 * Used by `npm run demo` and by the tests. Each stage is checked, so that a
 * failure names the stage that went wrong: the stop answered; the VM is gone
 * before the files are touched (a VM still shutting down closes its open
 * tables, and dets writes its header back into a garbled schema.DAT); the
 * files read as garbled; the start answered.
 */
export async function breakManagerMnesia(sim: LeofsSim, role: "manager-master" | "manager-slave"): Promise<void> {
  const h = sim.hostOf(role);
  const run = async (what: string, command: string): Promise<void> => {
    const r = await sim.exec(h.name, `${h.launchScript} ${command}`);
    if (r.code !== 0) throw new Error(`${what} ${h.node} exited ${r.code}: ${r.stdout}${r.stderr}`);
  };
  await run("stopping before corrupting the Mnesia of", "stop");
  const deadline = Date.now() + 30_000;
  while ((await sim.state.mnesiaOf(h.node)).running) {
    if (Date.now() > deadline) throw new Error(`${h.node}'s VM still runs 30 s after its launch script's stop answered`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await sim.fault.corruptMnesia(h.node);
  const files = (await sim.state.mnesiaOf(h.node)).files;
  if (files !== "corrupt") throw new Error(`${h.node}'s Mnesia files read '${files}' right after the simulator garbled them, before any start`);
  await run("restarting on corrupt Mnesia", "start");
}
