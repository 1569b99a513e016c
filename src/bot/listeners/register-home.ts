import type { App } from "@slack/bolt";
import { renderHome } from "../blocks/render-home";
import { actorOf, callEngine, type BotContext } from "./bot-context";

/** The App Home tab, rendered fresh each time it is opened. */
export function registerHome(app: App, ctx: BotContext): void {
  app.event("app_home_opened", async ({ event, client }) => {
    if (event.tab !== "home") return;
    try {
      // Issue 12 point 2: the home tab shows only the clusters this user may read.
      const readableBy = await actorOf(ctx, event.user);
      const runs = await callEngine(ctx, "list", (e) => e.list({ limit: 30, readableBy }));
      const pending = runs.filter((r) => r.state === "awaiting_approval" && r.requestedBy !== event.user);
      await client.views.publish({ user_id: event.user, view: renderHome(runs, pending) });
    } catch (err) {
      ctx.logger.warn({ user: event.user, err: err instanceof Error ? err.message : String(err) }, "could not render the home tab");
    }
  });
}
