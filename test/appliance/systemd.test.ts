// systemd/argus.service and `argus install`. The unit is checked with systemd's own tools
// (verify, and the offline security scorer); the installer runs for real, in a private mount
// namespace whose /etc, /var/lib and /usr/local/bin are scratch copies, so the machine is untouched.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, existsSync, linkSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { randomToken } from "../../src/auth/digest.ts";
import { BUN, buildBinaries, isRoot, REPO, requireThat, runCmd, tempDir, which, type Binaries } from "./harness.ts";

const UNIT = join(REPO, "systemd", "argus.service");
const unitText = readFileSync(UNIT, "utf8");
const haveAnalyze = requireThat(which("systemd-analyze"), "systemd-analyze (Debian systemd)");

/** key → values of a unit file (a key may repeat). */
function directives(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith("[")) continue;
    const eq = line.indexOf("=");
    const k = line.slice(0, eq);
    out.set(k, [...(out.get(k) ?? []), line.slice(eq + 1)]);
  }
  return out;
}

let bins: Binaries;
const dirs: string[] = [];
beforeAll(async () => {
  bins = await buildBinaries();
}, 180_000);
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("systemd/argus.service", () => {
  test("has the hardening the appliance promises", () => {
    const d = directives(unitText);
    const one = (k: string) => d.get(k)?.join(" ");
    expect(one("User")).toBe("argus");
    expect(one("StateDirectory")).toBe("argus");
    expect(one("AmbientCapabilities")).toBe("CAP_NET_RAW");
    expect(one("CapabilityBoundingSet")).toBe("CAP_NET_RAW");
    expect(one("NoNewPrivileges")).toBe("yes");
    expect(one("ProtectSystem")).toBe("strict");
    expect(one("ProtectHome")).toBe("yes");
    expect(one("PrivateTmp")).toBe("yes");
    expect(one("RestrictAddressFamilies")).toBe("AF_UNIX AF_INET AF_INET6 AF_PACKET AF_NETLINK");
    expect(d.get("SystemCallFilter")?.[0]).toBe("@system-service");
    expect(one("Restart")).toBe("on-failure");
    expect(one("Type")).toBe("notify");
    expect(Number(one("WatchdogSec"))).toBeGreaterThan(0);
    expect(one("EnvironmentFile")).toBe("/etc/argus/argus.env");
    // The service runs without the engine's DFG tier: ~9 MiB less idle RSS (issue 17, README Footprint).
    expect(d.get("Environment")).toContain("BUN_JSC_useDFGJIT=0");
    // And compiles late, and hands freed pages back at once (issue 17: idle RSS under 60 MiB).
    expect(d.get("Environment")).toContain("BUN_JSC_thresholdForJITAfterWarmUp=20000 BUN_JSC_thresholdForJITSoon=20000");
    expect(d.get("Environment")).toContain("MIMALLOC_PURGE_DELAY=0");
    expect(one("ExecStart")).toBe("/usr/local/bin/argus serve");
  });

  test.skipIf(!haveAnalyze)("passes systemd-analyze verify", async () => {
    // A root with the unit, the binary at its ExecStart path and systemd's own units (for the targets).
    const root = tempDir("argus-verify-");
    dirs.push(root);
    mkdirSync(join(root, "etc/systemd/system"), { recursive: true });
    mkdirSync(join(root, "usr/local/bin"), { recursive: true });
    mkdirSync(join(root, "usr/lib/systemd"), { recursive: true });
    cpSync(UNIT, join(root, "etc/systemd/system/argus.service"));
    linkSync(bins.x64, join(root, "usr/local/bin/argus"));
    cpSync(existsSync("/usr/lib/systemd/system") ? "/usr/lib/systemd/system" : "/lib/systemd/system", join(root, "usr/lib/systemd/system"), { recursive: true });
    const r = await runCmd(["systemd-analyze", "verify", `--root=${root}`, "argus.service"]);
    expect(r.stderr.trim()).toBe("");
    expect(r.code).toBe(0);
  }, 60_000);

  test.skipIf(!haveAnalyze)("scores an exposure of at most 2.0 in systemd-analyze security", async () => {
    const r = await runCmd(["systemd-analyze", "security", "--offline=true", "--no-pager", UNIT]);
    const m = /Overall exposure level for argus\.service: (\d+\.\d+)/.exec(r.stdout);
    expect(m).not.toBeNull();
    const exposure = Number(m![1]);
    console.log(`systemd-analyze security exposure: ${exposure}`);
    expect(exposure).toBeLessThanOrEqual(2.0);
  }, 60_000);
});

describe("argus install", () => {
  const rootReady = requireThat(isRoot && which("unshare") && which("useradd"), "root, unshare (util-linux) and useradd (passwd) to install into a private mount namespace");

  /** Runs `script` in a mount namespace where /etc, /var/lib, /usr/local/bin (and /run) are scratch. */
  async function inScratchSystem(script: string, env: Record<string, string> = {}) {
    const w = tempDir("argus-install-");
    dirs.push(w);
    for (const d of ["varlib", "bin", "run"]) mkdirSync(join(w, d));
    const setup = `set -e
cp -a /etc "$W/etc"
mount --bind "$W/etc" /etc
mount --bind "$W/varlib" /var/lib
mount --bind "$W/bin" /usr/local/bin
mount --bind "$W/run" /run
set +e
`;
    const r = await runCmd(["unshare", "--mount", "--propagation", "private", "sh", "-c", setup + script], {
      env: { PATH: "/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", W: w, BIN: bins.x64, REPO, ...env },
      timeoutMs: 60_000,
    });
    return { ...r, w };
  }

  test.skipIf(!rootReady)("install.sh puts the binary in place and installs user, state dir, secret file and unit; re-running keeps the secret", async () => {
    const r = await inScratchSystem(`
sh "$REPO/scripts/install.sh" "$BIN" --no-start; echo "first=$?"
/usr/local/bin/argus install --no-start; echo "second=$?"
`);
    expect(r.stdout).toContain("first=0");
    expect(r.stdout).toContain("second=0");
    const { w } = r;
    // The user: a system account without a login shell, home = state dir.
    const passwd = readFileSync(join(w, "etc/passwd"), "utf8").split("\n").find((l) => l.startsWith("argus:"));
    expect(passwd).toBeDefined();
    const [, , uid, gid, , home, shell] = passwd!.split(":");
    expect(Number(uid)).toBeLessThan(1000);
    expect(home).toBe("/var/lib/argus");
    expect(shell).toBe("/usr/sbin/nologin");
    expect(readFileSync(join(w, "etc/group"), "utf8")).toMatch(new RegExp(`^argus:x:${gid}:`, "m"));
    // The state directory, owned by it.
    const state = statSync(join(w, "varlib/argus"));
    expect(state.uid).toBe(Number(uid));
    expect(state.gid).toBe(Number(gid));
    expect(state.mode & 0o777).toBe(0o750);
    // The secrets file: root-only, with a generated secret that survived the second run.
    const envFile = join(w, "etc/argus/argus.env");
    const st = statSync(envFile);
    expect(st.mode & 0o777).toBe(0o600);
    expect(st.uid).toBe(0);
    const secrets = readFileSync(envFile, "utf8").match(/^ARGUS_SESSION_SECRET=(\S+)$/gm) ?? [];
    expect(secrets.length).toBe(1);
    expect(secrets[0].length - "ARGUS_SESSION_SECRET=".length).toBeGreaterThanOrEqual(32);
    expect(r.stdout).toContain("created with a new session secret");
    expect(r.stdout).toContain("kept (existing secret)");
    expect(r.stdout).toContain("system user 'argus' exists");
    // The unit, byte for byte the one in the repository, and the binary itself.
    expect(readFileSync(join(w, "etc/systemd/system/argus.service"), "utf8")).toBe(unitText);
    const installed = statSync(join(w, "bin/argus"));
    expect(installed.mode & 0o777).toBe(0o755);
    expect(installed.size).toBe(statSync(bins.x64).size);
  }, 120_000);

  test.skipIf(!rootReady)("an env file without a secret gets one; one with a secret is left alone", async () => {
    const own = `ARGUS_PORT=9090\nARGUS_SESSION_SECRET=${randomToken(40)}\n`;
    const r = await inScratchSystem(`
mkdir -p /etc/argus && printf 'ARGUS_PORT=9090\\n' > /etc/argus/argus.env && chmod 644 /etc/argus/argus.env
"$BIN" install --no-start; echo "added=$?"
cp /etc/argus/argus.env "$W/after-add"
printf '%s' "$OWN" > /etc/argus/argus.env
"$BIN" install --no-start; echo "kept=$?"
cp /etc/argus/argus.env "$W/after-keep"
`, { OWN: own });
    expect(r.stdout).toContain("added=0");
    expect(r.stdout).toContain("session secret added");
    const added = readFileSync(join(r.w, "after-add"), "utf8");
    expect(added).toStartWith("ARGUS_PORT=9090\n");
    expect(added).toMatch(/^ARGUS_SESSION_SECRET=\S{32,}$/m);
    expect(statSync(join(r.w, "etc/argus/argus.env")).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(r.w, "after-keep"), "utf8")).toBe(own);
  }, 120_000);

  test.skipIf(!rootReady)("refuses clearly: not root (4), systemd not running (1, nothing changed), not the compiled binary (2)", async () => {
    const r = await inScratchSystem(`
setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN" install; echo "nonroot=$?"
"$BIN" install; echo "nosystemd=$?"
test -e /var/lib/argus && echo "state-created" || echo "state-absent"
"${BUN}" "$REPO/src/main.ts" install --no-start; echo "source=$?"
`);
    expect(r.stdout).toContain("nonroot=4");
    expect(r.stderr).toContain("argus install: must run as root (try: sudo argus install)");
    expect(r.stdout).toContain("nosystemd=1");
    expect(r.stderr).toContain("argus install: systemd is not running on this machine");
    expect(r.stdout).toContain("state-absent");
    expect(r.stdout).toContain("source=2");
    expect(r.stderr).toContain("run this from the compiled binary");
  }, 120_000);
});
