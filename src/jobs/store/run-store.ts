import type Redis from "ioredis";
import { auditFields, parseAuditEntry, type AuditDraft, type AuditEntry } from "./audit-entry";
import type { RedisKeys } from "./redis-keys";
import { defineRedisScripts } from "./redis-scripts";
import type { ReplicaConfirmation } from "./replica-confirmation";
import { fullRunWrite, NOTIFIER_STATE_FIELD, runFromHash, runWrite } from "./run-hash";
import { TERMINAL_RUN_STATES, type RunRecord, type TargetOutput } from "../run-types";
import { uniqueIds } from "../../util/unique-ids";

export interface RunStoreOptions {
  /** Approximate cap of the global audit stream. @defaultValue 100000 */
  readonly globalAuditMaxLen?: number;
  /** Cluster lock TTL, renewed by every live engine/worker process. @defaultValue 600000 */
  readonly lockTtlMs?: number;
  /** How long a finished run's record and audit stream are kept (0: forever). @defaultValue 30 days */
  readonly retainMs?: number;
  /** Under Sentinel: a record write is acknowledged only once a replica has it (see ReplicaConfirmation). */
  readonly replication?: ReplicaConfirmation;
}

export type CreateResult =
  | { readonly ok: true; readonly recoveredFrom?: { readonly runId: string; readonly state: string } }
  | { readonly ok: false; readonly holderRunId: string; readonly holderRequestedBy: string };

export type CasResult = "ok" | "conflict" | "missing";

/** A claim held in Redis under `key` by whoever knows `token` (lua/release-claim.lua). */
export interface HeldClaim {
  readonly key: string;
  readonly token: string;
}

/** A message to publish with a write (a transition's events, `EventBus.encode`). */
export interface Announcement {
  readonly channel: string;
  readonly message: string;
}

function flatEntries(runId: string, at: string, drafts: readonly AuditDraft[]): string {
  return JSON.stringify(drafts.map((d) => Object.entries(auditFields(runId, at, d)).flat()));
}

/** Names each write of a record (`w`), so that a write made after a lost one is not taken for it. */
const newWriteId = uniqueIds();

/**
 * Run records (a hash: version, state, cluster, requester, and the record's
 * fields and steps apart, see run-hash.ts), the active
 * set, cluster locks and the audit streams. Every write of a record is a
 * compare-and-set on its version, in Lua, with its audit entries.
 */
export class RunStore {
  readonly lockTtlMs: number;
  private readonly maxLen: number;
  private readonly retainMs: number;
  private readonly replication: ReplicaConfirmation | undefined;
  /**
   * The write id (`w`) of each record this store read or wrote. A version
   * alone does not say which write made it: after an acknowledged write is
   * lost (a failover while replica confirmation is degraded, an AOF restart),
   * another writer can make the same version with other content. A
   * transition that writes only what it changed must start from the very
   * record stored, so the compare-and-set checks the write id too; a record
   * of unknown origin (not from this store) is written whole, as every
   * record was before the fields were split.
   */
  private readonly writeIds = new WeakMap<RunRecord, string>();

  constructor(
    readonly redis: Redis,
    readonly keys: RedisKeys,
    options: RunStoreOptions = {},
  ) {
    this.lockTtlMs = options.lockTtlMs ?? 600_000;
    this.maxLen = options.globalAuditMaxLen ?? 100_000;
    this.retainMs = options.retainMs ?? 30 * 24 * 3600_000;
    this.replication = options.replication;
    defineRedisScripts(redis);
  }

  /** The write id of a record this store read or wrote: what a step job carries with it (`CarriedRecord`). */
  writeIdOf(run: RunRecord): string | undefined {
    return this.writeIds.get(run);
  }

  /**
   * A record another process committed and handed over (a step job's
   * `CarriedRecord`), taken as if read here: its compare-and-set checks the
   * write id, so a record that changed since is refused as a conflict.
   */
  adopt(run: RunRecord, writeId: string): RunRecord {
    this.writeIds.set(run, writeId);
    return run;
  }

  async get(runId: string): Promise<RunRecord | undefined> {
    const hash = await this.redis.hgetall(this.keys.run(runId));
    const run = runFromHash(runId, hash);
    if (run !== undefined && hash.w !== undefined) this.writeIds.set(run, hash.w);
    return run;
  }

  /** Whether a write is acknowledged only once a replica has it (Sentinel): a lost one is written again. */
  get confirmsWrites(): boolean {
    return this.replication !== undefined;
  }

  /**
   * Creates the run and takes its cluster's lock; `announce` (the new run's
   * events) is published in the same script when it does. The command is
   * sent before this returns, so a command sent after it on `redis` runs
   * after it in Redis.
   */
  async create(run: RunRecord, audit: readonly AuditDraft[], announce?: Announcement): Promise<CreateResult> {
    const k = this.keys;
    const at = run.requestedAt;
    const write = fullRunWrite(run);
    const writeId = newWriteId();
    this.writeIds.set(run, writeId);
    for (;;) {
      const mark = this.replication?.mark();
      const reply = await this.redis.startRun(
        ...[k.run(run.id), k.runAudit(run.id), k.globalAudit, k.active, k.lock(run.plan.cluster), k.runs],
        ...[run.id, write.stepCount, run.state, run.plan.cluster, this.lockTtlMs, Date.parse(at), flatEntries(run.id, at, audit), at, this.maxLen, k.runPrefix, run.requestedBy],
        ...[announce?.channel ?? "", announce?.message ?? ""],
        ...write.set,
        ...["w", writeId],
      );
      // Held by this very run: ioredis sent the script again after a reconnect, and the first one had taken.
      if (reply[0] === "LOCKED" && reply[1] === run.id) return { ok: true };
      if (reply[0] === "LOCKED") return { ok: false, holderRunId: reply[1] ?? "", holderRequestedBy: reply[2] ?? "" };
      // Written again only if the primary that took it died before a replica had it: then nothing of it
      // is left (run ids are unique, so any record under this id is this one, perhaps moved on already).
      if (mark !== undefined && !(await this.replication!.confirm(mark)) && (await this.redis.exists(k.run(run.id))) === 0) continue;
      return reply[1] !== undefined && reply[1] !== "" ? { ok: true, recoveredFrom: { runId: reply[1], state: reply[2] ?? "" } } : { ok: true };
    }
  }

  /**
   * Writes `next` only if the stored version is still `previous.version`;
   * `announce` is published in the same script when it does, and `release`
   * (a claim, such as a step's lease) is given up with it if still held by
   * its token.
   */
  async compareAndSet(previous: RunRecord, next: RunRecord, audit: readonly AuditDraft[], at: string, announce?: Announcement, release?: HeldClaim): Promise<CasResult> {
    const k = this.keys;
    const terminal = TERMINAL_RUN_STATES.includes(next.state) ? "1" : "0";
    const expectedId = this.writeIds.get(previous);
    let write = expectedId !== undefined ? runWrite(previous, next) : fullRunWrite(next, previous);
    const writeId = newWriteId();
    for (;;) {
      const mark = this.replication?.mark();
      const reply = await this.redis.casRun(
        ...[k.run(next.id), k.runAudit(next.id), k.globalAudit, k.active, k.lock(next.plan.cluster), release?.key ?? ""],
        ...[previous.version, next.version, next.state, terminal, next.id, flatEntries(next.id, at, audit), at, this.maxLen, next.plan.cluster, this.retainMs],
        ...[announce?.channel ?? "", announce?.message ?? "", write.full ? "1" : "0", write.stepCount, expectedId ?? "", writeId, release?.token ?? "", write.unset.length, ...write.unset, ...write.set],
      );
      // A record in the layout before run-hash.ts: its first transition since writes it whole.
      if (reply === -2) {
        write = fullRunWrite(next, previous);
        continue;
      }
      // A conflict right after a reconnect may be this very write, sent again by ioredis after the first took.
      if (reply === 0 && mark !== undefined && this.replication!.changedSince(mark) && (await this.landed(next.id, audit, at))) return this.committed(next, writeId);
      if (reply !== 1) return reply === 0 ? "conflict" : "missing";
      if (mark === undefined || (await this.replication!.confirm(mark))) return this.committed(next, writeId);
      // The primary changed between the write and its confirmation: read back what survived.
      const [v, w] = await this.redis.hmget(k.run(next.id), "v", "w");
      if (v === String(next.version) && w === writeId) return this.committed(next, writeId);
      // Lost with the old primary (the record is as we found it): once more is still once.
      if (v === String(previous.version)) continue;
      // Moved on: by us then others (our audit entries are there), or by another writer after ours was
      // lost; then the caller re-reads and recomputes, as after any conflict.
      if (v !== null && (await this.landed(next.id, audit, at))) return this.committed(next, writeId);
      return v === null ? "missing" : "conflict";
    }
  }

  /**
   * The run's `notifierState` alone (undefined when there is no run, or none
   * saved): what the bot reads before its first post of a run. The whole
   * record was read and parsed for it once per run (issue 13 point 3). A
   * legacy record's copy is read out of its JSON.
   */
  async notifierState(runId: string): Promise<Readonly<Record<string, string>> | undefined> {
    const [legacy, side] = await this.redis.hmget(this.keys.run(runId), "json", NOTIFIER_STATE_FIELD);
    if (typeof legacy === "string") return (JSON.parse(legacy) as RunRecord).notifierState;
    return typeof side === "string" ? (JSON.parse(side) as Record<string, string>) : undefined;
  }

  /**
   * Merges `patch` into the run's `notifierState`, beside the versioned record
   * (lua/set-notifier-state.lua). `legacy`: the record is still one JSON
   * document, and the caller changes it as a transition instead. A merge lost
   * with a primary before a replica had it is sent again (it is idempotent).
   */
  async setNotifierState(runId: string, patch: Readonly<Record<string, string>>): Promise<"ok" | "missing" | "legacy"> {
    for (;;) {
      const mark = this.replication?.mark();
      const reply = await this.redis.setNotifierState(this.keys.run(runId), JSON.stringify(patch));
      if (reply === -1) return "missing";
      if (reply === -2) return "legacy";
      if (mark === undefined || (await this.replication!.confirm(mark))) return "ok";
    }
  }

  private committed(next: RunRecord, writeId: string): "ok" {
    this.writeIds.set(next, writeId);
    return "ok";
  }

  /**
   * Whether a write with these audit entries is in the run's stream (its first
   * entry: type, actor and time to the millisecond). Only writes with audit
   * entries can be recognised; the others count as not landed.
   */
  private async landed(runId: string, audit: readonly AuditDraft[], at: string): Promise<boolean> {
    const first = audit[0];
    if (first === undefined) return false;
    const recent = await this.redis.xrevrange(this.keys.runAudit(runId), "+", "-", "COUNT", 200);
    return recent.some(([id, flat]) => {
      const e = parseAuditEntry(id, flat);
      return e.type === first.type && e.actor === first.actor && e.at === at;
    });
  }

  /** Audit without a transition: refusals, previews. */
  async appendAudit(runId: string, drafts: readonly AuditDraft[], at: string): Promise<void> {
    const pipeline = this.redis.multi();
    for (const draft of drafts) {
      const fields = Object.entries(auditFields(runId, at, draft)).flat();
      if (runId !== "") pipeline.xadd(this.keys.runAudit(runId), "*", ...fields);
      pipeline.xadd(this.keys.globalAudit, "MAXLEN", "~", this.maxLen, "*", ...fields);
    }
    await pipeline.exec();
  }

  async audit(runId: string): Promise<AuditEntry[]> {
    const rows = await this.redis.xrange(this.keys.runAudit(runId), "-", "+");
    return rows.map(([id, flat]) => parseAuditEntry(id, flat));
  }

  async globalAudit(count = 1000): Promise<AuditEntry[]> {
    const rows = await this.redis.xrevrange(this.keys.globalAudit, "+", "-", "COUNT", count);
    return rows.map(([id, flat]) => parseAuditEntry(id, flat)).reverse();
  }

  async list(filter: { readonly cluster?: string; readonly active?: boolean; readonly limit?: number } = {}): Promise<RunRecord[]> {
    const limit = filter.limit ?? 50;
    const ids = filter.active === true ? Object.keys(await this.redis.hgetall(this.keys.active)) : await this.redis.zrevrange(this.keys.runs, 0, Math.max(limit * 4, 200) - 1);
    const runs: RunRecord[] = [];
    const gone: string[] = [];
    for (const id of ids) {
      const run = await this.get(id);
      if (run === undefined) {
        gone.push(id);
        continue;
      }
      if (filter.cluster !== undefined && run.plan.cluster !== filter.cluster) continue;
      if (filter.active === true && TERMINAL_RUN_STATES.includes(run.state)) continue;
      runs.push(run);
    }
    // An id whose record expired (retention) leaves the index too.
    if (gone.length > 0 && filter.active !== true) await this.redis.zrem(this.keys.runs, ...gone);
    runs.sort((a, b) => b.requestedAt.localeCompare(a.requestedAt));
    return runs.slice(0, limit);
  }

  async activeRunIds(): Promise<string[]> {
    return Object.keys(await this.redis.hgetall(this.keys.active));
  }

  async lockHolder(cluster: string): Promise<string | undefined> {
    return (await this.redis.get(this.keys.lock(cluster))) ?? undefined;
  }

  async renewLocks(): Promise<number> {
    return this.redis.renewLocks(this.keys.active, this.keys.runPrefix, this.keys.lockPrefix, this.lockTtlMs);
  }

  async saveOutput(key: string, text: string, ttlMs: number): Promise<void> {
    await this.redis.set(key, text, "PX", ttlMs);
  }

  async readOutput(key: string): Promise<string | undefined> {
    return (await this.redis.get(key)) ?? undefined;
  }

  /** A target's whole output: its stored text, or its tail when that holds all of it (undefined: expired). */
  async fullOutput(output: Pick<TargetOutput, "outputKey" | "tail" | "head">): Promise<string | undefined> {
    if (output.outputKey === undefined) return output.head === undefined || output.head === "" ? output.tail : undefined;
    return this.readOutput(output.outputKey);
  }
}
