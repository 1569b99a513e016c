/**
 * REDIS_SENTINELS: `host:port` entries separated by commas, e.g.
 * `10.0.0.1:26379,10.0.0.2:26379` (an IPv6 address in brackets,
 * `[::1]:26379`). Returns the addresses, or what is wrong with each bad entry.
 */
export function parseSentinelList(text: string): { readonly sentinels: { host: string; port: number }[] } | { readonly problems: string[] } {
  const sentinels: { host: string; port: number }[] = [];
  const problems: string[] = [];
  for (const raw of text.split(",")) {
    const entry = raw.trim();
    if (entry === "") {
      problems.push("an empty entry (two commas, or a comma at an end)");
      continue;
    }
    const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9_.-]+)):(\d{1,5})$/.exec(entry);
    const port = Number(match?.[3]);
    if (match === null || !(port >= 1 && port <= 65535)) {
      problems.push(`${JSON.stringify(entry)} is not host:port with a port from 1 to 65535`);
      continue;
    }
    sentinels.push({ host: match[1] ?? match[2] ?? "", port });
  }
  return problems.length > 0 ? { problems } : { sentinels };
}
