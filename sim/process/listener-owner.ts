import fs from "node:fs";

/** `127.0.0.1` as /proc/net/tcp writes it: the address's bytes in host (little-endian) order, in hex. */
function procAddress(host: string): string {
  const octets = host.split(".").map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) throw new Error(`not an IPv4 address: ${host}`);
  return octets.reverse().map((o) => o.toString(16).padStart(2, "0")).join("").toUpperCase();
}

/** Inodes of the LISTEN sockets on host:port (or on 0.0.0.0:port) in a /proc/net/tcp text. */
export function listenInodes(procNetTcp: string, host: string, port: number): Set<string> {
  const wanted = [`${procAddress(host)}:${port.toString(16).toUpperCase().padStart(4, "0")}`, `00000000:${port.toString(16).toUpperCase().padStart(4, "0")}`];
  const inodes = new Set<string>();
  for (const line of procNetTcp.split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
    if (fields.length < 10 || fields[3] !== "0A") continue;
    if (wanted.includes(fields[1]!)) inodes.add(fields[9]!);
  }
  return inodes;
}

/**
 * Whether process `pid` itself holds the socket listening on host:port.
 * A daemon started on a port that freePort found free can lose it to another
 * test's daemon before it binds; it then exits, but a probe connecting to the
 * port in that moment is answered by the other daemon. Two simulated clusters
 * sharing one epmd would read each other's managers: one possible cause of a
 * CI run that saw a manager's Mnesia read `ok` right after its files were
 * garbled. Linux only, like the simulators.
 */
export function ownsListener(pid: number, host: string, port: number): boolean {
  const inodes = listenInodes(fs.readFileSync("/proc/net/tcp", "utf8"), host, port);
  if (inodes.size === 0) return false;
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false; // gone
  }
  for (const fd of fds) {
    let link: string;
    try {
      link = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue;
    }
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m !== null && inodes.has(m[1]!)) return true;
  }
  return false;
}
