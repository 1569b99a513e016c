import type { Logger } from "pino";

export interface UserGroupsApi {
  apiCall(method: string, options?: Record<string, unknown>): Promise<Record<string, unknown>>;
}

interface Cached {
  readonly at: number;
  readonly users: ReadonlySet<string>;
}

/**
 * Which of the policy's user groups a user belongs to, from
 * `usergroups.users.list`, cached briefly (that method is Tier 2: ~20/min).
 * When Slack cannot answer, a stale answer is used for at most
 * `maxStaleMs` (10 min); past that, or with none, the user is in no group and
 * the engine's refusal says so: membership fails closed (issue 12 point 10).
 */
export class UserGroupResolver {
  private readonly cache = new Map<string, Cached>();
  private readonly inflight = new Map<string, Promise<ReadonlySet<string> | undefined>>();

  constructor(
    private readonly api: UserGroupsApi,
    private readonly groups: readonly string[],
    private readonly logger: Logger,
    private readonly ttlMs = 60_000,
    private readonly now: () => number = Date.now,
    private readonly maxStaleMs = 10 * 60_000,
  ) {}

  async groupsOf(userId: string): Promise<string[]> {
    const memberships = await Promise.all(this.groups.map(async (g) => ((await this.members(g))?.has(userId) === true ? g : undefined)));
    return memberships.filter((g): g is string => g !== undefined);
  }

  private async members(group: string): Promise<ReadonlySet<string> | undefined> {
    const cached = this.cache.get(group);
    if (cached !== undefined && this.now() - cached.at < this.ttlMs) return cached.users;
    let fetch = this.inflight.get(group);
    if (fetch === undefined) {
      fetch = this.fetch(group, cached).finally(() => this.inflight.delete(group));
      this.inflight.set(group, fetch);
    }
    return fetch;
  }

  private async fetch(group: string, stale: Cached | undefined): Promise<ReadonlySet<string> | undefined> {
    try {
      const result = await this.api.apiCall("usergroups.users.list", { usergroup: group });
      const users = new Set(Array.isArray(result.users) ? result.users.filter((u): u is string => typeof u === "string") : []);
      this.cache.set(group, { at: this.now(), users });
      return users;
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      if (stale !== undefined && this.now() - stale.at <= this.maxStaleMs) {
        this.logger.warn({ group, err: error }, "slack: could not list user group members; using the last known list");
        return stale.users;
      }
      this.logger.warn({ group, err: error, lastKnownAgeMs: stale === undefined ? null : this.now() - stale.at }, "slack: could not list user group members and no list younger than 10 min: nobody counts as a member");
      return undefined;
    }
  }
}
