import type { Logger } from "pino";
import { MemberLists } from "./member-lists";
import type { SlackApi } from "./notifier/slack-api";

/** Slack caps a page of conversations.members at 1000. */
const PAGE = 1000;

/**
 * Which of the clusters' channels (those whose requesters say
 * `channelMembers: true`) a user is a member of, from `conversations.members`
 * (all pages), cached for at most 5 minutes (issue 12 point 1). When Slack
 * cannot answer past that, nobody counts as a member: fail closed.
 */
export class ChannelMemberResolver {
  private readonly lists: MemberLists;

  constructor(
    api: SlackApi,
    private readonly channels: readonly string[],
    logger: Logger,
    ttlMs = 5 * 60_000,
    now: () => number = Date.now,
  ) {
    const ttl = Math.min(ttlMs, 5 * 60_000);
    this.lists = new MemberLists({
      what: "channel",
      logger,
      ttlMs: ttl,
      maxStaleMs: ttl,
      now,
      fetch: async (channel) => {
        const members = new Set<string>();
        let cursor: string | undefined;
        do {
          const result = await api.apiCall("conversations.members", { channel, limit: PAGE, ...(cursor !== undefined ? { cursor } : {}) });
          for (const m of Array.isArray(result.members) ? result.members : []) if (typeof m === "string") members.add(m);
          const next = (result.response_metadata as { next_cursor?: unknown } | undefined)?.next_cursor;
          cursor = typeof next === "string" && next !== "" ? next : undefined;
        } while (cursor !== undefined);
        return members;
      },
    });
  }

  channelsOf(userId: string): Promise<string[]> {
    return this.lists.holding(userId, this.channels);
  }
}
