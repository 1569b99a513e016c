import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { HEAP_CEILING_ARG, HEAP_CEILING_MB, heapCeilingWarning } from "../../../src/runtime/heap-ceiling";

const repo = path.join(__dirname, "..", "..", "..");

describe("the heap ceiling every intervene process starts with (issue 13: the bot's peak RSS)", () => {
  it("is what npm start, start:bot, start:worker and the Docker image's CMD pass to node, before the entry", () => {
    const scripts = (JSON.parse(fs.readFileSync(path.join(repo, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    for (const name of ["start", "start:bot", "start:worker"]) expect(scripts[name]).toContain(`node ${HEAP_CEILING_ARG} dist/src/main.js`);
    const cmd = fs
      .readFileSync(path.join(repo, "Dockerfile"), "utf8")
      .split("\n")
      .filter((l) => l.startsWith("CMD "));
    expect(cmd).toEqual([`CMD ["node", "${HEAP_CEILING_ARG}", "dist/src/main.js"]`]);
  });

  it("is a flag this node accepts, and it bounds V8's heap near its value (unset, V8 sizes it for the machine)", () => {
    const limitMb = (args: string[]): number =>
      Number(execFileSync(process.execPath, [...args, "-e", "process.stdout.write(String(require('v8').getHeapStatistics().heap_size_limit / 1048576))"], { env: { PATH: process.env.PATH ?? "" } }).toString());
    const bounded = limitMb([HEAP_CEILING_ARG]);
    // The limit is the old space plus the young generation's reserve.
    expect(bounded).toBeGreaterThanOrEqual(HEAP_CEILING_MB);
    expect(bounded).toBeLessThan(HEAP_CEILING_MB + 128);
  });

  it("warns a process started without any ceiling, saying how to start it", () => {
    expect(heapCeilingWarning([], undefined)).toContain(`node ${HEAP_CEILING_ARG} dist/src/main.js`);
    expect(heapCeilingWarning(["--enable-source-maps"], "--trace-warnings")).toContain("NODE_OPTIONS");
  });

  it("does not warn when a ceiling is set on the command line or in NODE_OPTIONS, whatever its value", () => {
    expect(heapCeilingWarning([HEAP_CEILING_ARG], undefined)).toBeUndefined();
    expect(heapCeilingWarning(["--max_old_space_size=2048"], undefined)).toBeUndefined();
    expect(heapCeilingWarning([], "--enable-source-maps --max-old-space-size=1024")).toBeUndefined();
    // A flag that merely starts like it is not a ceiling.
    expect(heapCeilingWarning(["--max-old-space-size-ish=1"], undefined)).toBeDefined();
  });
});
