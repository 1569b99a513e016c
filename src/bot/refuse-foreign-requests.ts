import type { AnyMiddlewareArgs, App } from "@slack/bolt";
import type { Logger } from "pino";

export interface ExpectedSlackIdentity {
  /** The workspace (team) this deployment serves; unset: not checked. */
  readonly teamId?: string;
  /** This Slack app's id; unset: not checked. */
  readonly appId?: string;
}

function idsOf(body: Record<string, unknown>): { teamId: string | undefined; appId: string | undefined } {
  const team = body.team as { id?: unknown } | null | undefined;
  const user = body.user as { team_id?: unknown } | undefined;
  const teamId = typeof body.team_id === "string" ? body.team_id : typeof team?.id === "string" ? team.id : typeof user?.team_id === "string" ? user.team_id : undefined;
  const appId = typeof body.api_app_id === "string" ? body.api_app_id : undefined;
  return { teamId, appId };
}

/**
 * A correctly signed request can still come from another workspace that
 * installed the same app, or be meant for another app sharing the signing
 * secret (issue 12 point 10). With SLACK_TEAM_ID / SLACK_APP_ID set, such a
 * request is acknowledged (so Slack does not retry), answered "not here" when
 * it can be, logged with its ids, and goes no further.
 */
export function refuseForeignRequests(app: App, expected: ExpectedSlackIdentity, logger: Logger): void {
  if (expected.teamId === undefined && expected.appId === undefined) return;
  app.use(async (args) => {
    const { teamId, appId } = idsOf(args.body as Record<string, unknown>);
    const wrongTeam = expected.teamId !== undefined && teamId !== undefined && teamId !== expected.teamId;
    const wrongApp = expected.appId !== undefined && appId !== undefined && appId !== expected.appId;
    if (!wrongTeam && !wrongApp) {
      await args.next();
      return;
    }
    logger.warn({ audit: "slack.refused", teamId, appId, expectedTeamId: expected.teamId, expectedAppId: expected.appId }, "slack: refused a request for another workspace or app");
    const withAck = args as AnyMiddlewareArgs & { ack?: (response?: unknown) => Promise<void>; respond?: (message: unknown) => Promise<unknown> };
    if (withAck.ack !== undefined) await withAck.ack();
    await withAck.respond?.({ response_type: "ephemeral", replace_original: false, text: "This intervene serves another Slack workspace or app: nothing was done." }).catch(() => undefined);
  });
}
