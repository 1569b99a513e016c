/** Renders `leofs-adm status` the way the 1.4 formatter does (reference §1), for test variants. */
export interface Row {
  readonly type: "S" | "G";
  readonly node: string;
  readonly state: string;
  readonly rack?: string;
  readonly ring: readonly [string, string];
  readonly at?: string;
}

const centre = (s: string, width: number): string => {
  const left = Math.floor((width - s.length) / 2);
  return " ".repeat(Math.max(0, left)) + s + " ".repeat(Math.max(0, width - s.length - left));
};
const left = (s: string, width: number): string => s.padEnd(width);

export function statusText(opts: { ring: readonly [string, string]; rows: readonly Row[]; replicas?: number; rackColumn?: boolean }): string {
  const system = [
    " [System Confiuration]",
    "-----------------------------------+----------",
    " Item                              | Value    ",
    "-----------------------------------+----------",
    " Basic/Consistency level",
    "-----------------------------------+----------",
    "                    system version | 1.4.3",
    "                        cluster Id | leofs_1",
    "                             DC Id | dc_1",
    `                    Total replicas | ${opts.replicas ?? 3}`,
    "          number of successes of R | 1",
    "          number of successes of W | 2",
    "          number of successes of D | 2",
    " number of rack-awareness replicas | 0",
    "                         ring size | 2^128",
    "-----------------------------------+----------",
    " Manager RING hash",
    "-----------------------------------+----------",
    `                 current ring-hash | ${opts.ring[0]}`,
    `                previous ring-hash | ${opts.ring[1]}`,
    "-----------------------------------+----------",
    "",
  ];
  if (opts.rows.length === 0) return system.join("\r\n");
  const rack = opts.rackColumn ?? true;
  const nodeLen = Math.max(...opts.rows.map((r) => r.node.length)) + 5;
  const rackLen = Math.max(...opts.rows.map((r) => (r.rack ?? "").length)) + 7;
  const cols: [string, number][] = [["type", 6], ["node", nodeLen], ["state", 12], ...(rack ? [["rack id", rackLen] as [string, number]] : []), ["current ring", 14], ["prev ring", 14]];
  const rule = cols.map(([name, len]) => "-".repeat(name === "type" ? len + 1 : len + 2)).join("+") + "+" + "-".repeat(28);
  const header = cols.map(([name, len]) => centre(name, len)).join(" | ") + " | " + centre("updated at", 28);
  const rows = opts.rows.map((r) =>
    [centre(r.type, 6), left(r.node, nodeLen), left(r.state, 12), ...(rack ? [left(r.rack ?? "", rackLen)] : []), left(r.ring[0], 14), left(r.ring[1], 14)].join(" | ") +
    " | " +
    (r.at ?? "2024-05-01 10:00:00 +0000"),
  );
  return [...system, " [State of Node(s)]", rule, header, rule, ...rows, rule, ""].join("\r\n");
}
