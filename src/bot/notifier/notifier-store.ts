/** Where a run's Slack message lives, kept so a restarted bot updates it instead of posting a second one. */
export interface MessageRef {
  readonly channel: string;
  readonly ts: string;
}

/** Injected persistence for message refs (e.g. the run record's `notifierState`); in memory by default. */
export interface NotifierStore {
  load(runId: string): Promise<MessageRef | undefined>;
  save(runId: string, ref: MessageRef): Promise<void>;
}

export class MemoryNotifierStore implements NotifierStore {
  private readonly refs = new Map<string, MessageRef>();

  load(runId: string): Promise<MessageRef | undefined> {
    return Promise.resolve(this.refs.get(runId));
  }

  save(runId: string, ref: MessageRef): Promise<void> {
    this.refs.set(runId, ref);
    return Promise.resolve();
  }
}

/** The `notifierState` shape the bot writes: opaque string map to the engine. */
export function refFromNotifierState(state: Readonly<Record<string, string>> | undefined): MessageRef | undefined {
  const channel = state?.slackChannel;
  const ts = state?.slackTs;
  return channel !== undefined && ts !== undefined ? { channel, ts } : undefined;
}

export function refToNotifierState(ref: MessageRef): Record<string, string> {
  return { slackChannel: ref.channel, slackTs: ref.ts };
}
