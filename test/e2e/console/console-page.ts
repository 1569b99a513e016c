import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Locator, type Page } from "playwright-core";
import { eventually as eventuallyPoll } from "../../helpers/eventually";

const CHROMIUM = "/usr/bin/chromium";

export interface Browser {
  readonly context: BrowserContext;
  readonly page: Page;
  close(): Promise<void>;
}

/** Debian's Chromium, headless, in a fresh profile; a missing browser fails the test with the command that installs it. */
export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: the console's browser test drives Debian's Chromium. Install it with: apt-get install -y chromium`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1440, height: 1000 },
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The channel's newest top-level message that everyone sees (the run message, once a run started). */
export function channelMessages(page: Page): Locator {
  return page.locator('#messages [data-testid="message"][data-ephemeral="false"]');
}

/** Ephemeral messages the current user sees in the channel, oldest first. */
export function ephemeralMessages(page: Page, hasText: string | RegExp): Locator {
  return page.locator('#messages [data-testid="message"][data-ephemeral="true"]').filter({ hasText });
}

/** Clicks a Block Kit button and, when it asks for confirmation, confirms. */
export async function clickButton(page: Page, scope: Locator, actionId: string): Promise<void> {
  await scope.locator(`button[data-action-id="${actionId}"]`).click();
  const confirm = page.getByTestId("confirm-ok");
  if (await confirm.isVisible().catch(() => false)) await confirm.click();
}

export async function actAs(page: Page, userId: string): Promise<void> {
  await page.getByTestId("user-switch").selectOption(userId);
  // The switch reloads the snapshot for that user: wait until the page shows it.
  await page.waitForFunction(`new URL(location.href).searchParams.get("user") === ${JSON.stringify(userId)}`);
}

/** Polls `check` until it returns a value, or fails naming `what`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000): Promise<T> {
  return eventuallyPoll(what, check, timeoutMs, 200);
}
