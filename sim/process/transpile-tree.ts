import fs from "node:fs";
import path from "node:path";
import ts from "typescript";

function* filesOf(dir: string): Generator<string> {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* filesOf(full);
    else yield full;
  }
}

/** Files read at run time beside the code (`npm run build` copies them too). */
const ASSETS = [".lua"];

/**
 * What `ts-node --transpile-only` does at run time, done ahead of time: each
 * file of `dirs` (relative to `root`) to CommonJS JavaScript under `outDir`,
 * same layout, with the assets beside them. Processes then start on plain
 * node, as the Dockerfile's `node dist/src/main.js` does, without a
 * TypeScript compiler in memory (most of their resident size, and most of a
 * second per start). Used by the bench and by the tests that spawn product
 * or worker processes.
 */
export function transpileTree(root: string, dirs: readonly string[], outDir: string): number {
  let count = 0;
  for (const dir of dirs) {
    for (const file of filesOf(path.join(root, dir))) {
      const out = path.join(outDir, path.relative(root, file));
      if (ASSETS.some((ext) => file.endsWith(ext))) {
        fs.mkdirSync(path.dirname(out), { recursive: true });
        fs.copyFileSync(file, out);
        continue;
      }
      if (!file.endsWith(".ts") || file.endsWith(".d.ts") || file.endsWith(".test.ts")) continue;
      const { outputText } = ts.transpileModule(fs.readFileSync(file, "utf8"), {
        fileName: file,
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, resolveJsonModule: true },
      });
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out.replace(/\.ts$/, ".js"), outputText);
      count++;
    }
  }
  return count;
}
