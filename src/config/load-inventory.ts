import { readFileSync } from "node:fs";
import type { Inventory } from "./inventory";
import { InventoryError } from "./inventory-error";
import { parseInventory, type InventoryOptions } from "./parse-inventory";

/**
 * Reads and validates the inventory file (INVENTORY_FILE). Synchronous: it
 * runs once at start, before anything else can usefully happen.
 * `loadInventory(settings)` works since Settings satisfies InventoryOptions.
 */
export function loadInventory(options: InventoryOptions): Inventory {
  const file = options.inventoryFile;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new InventoryError(file, [{ path: "", message: readFailure(error) }]);
  }
  return parseInventory(text, options);
}

function readFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") {
    return "file not found (INVENTORY_FILE selects the inventory; config/inventory.example.yaml shows the format)";
  }
  if (code === "EISDIR") return "is a directory, expected an inventory YAML file (check INVENTORY_FILE)";
  if (code === "EACCES") return "permission denied reading the inventory";
  return `cannot read the inventory: ${error instanceof Error ? error.message : String(error)}`;
}
