// One rule for tests that need what a machine may lack (root, a tool, a browser, the shared captures):
// they skip and say why, except under CI, where a skip would hide a broken install and is a failure.
// CI services set CI=true or CI=1; both count.

export const isCI = process.env.CI === "true" || process.env.CI === "1";

/** True when `ok`; otherwise says why the caller skips, and under CI throws. */
export function requireThat(ok: boolean, what: string): boolean {
  if (ok) return true;
  const msg = `needs ${what}; skipping`;
  if (isCI) throw new Error(`${msg} is not allowed under CI=true`);
  console.warn(`[skip] ${msg}`);
  return false;
}

export const isRoot = process.getuid?.() === 0;

/** Root, for network namespaces and raw sockets. */
export function requireRoot(reason: string): boolean {
  return requireThat(isRoot, `root: ${reason} (network namespaces, raw sockets)`);
}

/** A program's path: on the PATH, or in /usr/sbin (daemons such as dnsmasq and mosquitto live there). */
export function tool(bin: string): string | null {
  return Bun.which(bin) ?? (Bun.file(`/usr/sbin/${bin}`).size > 0 ? `/usr/sbin/${bin}` : null);
}

/** Every program in `tools` ([binary, the Debian package that has it]) is installed. */
export function requireTools(tools: [bin: string, pkg: string][]): boolean {
  const missing = tools.filter(([bin]) => tool(bin) === null);
  return requireThat(missing.length === 0, missing.map(([b, p]) => `${b} (Debian ${p})`).join(", "));
}
