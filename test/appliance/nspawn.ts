// A real systemd to install the appliance on: a Debian bookworm minbase root (debootstrap, with
// systemd and dbus) booted with `systemd-nspawn -b --private-network`, so the container has only
// its own loopback and nothing it starts can reach another network. Commands run inside it through
// `nsenter -t <its systemd> -a`, from this process.
//
// debootstrap takes about a minute, so the root is cached as a tarball in $ARGUS_CI_CACHE (default
// /var/cache/argus-ci) and unpacked afresh for every boot.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { runCmd } from "./harness.ts";

const CACHE = process.env.ARGUS_CI_CACHE ?? "/var/cache/argus-ci";
const IMAGE = join(CACHE, "bookworm-systemd.tar");
const MIRROR = process.env.DEBIAN_MIRROR ?? "http://deb.debian.org/debian";

/** The cached root, made with debootstrap on first use. */
export async function rootImage(): Promise<string> {
  if (existsSync(IMAGE)) return IMAGE;
  mkdirSync(CACHE, { recursive: true });
  const work = mkdtempSync(join(CACHE, "debootstrap-"));
  try {
    const boot = await runCmd(["debootstrap", "--variant=minbase", "--include=systemd,systemd-sysv,dbus", "bookworm", join(work, "root"), MIRROR], { timeoutMs: 600_000 });
    if (boot.code !== 0) throw new Error(`debootstrap failed (${boot.code}): ${boot.stdout.slice(-2000)}${boot.stderr.slice(-2000)}`);
    const tar = await runCmd(["tar", "-C", join(work, "root"), "-cf", `${IMAGE}.new`, "."], { timeoutMs: 120_000 });
    if (tar.code !== 0) throw new Error(`tar failed: ${tar.stderr}`);
    renameSync(`${IMAGE}.new`, IMAGE);
    return IMAGE;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export type Exec = { code: number; stdout: string; stderr: string };

export type Container = {
  root: string;
  /** PID (in this namespace) of the container's systemd. */
  pid: number;
  /** Runs a command inside the container (all its namespaces). */
  exec: (cmd: string[], opts?: { timeoutMs?: number; stdin?: string }) => Promise<Exec>;
  /** Runs a command of this machine in the container's network namespace only (its loopback). */
  execInNet: (cmd: string[], opts?: { timeoutMs?: number }) => Promise<Exec>;
  /** The boot console so far (for failure messages). */
  console: () => string;
  stop: () => Promise<void>;
};

const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** The parent PID and command name of a process, or null once it is gone. */
function stat(pid: number): { ppid: number; comm: string } | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = s.lastIndexOf(")");
    return { comm: s.slice(s.indexOf("(") + 1, close), ppid: Number(s.slice(close + 2).split(" ")[1]) };
  } catch {
    return null;
  }
}

/** The container's init: the process named systemd whose ancestors include nspawn. */
function findInit(nspawnPid: number): number | null {
  for (const name of readdirSync("/proc")) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === nspawnPid) continue;
    const s = stat(pid);
    if (!s || s.comm !== "systemd") continue;
    for (let p = s.ppid, hops = 0; p > 1 && hops < 4; p = stat(p)?.ppid ?? 0, hops++) if (p === nspawnPid) return pid;
  }
  return null;
}

/**
 * Unpacks the image into a scratch directory, puts `files` (name → path on this machine) into its
 * /root, boots it and waits until systemd says the system is up.
 */
export async function bootContainer(files: Record<string, string>): Promise<Container> {
  const image = await rootImage();
  const dir = mkdtempSync(join("/var/tmp", "argus-nspawn-"));
  const root = join(dir, "root");
  mkdirSync(root);
  const untar = await runCmd(["tar", "-C", root, "-xf", image], { timeoutMs: 120_000 });
  if (untar.code !== 0) throw new Error(`cannot unpack ${image}: ${untar.stderr}`);
  for (const [name, from] of Object.entries(files)) {
    const cp = spawnSync("install", ["-m", "0755", from, join(root, "root", name)]);
    if (cp.status !== 0) throw new Error(`cannot copy ${from} into the container: ${cp.stderr}`);
  }
  const machine = `argus-test-${process.pid}`;
  const proc = Bun.spawn(["systemd-nspawn", "-D", root, "-b", "--private-network", "--register=no", "--keep-unit", `--machine=${machine}`, "--console=pipe"], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  // If this test process dies (a timeout, a kill), a detached watcher stops this container (by its
  // PID) and removes its root. Double-forked: bun kills what a test spawned, and this must outlive it.
  Bun.spawnSync(["sh", "-c", '(while kill -0 "$0" 2>/dev/null; do sleep 1; done; kill -TERM "$1" 2>/dev/null; for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$1" 2>/dev/null || break; sleep 1; done; kill -KILL "$1" 2>/dev/null; rm -rf --one-file-system "$2") </dev/null >/dev/null 2>&1 &', String(process.pid), String(proc.pid), dir]);
  let console = "";
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) console += decoder.decode(chunk, { stream: true });
  };
  void pump(proc.stdout as ReadableStream<Uint8Array>);
  void pump(proc.stderr as ReadableStream<Uint8Array>);

  const stop = async () => {
    if (proc.exitCode === null) {
      // SIGTERM asks nspawn for an orderly shutdown of the container's systemd.
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 20_000);
      await proc.exited;
      clearTimeout(timer);
    }
    // nspawn mounted everything in its own mount namespace; nothing is left mounted here. Still,
    // never recurse across a mount point.
    spawnSync("rm", ["-rf", "--one-file-system", dir]);
  };

  let pid: number | null = null;
  // Generous: a loaded 2-core CI machine boots a container in seconds, but not always.
  const until = Date.now() + 120_000;
  while (pid === null) {
    if (proc.exitCode !== null || Date.now() > until) {
      await stop();
      throw new Error(`systemd-nspawn did not boot (exit ${proc.exitCode}):\n${console.slice(-4000)}`);
    }
    pid = findInit(proc.pid);
    if (pid === null) await Bun.sleep(100);
  }
  const init = pid;
  const exec = (cmd: string[], opts: { timeoutMs?: number; stdin?: string } = {}) =>
    // -r -w: the container's own root, also when this process runs in a chroot (entering the mount
    // namespace alone would land on the namespace's bottom mount, under the container's root).
    runCmd(["nsenter", "-t", String(init), "-a", "-r", "-w", "env", "-i", `PATH=${PATH}`, "LANG=C.UTF-8", "SYSTEMD_PAGER=", ...cmd], opts);
  const execInNet = (cmd: string[], opts: { timeoutMs?: number } = {}) => runCmd(["nsenter", "-t", String(init), "-n", ...cmd], opts);

  // Booted: systemd answers and has finished starting its units ("running", or "degraded" when
  // some unit of the bare image failed, which is not ours to judge).
  let state = "";
  while (Date.now() < until) {
    state = (await exec(["systemctl", "is-system-running"])).stdout.trim();
    if (state === "running" || state === "degraded") break;
    await Bun.sleep(250);
  }
  if (state !== "running" && state !== "degraded") {
    await stop();
    throw new Error(`the container's systemd did not finish booting (state '${state}'):\n${console.slice(-4000)}`);
  }
  return { root, pid: init, exec, execInNet, console: () => console, stop };
}
