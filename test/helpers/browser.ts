// Debian's Chromium driven by playwright-core. Tests that need it skip with a reason when it is
// missing, except under CI=true, where a skip would hide a broken install and is a failure.
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM = process.env.ARGUS_CHROMIUM ?? "/usr/bin/chromium";

/** null when the browser is present; otherwise the reason the browser tests cannot run. */
export function browserMissing(): string | null {
  if (existsSync(CHROMIUM)) return null;
  const reason = `browser tests need Chromium at ${CHROMIUM} (Debian: apt-get install chromium)`;
  if (process.env.CI === "true") throw new Error(`${reason}; CI must install it`);
  console.warn(`skipping: ${reason}`);
  return reason;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    // Root in a container needs --no-sandbox; the rest keeps Chromium from calling out to the internet.
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}
