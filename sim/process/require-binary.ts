import fs from "node:fs";
import path from "node:path";

/** The path of an executable `name` on PATH or in the sbin directories (plus `extraDirs`), if any. */
export function findBinary(name: string, extraDirs: readonly string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(path.delimiter), ...extraDirs, "/usr/sbin", "/usr/local/sbin", "/sbin", "/usr/bin"];
  for (const dir of dirs) {
    if (dir === "") continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

/**
 * Finds a system binary the test bed needs, or fails the run with the command
 * that installs it. Tests never skip silently because a service is missing.
 */
export function requireBinary(name: string, aptPackage: string, extraDirs: readonly string[] = []): string {
  const found = findBinary(name, extraDirs);
  if (found === undefined) throw new Error(`${name} not found: the integration tests need it. Install it with: apt-get install -y ${aptPackage}`);
  return found;
}
