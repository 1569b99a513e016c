/**
 * `npm run config:check [-- --inventory <file>]`: validates the inventory
 * (INVENTORY_FILE, or `--inventory`) and prints what intervene would act on,
 * or every problem, one per line. Exit 0 valid, 1 invalid, 2 usage error.
 * Slack credentials are not needed: only the inventory and SSH fallbacks are read.
 */
import { ConfigError } from "./config-error";
import { formatInventorySummary } from "./format-inventory-summary";
import { loadDotenv } from "./load-dotenv";
import { inventoryLocationFromEnv } from "./load-env-config";
import { loadInventory } from "./load-inventory";

const USAGE = "usage: npm run config:check [-- --inventory <file>]";

export interface CheckConfigIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

export function runCheckConfig(argv: readonly string[], env: NodeJS.ProcessEnv, io: CheckConfigIo): number {
  const args = parseArgs(argv);
  if (args === "help") {
    io.out(USAGE);
    return 0;
  }
  if (typeof args === "string") {
    io.err(`${args}\n${USAGE}`);
    return 2;
  }
  try {
    const location = inventoryLocationFromEnv(env);
    const inventory = loadInventory({ ...location, inventoryFile: args.inventory ?? location.inventoryFile });
    io.out(formatInventorySummary(inventory));
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.err(error.message);
    return 1;
  }
}

/** `{ inventory }`, `"help"`, or an error message. */
function parseArgs(argv: readonly string[]): { inventory: string | undefined } | string {
  let inventory: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--help" || arg === "-h") return "help";
    if (arg === "--inventory") {
      inventory = argv[++i];
      if (inventory === undefined || inventory === "") return "--inventory needs a file";
    } else if (arg.startsWith("--inventory=")) {
      inventory = arg.slice("--inventory=".length);
    } else {
      return `unknown argument ${JSON.stringify(arg)}`;
    }
  }
  return { inventory };
}

if (require.main === module) {
  loadDotenv();
  process.exitCode = runCheckConfig(process.argv.slice(2), process.env, {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
  });
}
