import { config as loadDotenvFile } from "dotenv";

/**
 * Loads `.env` (or `path`) into process.env without overriding variables that
 * are already set. Called by main, never at import time, so tests and library
 * users see only the environment they pass in.
 */
export function loadDotenv(path?: string): void {
  loadDotenvFile({ quiet: true, ...(path === undefined ? {} : { path }) });
}
