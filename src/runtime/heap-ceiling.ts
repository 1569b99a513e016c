/**
 * The V8 heap ceiling every intervene process is started with (`npm start`,
 * `start:bot`, `start:worker`, the Docker image's CMD, the bench's processes).
 *
 * Why: without it, V8 sizes the old generation for the machine's memory and
 * on a host with more than about 2 GB lets it grow to up to 4 times the live
 * data between full collections (its heap growing factor). Under a burst of
 * runs the bot held about 40 MB live yet reached 225 to 231 MB resident
 * before its next full collection (issue 13, bench full runs with
 * `--trace-gc`: 119 MB of heap used, 153 MB committed, at the collection that
 * took it back to 40 MB). With a 512 MB ceiling V8 scales that factor down
 * (about 1.4), and two such runs peaked at 158 and 168 MB, with the same CPU
 * per step.
 * 512 MB is about five times the largest live heap measured (the soak's bot
 * with thousands of runs waiting for Slack: 93 MB); a process that ever needs
 * more stops with "heap out of memory" and is restarted by its supervisor,
 * which the engine survives like any crash.
 */
export const HEAP_CEILING_MB = 512;
export const HEAP_CEILING_ARG = `--max-old-space-size=${HEAP_CEILING_MB}`;

/**
 * A warning for a process started without any heap ceiling, neither on its
 * command line nor in NODE_OPTIONS; undefined when one is set (any value: an
 * operator may choose another on purpose).
 */
export function heapCeilingWarning(execArgv: readonly string[] = process.execArgv, nodeOptions: string | undefined = process.env.NODE_OPTIONS): string | undefined {
  const sets = (arg: string): boolean => /^--max[-_]old[-_]space[-_]size(=|$)/.test(arg);
  if (execArgv.some(sets) || (nodeOptions ?? "").split(/\s+/).some(sets)) return undefined;
  return `started without a heap ceiling: V8 may let the heap grow to several times its live data before collecting it. Start it as \`node ${HEAP_CEILING_ARG} dist/src/main.js\` (what npm start and the Docker image do), or set NODE_OPTIONS=${HEAP_CEILING_ARG}`;
}
