/**
 * The local Slack-compatible console used by `npm run demo`: a web page that
 * plays a Slack channel for the bot (Web API, response URLs, signed slash
 * commands and interactions). See createConsole.
 */
export { createConsole, type ConsoleOptions, type LocalConsole, type BotReply } from "./create-console";
export { ConsoleStore } from "./console-store";
export { ConsoleWebApi } from "./console-web-api";
export type { ConsoleChannel, ConsoleMessage, ConsoleSnapshot, ConsoleUser, ConsoleView } from "./console-types";
export { serveRoutes, matchRoutePath } from "./serve-routes";
