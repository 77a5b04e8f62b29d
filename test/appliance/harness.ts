// Builds the appliance binaries once per test process (into a temp dir outside the repo) and runs
// them the way a user would: from a directory without the source tree, optionally with the repo
// hidden by an empty tmpfs (root only), talking HTTP.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const REPO = resolve(import.meta.dir, "../..");
export const BUN = process.execPath;
export { requireThat } from "../helpers/require.ts";

export const isRoot = process.getuid?.() === 0;
export const which = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
export const canCrossCompile = which("aarch64-linux-gnu-gcc");
export const ARM64_SYSROOT = "/usr/aarch64-linux-gnu";
export const canRunArm64 = which("qemu-aarch64") && existsSync(join(ARM64_SYSROOT, "lib", "ld-linux-aarch64.so.1"));

export type Binaries = { dir: string; x64: string; arm64: string | null };

/**
 * Deletes `dir` (~240 MB of binaries) once process `pid` has ended. `bun test` fires no "exit"
 * event, so a small detached shell watches instead; it also cleans up after a killed run.
 */
function removeWhenGone(pid: number, dir: string): void {
  // Double-forked: bun kills the processes a test spawned, and this one must outlive the run.
  Bun.spawnSync(["sh", "-c", '(while kill -0 "$0" 2>/dev/null; do sleep 1; done; rm -rf "$1") </dev/null >/dev/null 2>&1 &', String(pid), dir]);
}
let built: Promise<Binaries> | null = null;

/** `npm run build`'s script, into a temp dir; arm64 only when the cross-compiler is installed. */
export function buildBinaries(): Promise<Binaries> {
  built ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), "argus-bin-"));
    chmodSync(dir, 0o755); // the unprivileged-user tests run the binary from here too
    removeWhenGone(process.pid, dir);
    const args = [join(REPO, "scripts", "build.ts"), "--out-dir", dir];
    if (!canCrossCompile) args.push("--arch", "x64");
    const proc = Bun.spawn([BUN, ...args], { cwd: REPO, stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    if (code !== 0) throw new Error(`build failed (${code}): ${out}${err}`);
    return { dir, x64: join(dir, "argus-linux-x64"), arm64: canCrossCompile ? join(dir, "argus-linux-arm64") : null };
  })();
  return built;
}

/** Command prefix that runs the rest with REPO hidden under an empty tmpfs (needs root). */
export function hideRepo(): string[] {
  return ["unshare", "--mount", "--propagation", "private", "sh", "-c", 'mount -t tmpfs -o size=1m,mode=0755 argus-hidden "$0" && exec "$@"', REPO];
}

export type Launched = {
  proc: ReturnType<typeof Bun.spawn>;
  url: string;
  port: number;
  /** Everything the process wrote to stdout and stderr so far. */
  output: () => string;
  /** Sends a signal and waits for the exit; resolves with the code and how long it took. */
  signal: (sig: NodeJS.Signals, timeoutMs?: number) => Promise<{ code: number | null; ms: number }>;
};

/**
 * Starts `cmd` (which must end in `serve`) and waits for its "listening" line. `env` is the whole
 * environment: the binary must not depend on anything of the test runner's.
 */
export async function launch(cmd: string[], opts: { env: Record<string, string>; cwd: string; timeoutMs?: number }): Promise<Launched> {
  const proc = Bun.spawn(cmd, { cwd: opts.cwd, env: opts.env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  let text = "";
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  };
  void pump(proc.stdout as ReadableStream<Uint8Array>);
  void pump(proc.stderr as ReadableStream<Uint8Array>);
  const until = Date.now() + (opts.timeoutMs ?? 15_000);
  let m: RegExpMatchArray | null = null;
  while (!(m = text.match(/msg="listening" url="(http:\/\/[^"]+:(\d+))"/))) {
    if (proc.exitCode !== null || Date.now() > until) {
      proc.kill("SIGKILL");
      throw new Error(`server did not start (exit ${proc.exitCode}): ${text}`);
    }
    await Bun.sleep(10);
  }
  return {
    proc,
    url: m[1].replace("localhost", "127.0.0.1"),
    port: Number(m[2]),
    output: () => text,
    async signal(sig, timeoutMs = 10_000) {
      const t0 = performance.now();
      proc.kill(sig);
      const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
      const code = await proc.exited;
      clearTimeout(timer);
      return { code, ms: performance.now() - t0 };
    },
  };
}

/** A minimal environment for the binary (no inherited variables). */
export function baseEnv(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", ARGUS_DATA_DIR: dataDir, ARGUS_HOST: "127.0.0.1", ARGUS_PORT: "0", ARGUS_LOG_LEVEL: "info", ...extra };
}

/** Runs a command to completion. */
export async function runCmd(cmd: string[], opts: { env?: Record<string, string>; cwd?: string; stdin?: string; timeoutMs?: number } = {}) {
  const proc = Bun.spawn(cmd, {
    cwd: opts.cwd,
    env: opts.env,
    stdin: opts.stdin !== undefined ? new TextEncoder().encode(opts.stdin) : "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
