/**
 * A CPU profile per bot and worker process (`BENCH_PROFILE_DIR=/tmp/prof npm run bench -- --quick`),
 * to see where a step's CPU goes (open them in Chrome DevTools, or sum self time by file and function).
 */
export function cpuProfileArgs(): string[] {
  const dir = process.env.BENCH_PROFILE_DIR;
  return dir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${dir}`];
}
