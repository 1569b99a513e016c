import fs from "node:fs";
import path from "node:path";
import ts from "typescript";

function* typescriptFiles(dir: string): Generator<string> {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* typescriptFiles(full);
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) yield full;
  }
}

/**
 * What `ts-node --transpile-only` does at run time, done ahead of time: each
 * file of `dirs` (relative to `root`) to CommonJS JavaScript under `outDir`,
 * same layout. The processes then run on plain node, as the Dockerfile's
 * `node dist/src/main.js` does, without a TypeScript compiler in memory
 * (which would otherwise be most of their resident size).
 */
export function transpileTree(root: string, dirs: readonly string[], outDir: string): number {
  let count = 0;
  for (const dir of dirs) {
    for (const file of typescriptFiles(path.join(root, dir))) {
      const { outputText } = ts.transpileModule(fs.readFileSync(file, "utf8"), {
        fileName: file,
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, resolveJsonModule: true },
      });
      const out = path.join(outDir, path.relative(root, file)).replace(/\.ts$/, ".js");
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, outputText);
      count++;
    }
  }
  return count;
}
