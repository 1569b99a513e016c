import fs from "node:fs";
import YAML from "yaml";

interface InventoryDocument {
  version: number;
  defaults?: { approval?: unknown; ssh?: Record<string, unknown> };
  clusters: Record<string, Record<string, unknown>>;
}

/**
 * One inventory from the simulators' own files: each sim's default SSH
 * settings (its key, its pinned known_hosts) move into its clusters, which
 * the inventory format lets override the defaults; approval defaults are
 * taken from the first file (the demo gives every sim the same policy).
 */
export function mergeInventories(files: readonly string[], target: string): void {
  const docs = files.map((f) => YAML.parse(fs.readFileSync(f, "utf8")) as InventoryDocument);
  const merged: InventoryDocument = { version: 1, defaults: { approval: docs[0]?.defaults?.approval }, clusters: {} };
  for (const doc of docs) {
    for (const [name, cluster] of Object.entries(doc.clusters)) {
      if (Object.hasOwn(merged.clusters, name)) throw new Error(`two simulators define cluster ${name}`);
      const own = (cluster.ssh ?? {}) as Record<string, unknown>;
      merged.clusters[name] = { ...cluster, ssh: { ...doc.defaults?.ssh, ...own } };
    }
  }
  fs.writeFileSync(target, YAML.stringify(merged));
}
