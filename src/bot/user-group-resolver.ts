import type { Logger } from "pino";
import { MemberLists } from "./member-lists";

import type { SlackApi } from "./notifier/slack-api";

/**
 * Which of the policy's user groups a user belongs to, from
 * `usergroups.users.list`, cached briefly (that method is Tier 2: ~20/min).
 * When Slack cannot answer, a stale answer is used for at most
 * `maxStaleMs` (10 min); past that, or with none, the user is in no group and
 * the engine's refusal says so: membership fails closed (issue 12 point 10).
 */
export class UserGroupResolver {
  private readonly lists: MemberLists;

  constructor(
    api: SlackApi,
    private readonly groups: readonly string[],
    logger: Logger,
    ttlMs = 60_000,
    now: () => number = Date.now,
    maxStaleMs = 10 * 60_000,
  ) {
    this.lists = new MemberLists({
      what: "user group",
      logger,
      ttlMs,
      maxStaleMs,
      now,
      fetch: async (group) => {
        const result = await api.apiCall("usergroups.users.list", { usergroup: group });
        return new Set(Array.isArray(result.users) ? result.users.filter((u): u is string => typeof u === "string") : []);
      },
    });
  }

  groupsOf(userId: string): Promise<string[]> {
    return this.lists.holding(userId, this.groups);
  }
}
