// What the UI tests check on every page: console errors, horizontal overflow, accessibility
// (axe-core), and the screenshots kept under test/artifacts/ for a person to look at.
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import type { Browser, BrowserContext, BrowserContextOptions, Page } from "playwright-core";

export const ARTIFACTS = resolve(import.meta.dir, "../artifacts");
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** A browser context signed in with `session`'s cookie on the appliance at `origin` (its address inside the namespace). */
export async function signedIn(browser: Browser, session: { cookies: Map<string, string> }, origin: string, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext(options);
  await context.addCookies([{ name: "argus_session", value: session.cookies.get("argus_session")!, url: origin }]);
  return context;
}

/**
 * Collects the page's console errors and uncaught exceptions from now on. `expected` may let through
 * an error the browser itself logs for a resource (text and the resource's URL), never a page error.
 */
export function consoleErrors(page: Page, expected?: (text: string, resource: string) => boolean): string[] {
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() !== "error" || expected?.(m.text(), m.location().url)) return;
    const resource = m.location().url;
    errors.push(`${m.text()}${resource && resource !== page.url() ? ` [${resource}]` : ""} (${page.url()})`);
  });
  page.on("pageerror", (e) => errors.push(`${e.message} (${page.url()})`));
  return errors;
}

/** The text of the device page's Addresses row naming `address`, once it is shown. */
export async function addressRow(page: Page, address: string): Promise<string | null> {
  const row = page.getByRole("region", { name: "Addresses" }).getByRole("row").filter({ hasText: address });
  await row.waitFor({ timeout: 10_000 });
  return row.textContent();
}

/** How far the page is wider than the viewport (0 = no horizontal scrolling). */
export async function overflow(page: Page): Promise<number> {
  return page.evaluate(() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - window.innerWidth);
}

/**
 * axe-core's serious and critical violations on the current page, one line each. axe is evaluated
 * through the DevTools protocol, which the page's CSP (no inline script) does not govern.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(axeSource);
  const result = (await page.evaluate(() => (window as any).axe.run(document, { resultTypes: ["violations"] }))) as {
    violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[];
  };
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`);
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.evaluate(() => window.scrollTo(0, 0)); // the sticky header belongs at the top of a full-page shot
  await page.screenshot({ path, fullPage: true });
  return path;
}

export const VIEWPORTS = {
  desktop: { width: 1280, height: 900 },
  phone: { width: 360, height: 740 },
} as const;
