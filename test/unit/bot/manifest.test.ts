import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { checkSlackManifest, loadReferenceManifest } from "../../helpers/slack/json-schema-check";

const manifest = parse(readFileSync(`${__dirname}/../../../slack/manifest.yaml`, "utf8")) as Record<string, unknown>;

describe("slack/manifest.yaml", () => {
  it("the schema checker accepts Slack's own valid example manifests", () => {
    expect(checkSlackManifest(loadReferenceManifest("v1"))).toEqual([]);
    expect(checkSlackManifest(loadReferenceManifest("v2"))).toEqual([]);
  });

  it("the schema checker catches a broken manifest", () => {
    const broken = { ...manifest, features: { slash_commands: [{ command: "leofs", description: "" }] }, surprise: true };
    const problems = checkSlackManifest(broken).join("\n");
    expect(problems).toContain("unknown property surprise");
    expect(problems).toContain("does not match ^\\/");
  });

  it("is valid against Slack's manifest schema", () => {
    expect(checkSlackManifest(manifest)).toEqual([]);
  });

  it("declares what the bot uses: both commands, interactivity, the home tab, the scopes and app_home_opened; Socket Mode off", () => {
    const features = manifest.features as { slash_commands: { command: string }[]; app_home: { home_tab_enabled: boolean } };
    expect(features.slash_commands.map((c) => c.command)).toEqual(["/leofs", "/dirac"]);
    expect(features.app_home.home_tab_enabled).toBe(true);
    const settings = manifest.settings as { interactivity: { is_enabled: boolean }; event_subscriptions: { bot_events: string[] }; socket_mode_enabled: boolean };
    expect(settings.interactivity.is_enabled).toBe(true);
    expect(settings.event_subscriptions.bot_events).toEqual(["app_home_opened"]);
    expect(settings.socket_mode_enabled).toBe(false);
    const scopes = (manifest.oauth_config as { scopes: { bot: string[] } }).scopes.bot;
    expect(scopes).toEqual(expect.arrayContaining(["commands", "chat:write", "usergroups:read", "channels:history"]));
  });
});
