import fs from "node:fs";
import { getTestbed, type TestbedHost } from "../../helpers/testbed";
import type { SshTarget } from "../../../src/ssh";

/** The test bed's sshd hosts as executor targets, pinned by the test bed's known_hosts. */
export function testbedTargets(): SshTarget[] {
  const testbed = getTestbed();
  return testbed.hosts.map((h) => targetOf(h, testbed.knownHostsPath));
}

export function targetOf(host: TestbedHost, knownHostsPath: string): SshTarget {
  return {
    host: host.address,
    port: host.port,
    username: host.username,
    privateKeyPath: getTestbed().privateKeyPath,
    knownHostsPath,
    hostLabel: `host${host.address.split(".")[3]}`,
    connectTimeoutMs: 5000,
  };
}

/** Pids of live (non-zombie) processes in a process group, read from this machine's /proc (the hosts are local). */
export function liveProcessesInGroup(pgid: number): number[] {
  const live: number[] = [];
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const [state, , pgrp] = fields;
    if (Number(pgrp) === pgid && state !== "Z" && state !== "X") live.push(Number(name));
  }
  return live;
}

export function isLive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}
