import type { SlackApi } from "../bot/notifier/slack-api";

interface Known {
  readonly at: number;
  readonly tz: string | undefined;
}

export interface SlackTimeZoneOptions {
  /** A user's zone is asked again after this. @defaultValue 1 hour */
  readonly ttlMs?: number;
  /** Users remembered at most (the oldest go first). @defaultValue 1000 */
  readonly maxUsers?: number;
  readonly now?: () => number;
}

/**
 * Requesters' time zones from Slack (users.info `tz`) for incident reports,
 * remembered for a while: a team's runs come from a handful of people, and
 * each run's report asked again (60 users.info calls for 50 runs in
 * `npm run bench`). A failed or empty answer is not remembered; the report
 * is then written in UTC.
 */
export class SlackTimeZones {
  private readonly known = new Map<string, Known>();
  private readonly asking = new Map<string, Promise<string | undefined>>();
  private readonly ttlMs: number;
  private readonly maxUsers: number;
  private readonly now: () => number;

  constructor(
    private readonly api: SlackApi,
    options: SlackTimeZoneOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 3600_000;
    this.maxUsers = options.maxUsers ?? 1000;
    this.now = options.now ?? Date.now;
  }

  of(userId: string): Promise<string | undefined> {
    const known = this.known.get(userId);
    if (known !== undefined && this.now() - known.at < this.ttlMs) return Promise.resolve(known.tz);
    let asking = this.asking.get(userId);
    if (asking === undefined) {
      asking = this.ask(userId).finally(() => this.asking.delete(userId));
      this.asking.set(userId, asking);
    }
    return asking;
  }

  private async ask(userId: string): Promise<string | undefined> {
    let tz: unknown;
    try {
      tz = ((await this.api.apiCall("users.info", { user: userId })).user as { tz?: unknown } | undefined)?.tz;
    } catch {
      return undefined;
    }
    if (typeof tz !== "string" || tz === "") return undefined;
    this.known.delete(userId);
    this.known.set(userId, { at: this.now(), tz });
    // A Map keeps insertion order: the first key is the one asked longest ago.
    if (this.known.size > this.maxUsers) this.known.delete(this.known.keys().next().value!);
    return tz;
  }
}

const byClient = new WeakMap<SlackApi, SlackTimeZones>();

/** The zones asked through `api`, shared by everything that uses that Slack client (run ends, `/leofs report`). */
export function timeZonesFor(api: SlackApi): SlackTimeZones {
  let zones = byClient.get(api);
  if (zones === undefined) {
    zones = new SlackTimeZones(api);
    byClient.set(api, zones);
  }
  return zones;
}
