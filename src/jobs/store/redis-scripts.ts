import fs from "node:fs";
import path from "node:path";
import type Redis from "ioredis";
import type { Result } from "ioredis";

/** The engine's Lua scripts, one `.lua` file each in `lua/` (copied beside the build by `npm run build`). */
const LUA_DIR = path.join(__dirname, "lua");

type Arg = string | number;

declare module "ioredis" {
  interface RedisCommander<Context> {
    /** lua/cas-run.lua: 1 applied, 0 version conflict, -1 no such run. */
    casRun(...keysThenArgs: Arg[]): Result<number, Context>;
    /** lua/start-run.lua: ['OK', recoveredFrom, recoveredState] or ['LOCKED', holder, requestedBy]. */
    startRun(...keysThenArgs: Arg[]): Result<string[], Context>;
    /** lua/renew-locks.lua: how many locks were renewed. */
    renewLocks(...keysThenArgs: Arg[]): Result<number, Context>;
    /** lua/acquire-lease.lua: 1 taken (or renewed), 0 full. */
    acquireLease(...keysThenArgs: Arg[]): Result<number, Context>;
    /** lua/hold-notifier-lease.lua. */
    holdNotifierLease(...keysThenArgs: Arg[]): Result<"first" | "held" | "busy" | "done", Context>;
    /** lua/set-notifier-state.lua: 1 merged, -1 no such run, -2 legacy layout. */
    setNotifierState(...keysThenArgs: Arg[]): Result<number, Context>;
    /** lua/release-claim.lua: 1 released, 0 not the caller's. */
    releaseClaim(...keysThenArgs: Arg[]): Result<number, Context>;
  }
}

const SCRIPTS = {
  casRun: { file: "cas-run.lua", numberOfKeys: 6 },
  startRun: { file: "start-run.lua", numberOfKeys: 6 },
  renewLocks: { file: "renew-locks.lua", numberOfKeys: 1 },
  acquireLease: { file: "acquire-lease.lua", numberOfKeys: 1 },
  holdNotifierLease: { file: "hold-notifier-lease.lua", numberOfKeys: 1 },
  releaseClaim: { file: "release-claim.lua", numberOfKeys: 1 },
  setNotifierState: { file: "set-notifier-state.lua", numberOfKeys: 1 },
} as const;

/** A script's source with its `--#include <file>` lines replaced by those files (Lua in Redis has no `require`). */
export function readLua(file: string, dir = LUA_DIR): string {
  return fs
    .readFileSync(path.join(dir, file), "utf8")
    .split("\n")
    .map((line) => {
      const include = /^--#include (\S+\.lua)$/.exec(line);
      return include === null ? line : readLua(include[1]!, dir).trimEnd();
    })
    .join("\n");
}

let sources: Record<keyof typeof SCRIPTS, string> | undefined;

/**
 * Defines the scripts as commands on `redis` (ioredis `defineCommand`: run
 * by sha, re-sent on NOSCRIPT, as after a Redis restart). Idempotent, so any
 * connection handed to the store or the semaphore can be passed through it.
 */
export function defineRedisScripts(redis: Redis): Redis {
  sources ??= Object.fromEntries(Object.entries(SCRIPTS).map(([name, s]) => [name, readLua(s.file)])) as Record<keyof typeof SCRIPTS, string>;
  for (const [name, script] of Object.entries(SCRIPTS) as [keyof typeof SCRIPTS, (typeof SCRIPTS)[keyof typeof SCRIPTS]][]) {
    if (typeof (redis as unknown as Record<string, unknown>)[name] !== "function") redis.defineCommand(name, { numberOfKeys: script.numberOfKeys, lua: sources[name] });
  }
  return redis;
}
