import os from "node:os";
import path from "node:path";

/**
 * Expands a leading `~` or `~/` to the home directory, as a shell would, since
 * neither Node nor ssh2 does. `~user/` forms are not supported and stay as is.
 */
export function expandTilde(file: string, homeDir: string = os.homedir()): string {
  if (file === "~") return homeDir;
  if (file.startsWith("~/")) return path.join(homeDir, file.slice(2));
  return file;
}
