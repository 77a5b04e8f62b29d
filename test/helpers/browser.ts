// Debian's Chromium driven by playwright-core. Tests that need it skip with a reason when it is
// missing, except under CI=true, where a skip would hide a broken install and is a failure.
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { requireThat } from "./require.ts";

export const CHROMIUM = process.env.ARGUS_CHROMIUM ?? "/usr/bin/chromium";

/** null when the browser is present; otherwise the reason the browser tests cannot run. */
export function browserMissing(): string | null {
  const reason = `Chromium at ${CHROMIUM} for the browser tests (Debian: apt-get install chromium)`;
  return requireThat(existsSync(CHROMIUM), reason) ? null : reason;
}

// Root in a container needs --no-sandbox; the rest keeps Chromium from calling out to the internet.
const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ARGS,
  });
}

/**
 * Chromium inside network namespace `ns`, where the appliance under test listens (test/helpers/netserver.ts):
 * playwright starts a wrapper that runs `ip netns exec <ns> chromium …`, and drives it over the
 * inherited pipe (--remote-debugging-pipe), so the browser reaches the appliance at its
 * in-namespace address and nothing else of this machine's networks. Needs root.
 */
export async function launchBrowserIn(ns: string): Promise<Browser> {
  if (!/^[A-Za-z0-9_.-]+$/.test(ns)) throw new Error(`unexpected namespace name ${ns}`);
  const dir = mkdtempSync(join(tmpdir(), "argus-chromium-"));
  const wrapper = join(dir, "chromium-in-netns");
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${ns} ${CHROMIUM} "$@"\n`);
  chmodSync(wrapper, 0o755);
  const browser = await chromium.launch({ executablePath: wrapper, args: ARGS });
  browser.on("disconnected", () => rmSync(dir, { recursive: true, force: true }));
  return browser;
}
