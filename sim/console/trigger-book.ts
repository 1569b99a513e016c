import { randomBytes } from "node:crypto";

/** Slack's trigger_id lives 3 s; the console is gentler with a slow laptop, not with reuse. */
const TRIGGER_TTL_MS = 30_000;

export interface Trigger {
  readonly user: string;
  readonly channel: string;
}

/**
 * trigger_ids handed out with each command, click and submission: views.open
 * needs one, and it says whose screen the modal goes to. Each is used once.
 */
export class TriggerBook {
  private readonly triggers = new Map<string, Trigger & { readonly expiresAt: number }>();

  issue(trigger: Trigger): string {
    const now = Date.now();
    for (const [id, t] of this.triggers) if (t.expiresAt < now) this.triggers.delete(id);
    const id = `${Math.floor(now / 1000)}.${randomBytes(6).readUIntBE(0, 6)}.${randomBytes(8).toString("hex")}`;
    this.triggers.set(id, { ...trigger, expiresAt: now + TRIGGER_TTL_MS });
    return id;
  }

  use(id: string): Trigger | undefined {
    const t = this.triggers.get(id);
    this.triggers.delete(id);
    return t === undefined || t.expiresAt < Date.now() ? undefined : { user: t.user, channel: t.channel };
  }
}
