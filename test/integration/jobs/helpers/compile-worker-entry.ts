import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import ts from "typescript";

const ROOT = path.resolve(__dirname, "..", "..", "..", "..");
const SOURCES = ["src", "sim", "test/helpers", "test/integration/jobs"];

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(full);
    return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") && !e.name.endsWith(".test.ts") ? [full] : [];
  });
}

/**
 * Transpiles (no type check) the product and the worker fixture once into a
 * temp dir, so each crash-test worker process starts in well under a second
 * instead of compiling through ts-node every time. Returns the entry's path.
 */
export function compileWorkerEntry(): { entry: string; dir: string; env: Record<string, string> } {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-worker-js-"));
  for (const source of SOURCES) {
    for (const file of tsFiles(path.join(ROOT, source))) {
      const { outputText } = ts.transpileModule(fs.readFileSync(file, "utf8"), {
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, isolatedModules: true },
        fileName: file,
      });
      const target = path.join(out, path.relative(ROOT, file)).replace(/\.ts$/, ".js");
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, outputText);
    }
  }
  return {
    entry: path.join(out, "test/integration/jobs/fixtures/worker-process.js"),
    dir: out,
    env: { NODE_PATH: path.join(ROOT, "node_modules"), INTERVENE_REPO_ROOT: ROOT },
  };
}
