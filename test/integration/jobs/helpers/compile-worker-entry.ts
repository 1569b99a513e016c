import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { transpileTree } from "../../../../sim/process/transpile-tree";

const ROOT = path.resolve(__dirname, "..", "..", "..", "..");
const SOURCES = ["src", "sim", "test/helpers", "test/integration/jobs"];

/**
 * Transpiles (no type check) the product and the worker fixture once into a
 * temp dir, so each crash-test worker process starts in well under a second
 * instead of compiling through ts-node every time. Returns the entry's path.
 */
export function compileWorkerEntry(): { entry: string; dir: string; env: Record<string, string> } {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-worker-js-"));
  transpileTree(ROOT, SOURCES, out);
  return {
    entry: path.join(out, "test/integration/jobs/fixtures/worker-process.js"),
    dir: out,
    env: { NODE_PATH: path.join(ROOT, "node_modules"), INTERVENE_REPO_ROOT: ROOT },
  };
}
