import fs from "node:fs/promises";
import path from "node:path";

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};

/**
 * The page is plain files, served as they are (no build step). A transpiled copy
 * (the bench's) has no assets beside it, so it reads them from the source tree.
 */
const ASSET_DIRS = [path.join(__dirname, "assets"), path.resolve(process.env.INTERVENE_REPO_ROOT ?? path.resolve(__dirname, "..", ".."), "sim", "console", "assets")];

export async function consoleAsset(name: string): Promise<{ readonly body: Buffer; readonly contentType: string } | undefined> {
  const contentType = CONTENT_TYPES[path.extname(name)];
  if (contentType === undefined || !/^[a-z0-9-]+\.[a-z]+$/.test(name)) return undefined;
  for (const dir of ASSET_DIRS) {
    try {
      return { body: await fs.readFile(path.join(dir, name)), contentType };
    } catch {
      // try the next place
    }
  }
  return undefined;
}
