// `argus install`: turns the downloaded binary into a running, hardened systemd service.
// Idempotent, so it is also the upgrade: run the new binary's `install` and it replaces the old
// one, keeps the data and the secrets, and restarts the service.
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import unitText from "../../systemd/argus.service" with { type: "text" };
import { randomToken } from "../auth/digest.ts";
import { compiledBinary } from "../service/embedded.ts";
import { CliError, EXIT } from "./errors.ts";

export const PATHS = {
  binary: "/usr/local/bin/argus",
  unit: "/etc/systemd/system/argus.service",
  envDir: "/etc/argus",
  envFile: "/etc/argus/argus.env",
  stateDir: "/var/lib/argus",
} as const;
export const SERVICE_USER = "argus";

export const USAGE = `Usage: argus install [--no-start]

Installs this binary as the Argus service (run as root):
  - copies it to ${PATHS.binary}
  - creates the system user '${SERVICE_USER}' and ${PATHS.stateDir} (the database)
  - writes ${PATHS.envFile} (mode 0600) with a generated ARGUS_SESSION_SECRET, kept on re-install
  - installs ${PATHS.unit}, then enables and (re)starts it

Running it again with a newer binary upgrades in place. Options:
  --no-start   install the files and the user only; leave systemctl alone
               (for image building, or machines where systemd is not running)`;

/** The env file a fresh install gets: the secret, plus the settings an operator may want, commented. */
export function initialEnvFile(secret: string): string {
  return [
    "# Argus service settings, read by systemd (as root) before it starts argus. Keep this file 0600.",
    `ARGUS_SESSION_SECRET=${secret}`,
    "#ARGUS_PORT=8080",
    "#ARGUS_HOST=0.0.0.0",
    "#ARGUS_LOG_LEVEL=info",
    "# A unix socket beside TCP, for a local reverse proxy or tools (the unit provides /run/argus):",
    "#ARGUS_SOCKET=/run/argus/argus.sock",
    "# Set to 1 when a reverse proxy serves Argus over HTTPS:",
    "#ARGUS_SECURE_COOKIES=1",
    "",
  ].join("\n");
}

function exec(cmd: string, args: string[]): { ok: boolean; output: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.error) return { ok: false, output: `${cmd}: ${r.error.message}` };
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}`.trim() };
}

function must(cmd: string, args: string[]): void {
  const r = exec(cmd, args);
  if (!r.ok) throw new CliError(`${cmd} ${args.join(" ")} failed${r.output ? `: ${r.output}` : ""}`);
}

function serviceIds(): { uid: number; gid: number } | null {
  const r = exec("getent", ["passwd", SERVICE_USER]);
  if (!r.ok) return null;
  const [, , uid, gid] = r.output.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

function ensureUser(): { uid: number; gid: number; created: boolean } {
  const existing = serviceIds();
  if (existing) return { ...existing, created: false };
  must("useradd", ["--system", "--user-group", "--home-dir", PATHS.stateDir, "--no-create-home", "--shell", "/usr/sbin/nologin", "--comment", "Argus LAN watch appliance", SERVICE_USER]);
  const ids = serviceIds();
  if (!ids) throw new CliError(`useradd reported success but user '${SERVICE_USER}' does not exist`);
  return { ...ids, created: true };
}

/** Copies the running binary into place atomically (a running old binary keeps its inode). */
function installBinary(): boolean {
  const self = realpathSync(process.execPath);
  if (existsSync(PATHS.binary) && realpathSync(PATHS.binary) === self) return false;
  mkdirSync(dirname(PATHS.binary), { recursive: true });
  const tmp = `${PATHS.binary}.new-${process.pid}`;
  copyFileSync(self, tmp);
  chmodSync(tmp, 0o755);
  renameSync(tmp, PATHS.binary);
  return true;
}

function writeAtomically(path: string, text: string, mode: number): void {
  const tmp = `${path}.new-${process.pid}`;
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

/** Creates the env file with a fresh secret, or keeps the existing one (re-install, upgrade). */
function ensureEnvFile(): "created" | "kept" | "secret added" {
  mkdirSync(PATHS.envDir, { recursive: true, mode: 0o755 });
  if (!existsSync(PATHS.envFile)) {
    writeAtomically(PATHS.envFile, initialEnvFile(randomToken(48)), 0o600);
    return "created";
  }
  chmodSync(PATHS.envFile, 0o600);
  const current = readFileSync(PATHS.envFile, "utf8");
  if (/^\s*ARGUS_SESSION_SECRET=\S{32,}/m.test(current)) return "kept";
  writeAtomically(PATHS.envFile, `${current.replace(/\n?$/, "\n")}ARGUS_SESSION_SECRET=${randomToken(48)}\n`, 0o600);
  return "secret added";
}

function ensureStateDir(uid: number, gid: number): void {
  mkdirSync(PATHS.stateDir, { recursive: true, mode: 0o750 });
  chownSync(PATHS.stateDir, uid, gid);
  chmodSync(PATHS.stateDir, 0o750);
}

function systemdRunning(): boolean {
  return existsSync("/run/systemd/system");
}

/** Waits until systemd reports the unit active (Type=notify: after argus said READY). */
function waitActive(timeoutMs: number): string {
  const until = Date.now() + timeoutMs;
  let state = "";
  while (Date.now() < until) {
    state = exec("systemctl", ["is-active", "argus.service"]).output;
    if (state === "active" || state === "failed") return state;
    Bun.sleepSync(250);
  }
  return state;
}

function portFromEnvFile(): string {
  const m = /^\s*ARGUS_PORT=(\d+)/m.exec(readFileSync(PATHS.envFile, "utf8"));
  return m ? m[1] : "8080";
}

export async function run(args: string[]): Promise<number> {
  let start = true;
  for (const a of args) {
    if (a === "--help" || a === "-h") {
      console.log(USAGE);
      return 0;
    }
    if (a === "--no-start") start = false;
    else throw new CliError(`unknown option ${a}`, EXIT.usage);
  }
  if (process.geteuid?.() !== 0) throw new CliError("must run as root (try: sudo argus install)", EXIT.privilege);
  if (!compiledBinary) throw new CliError("run this from the compiled binary (npm run build, then dist/argus-linux-<arch> install)", EXIT.usage, false);
  if (start && !systemdRunning()) {
    throw new CliError("systemd is not running on this machine; use --no-start to install the files only and start `argus serve` another way");
  }
  const user = ensureUser();
  console.log(user.created ? `created system user '${SERVICE_USER}'` : `system user '${SERVICE_USER}' exists`);
  console.log(installBinary() ? `installed ${PATHS.binary}` : `${PATHS.binary} is this binary`);
  ensureStateDir(user.uid, user.gid);
  console.log(`state directory ${PATHS.stateDir} (owner ${SERVICE_USER}, 0750)`);
  const env = ensureEnvFile();
  console.log(`${PATHS.envFile}: ${env === "created" ? "created with a new session secret" : env === "kept" ? "kept (existing secret)" : "session secret added"}`);
  mkdirSync(dirname(PATHS.unit), { recursive: true });
  writeAtomically(PATHS.unit, unitText, 0o644);
  console.log(`installed ${PATHS.unit}`);
  if (!start) {
    console.log("not starting (--no-start); later: systemctl daemon-reload && systemctl enable --now argus");
    return 0;
  }
  must("systemctl", ["daemon-reload"]);
  must("systemctl", ["enable", "argus.service"]);
  // restart, not start: on an upgrade the old process must make way for the new binary.
  must("systemctl", ["restart", "argus.service"]);
  const state = waitActive(20_000);
  if (state !== "active") throw new CliError(`argus.service is ${state || "not active"}; see: journalctl -u argus -n 50`);
  console.log(`Argus is running: open http://<this machine>:${portFromEnvFile()}/ to create the admin account`);
  return 0;
}
