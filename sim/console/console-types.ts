/**
 * The local console's model of a Slack workspace: one team, a few channels,
 * a few people, one bot. Messages are kept as Slack keeps them (ts, thread_ts,
 * blocks, metadata); ephemeral messages belong to one user.
 */

export interface ConsoleUser {
  /** Slack user id (`U…`), as the inventory's approval policies name it. */
  readonly id: string;
  readonly name: string;
  /** Shown in the user switcher: "requester", "approver". */
  readonly role?: string;
}

export interface ConsoleChannel {
  readonly id: string;
  readonly name: string;
}

export interface ConsoleMessage {
  /** Unique in the console: the ts for channel messages, `eph-<n>` for ephemeral ones. */
  readonly id: string;
  readonly channel: string;
  readonly ts: string;
  readonly threadTs?: string;
  /** Who posted it: the bot's user id, or a person's. */
  readonly user: string;
  readonly text: string;
  readonly blocks: readonly unknown[];
  readonly metadata?: unknown;
  /** Only this user sees it ("Only visible to you"). */
  readonly ephemeralFor?: string;
  /** Times chat.update (or a response_url replace) changed it. */
  readonly edits: number;
  readonly updatedAt: number;
  /** A slash command as the user typed it, echoed to them only. */
  readonly kind?: "command-echo";
}

export interface ConsoleView {
  readonly id: string;
  /** Whose screen the modal is on. */
  readonly user: string;
  readonly view: Readonly<Record<string, unknown>>;
  readonly hash: string;
  /** Field errors from the last submission (`response_action: "errors"`). */
  readonly errors?: Readonly<Record<string, string>>;
}

/** Everything one user's page shows. */
export interface ConsoleSnapshot {
  readonly version: number;
  /** Whose view this is. */
  readonly user: string;
  readonly botUserId: string;
  readonly users: readonly ConsoleUser[];
  readonly channels: readonly ConsoleChannel[];
  readonly messages: readonly ConsoleMessage[];
  /** The user's open modals, bottom first (views.push stacks). */
  readonly views: readonly ConsoleView[];
  readonly home?: Readonly<Record<string, unknown>>;
  /** Notices about the console itself (a request the bot refused, a Block Kit violation). */
  readonly notices: readonly string[];
}
