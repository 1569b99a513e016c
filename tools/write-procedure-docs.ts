/**
 * `npm run docs`: writes docs/procedures/<id>.md for every catalog procedure
 * (and an index), planned on config/inventory.example.yaml at a fixed time so
 * that two runs write the same bytes. `--check` writes nothing and exits 1
 * when a file differs (the test does the same in-process).
 */
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { parseInventory, type Inventory } from "../src/config";
import { listProcedures, type CatalogProcedure } from "../src/procedures/catalog";
import { planProcedure } from "../src/procedures/planning/plan-procedure";
import { renderProcedureDoc, type DocExample } from "./render-procedure-doc";

const ROOT = path.resolve(__dirname, "..");
export const DOCS_DIR = path.join(ROOT, "docs", "procedures");
const EXAMPLE_INVENTORY = path.join(ROOT, "config", "inventory.example.yaml");
/** Plans are timestamped (backup paths): a fixed time keeps the documents stable. */
const PLANNED_AT = new Date("2026-01-01T00:00:00.000Z");
const SPARE = { name: "leofs-m2", address: "10.0.0.107" };

interface ExampleSpec {
  readonly cluster: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly withSpare?: boolean;
}

/** The examples each procedure is documented with; a procedure added without any fails `npm run docs`. */
const EXAMPLES: Readonly<Record<string, readonly ExampleSpec[]>> = {
  "leofs.recover-manager": [{ cluster: "prod", params: { target: "manager-slave" } }],
  "leofs.takeover-manager": [{ cluster: "prod", params: { replace: "manager-slave", newHost: SPARE.name, newNode: `manager_2@${SPARE.address}` }, withSpare: true }],
  "leofs.launch": [{ cluster: "prod", params: {} }, { cluster: "prod", params: { forceStart: "slave" } }],
  "leofs.storage": [
    { cluster: "prod", params: { operation: "suspend", node: "storage_1@10.0.0.105" } },
    { cluster: "prod", params: { operation: "detach", node: "storage_1@10.0.0.105" } },
  ],
  "leofs.upgrade": [{ cluster: "prod", params: { target: "storage_1@10.0.0.105", version: "1.4.4" } }],
  "dirac.intervention": [{ cluster: "lhcb", params: { innodbJournal: true } }],
};

function exampleInventory(withSpare: boolean): Inventory {
  const doc = YAML.parse(fs.readFileSync(EXAMPLE_INVENTORY, "utf8")) as { clusters: Record<string, { hosts: Record<string, unknown> }> };
  if (withSpare) doc.clusters.prod!.hosts[SPARE.name] = { address: SPARE.address, os: "deb" };
  // The example's key files need not exist: planning reads no file.
  return parseInventory(YAML.stringify(doc), { inventoryFile: "config/inventory.example.yaml", ssh: { privateKeyFile: "~/.ssh/id_ed25519", knownHostsFile: "~/.ssh/known_hosts" }, homeDir: "/home/operator" });
}

function examplesOf(procedure: CatalogProcedure): DocExample[] {
  const specs = EXAMPLES[procedure.id];
  if (specs === undefined || specs.length === 0) throw new Error(`tools/write-procedure-docs.ts has no example for ${procedure.id}: add one to EXAMPLES`);
  return specs.map((spec) => {
    const cluster = exampleInventory(spec.withSpare === true).clusters[spec.cluster];
    if (cluster === undefined) throw new Error(`the example inventory has no cluster ${spec.cluster}`);
    return {
      cluster: spec.cluster,
      params: spec.params,
      ...(spec.withSpare === true ? { inventoryNote: `The example inventory, with a spare host \`${SPARE.name}\` (${SPARE.address}) added under \`clusters.prod.hosts\`.` } : {}),
      plan: planProcedure(procedure, cluster, spec.cluster, spec.params, PLANNED_AT),
    };
  });
}

/** Every document, by file name. */
export function renderProcedureDocs(): Map<string, string> {
  const files = new Map<string, string>();
  const procedures = listProcedures();
  for (const procedure of procedures) files.set(`${procedure.id}.md`, renderProcedureDoc(procedure, examplesOf(procedure)));
  files.set(
    "README.md",
    [
      "# Procedures",
      "",
      "<!-- Written by `npm run docs`; do not edit. -->",
      "",
      "Each procedure as a document: its parameters and the exact plan intervene makes on `config/inventory.example.yaml`.",
      "",
      "| procedure | what it does |",
      "| --- | --- |",
      ...procedures.map((p) => `| [\`${p.id}\`](${p.id}.md) | ${p.title} |`),
      "",
    ].join("\n"),
  );
  return files;
}

function main(argv: readonly string[]): number {
  const check = argv.includes("--check");
  const files = renderProcedureDocs();
  const stale: string[] = [];
  if (!check) fs.mkdirSync(DOCS_DIR, { recursive: true });
  for (const [name, text] of files) {
    const file = path.join(DOCS_DIR, name);
    const current = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
    if (current === text) continue;
    if (check) stale.push(name);
    else fs.writeFileSync(file, text);
  }
  if (check && stale.length > 0) {
    process.stderr.write(`docs/procedures is out of date (${stale.join(", ")}): run npm run docs\n`);
    return 1;
  }
  process.stdout.write(check ? "docs/procedures is up to date\n" : `wrote ${files.size} files to ${path.relative(process.cwd(), DOCS_DIR) || DOCS_DIR}\n`);
  return 0;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
