import type { Logger } from "pino";

interface Cached {
  readonly at: number;
  readonly users: ReadonlySet<string>;
}

export interface MemberListOptions {
  /** What is listed, for logs: `user group`, `channel`. */
  readonly what: string;
  readonly fetch: (id: string) => Promise<ReadonlySet<string>>;
  readonly logger: Logger;
  /** A fresh list is fetched after this. */
  readonly ttlMs: number;
  /** When Slack cannot answer, a list this old is still used; past it, nobody is a member (fail closed). */
  readonly maxStaleMs: number;
  readonly now?: () => number;
}

/**
 * Member lists from Slack (user groups, channels), cached, one fetch at a
 * time per list. Membership fails closed: no list, or one older than
 * `maxStaleMs` that cannot be refreshed, means no member.
 */
export class MemberLists {
  private readonly cache = new Map<string, Cached>();
  private readonly inflight = new Map<string, Promise<ReadonlySet<string> | undefined>>();
  private readonly now: () => number;

  constructor(private readonly options: MemberListOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The ids among `ids` whose list holds `userId`. */
  async holding(userId: string, ids: readonly string[]): Promise<string[]> {
    const found = await Promise.all(ids.map(async (id) => ((await this.members(id))?.has(userId) === true ? id : undefined)));
    return found.filter((id): id is string => id !== undefined);
  }

  private async members(id: string): Promise<ReadonlySet<string> | undefined> {
    const cached = this.cache.get(id);
    if (cached !== undefined && this.now() - cached.at < this.options.ttlMs) return cached.users;
    let fetch = this.inflight.get(id);
    if (fetch === undefined) {
      fetch = this.refresh(id, cached).finally(() => this.inflight.delete(id));
      this.inflight.set(id, fetch);
    }
    return fetch;
  }

  private async refresh(id: string, stale: Cached | undefined): Promise<ReadonlySet<string> | undefined> {
    const { what, logger, maxStaleMs } = this.options;
    try {
      const users = await this.options.fetch(id);
      this.cache.set(id, { at: this.now(), users });
      return users;
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      if (stale !== undefined && this.now() - stale.at <= maxStaleMs) {
        logger.warn({ [what.replace(/ /g, "")]: id, err: error }, `slack: could not list the ${what}'s members; using the last known list`);
        return stale.users;
      }
      logger.warn({ [what.replace(/ /g, "")]: id, err: error, lastKnownAgeMs: stale === undefined ? null : this.now() - stale.at }, `slack: could not list the ${what}'s members and no list young enough: nobody counts as a member`);
      return undefined;
    }
  }
}
