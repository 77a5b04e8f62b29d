// Reading a DHCP server's lease file (dnsmasq, ISC dhcpd): the one place that touches the file, with
// a size limit and failures the owner can act on. What is read is another program's file, possibly
// half-written (dhcpd appends as it grants): the parsers take any text and skip what they cannot read.
import { realpathSync, statSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { Type } from "@sinclair/typebox";
import { SourceError } from "./types.ts";

/** A lease file larger than this is refused: 5,000 leases take well under 1 MiB. */
export const LEASE_FILE_LIMIT = 32 * 1024 * 1024;

/** The config fields of a lease-file source. */
export const leaseFileFields = Type.Object(
  {
    path: Type.String({ minLength: 2, maxLength: 4096, pattern: "^/[^\\u0000]*$", errorMessage: "must be an absolute path (/var/lib/misc/dnsmasq.leases)", description: "Absolute path of the lease file, a regular file readable by the appliance's user; not under /proc, /sys, /dev, /run or the appliance's data directory" }),
  },
  { additionalProperties: false },
);

export type LeaseFileConfig = { path: string };

const MIB = 1024 * 1024;

/**
 * Where no lease file lives: the kernel's and devices' pseudo-files and runtime state. Whoever may edit
 * the configuration could otherwise use a source as an oracle on them (does it exist, how large is it).
 */
export const REFUSED_LEASE_ROOTS = ["/proc", "/sys", "/dev", "/run"] as const;

const under = (path: string, root: string) => path === root || path.startsWith(root.endsWith("/") ? root : `${root}/`);

/** The path with every symbolic link resolved, as far as it exists (a lease file may not be there yet). */
function realPath(path: string): string {
  let rest = "";
  for (let p = resolve(path); ; ) {
    try {
      return join(realpathSync(p), rest);
    } catch {
      const up = dirname(p);
      if (up === p) return resolve(path);
      rest = join(basename(p), rest);
      p = up;
    }
  }
}

/**
 * Why `path` may not be a lease file's, or null: under REFUSED_LEASE_ROOTS or one of `protectedPaths`
 * (the appliance's own data: its database, session secret, configuration), as written or with its
 * links resolved; or there but not a regular file. Phrased to follow the path ("… is not a regular file").
 */
export function leasePathProblem(path: string, protectedPaths: readonly string[] = []): string | null {
  const paths = [resolve(path), realPath(path)];
  const root = REFUSED_LEASE_ROOTS.find((r) => paths.some((p) => under(p, r)));
  if (root) return `is under ${root}: no lease file lives there`;
  const own = protectedPaths.flatMap((p) => [resolve(p), realPath(p)]);
  if (own.some((o) => paths.some((p) => under(p, o)))) return "is the appliance's own data: no lease file lives there";
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch {
    return null; // Not there (yet): a run says so.
  }
  return isFile ? null : "is not a regular file";
}

/**
 * The file's text (bytes that are not UTF-8 as U+FFFD); SourceError config, not_found, too_large,
 * unreachable or timeout. The path is checked again here (leasePathProblem): a link may have been
 * pointed elsewhere since the configuration was saved.
 */
export async function readLeaseFile(path: string, signal: AbortSignal, limit = LEASE_FILE_LIMIT, protectedPaths: readonly string[] = []): Promise<string> {
  const problem = leasePathProblem(path, protectedPaths);
  if (problem) throw new SourceError("config", `${path} ${problem}`);
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new SourceError("config", `${path} is not a regular file`);
    size = s.size;
  } catch (e) {
    throw fileError(e, path);
  }
  // Not its size: whatever the file is, the detail says no more about it than that it is too large.
  if (size > limit) throw new SourceError("too_large", `${path} is larger than ${limit / MIB} MiB, the limit for a lease file`);
  let bytes: Buffer;
  try {
    bytes = await readFile(path, { signal });
  } catch (e) {
    throw fileError(e, path);
  }
  // It may have grown between the two looks.
  if (bytes.length > limit) throw new SourceError("too_large", `${path} grew over the ${limit / MIB} MiB limit for a lease file while it was read`);
  return new TextDecoder("utf-8", { fatal: false }).decode(bytes);
}

function fileError(e: unknown, path: string): SourceError {
  if (e instanceof SourceError) return e;
  const code = (e as { code?: string; name?: string }).code;
  if ((e as { name?: string }).name === "AbortError" || code === "ABORT_ERR") return new SourceError("timeout", `reading ${path} took too long`);
  if (code === "ENOENT" || code === "ENOTDIR") return new SourceError("not_found", `${path} does not exist`);
  if (code === "EACCES" || code === "EPERM") return new SourceError("unreachable", `${path} cannot be read: permission denied for the appliance's user`);
  if (code === "EISDIR") return new SourceError("config", `${path} is a directory, not a lease file`);
  return new SourceError("unreachable", `${path} cannot be read (${code ?? "I/O error"})`);
}

/**
 * A parser written as a generator that yields now and then (every few hundred lines or blocks): run to
 * the end at once (`finishNow`, the pure function the tests call), or with the event loop handed back
 * at each yield (`finishYielding`, what a run does), so a large file is not one long block for the API.
 */
export type SteppedParser<T> = Generator<void, T, void>;

/** How long finishYielding runs a parser's steps before it hands the event loop back. */
const PARSE_SLICE_MS = 0.25;

export function finishNow<T>(parser: SteppedParser<T>): T {
  for (;;) {
    const step = parser.next();
    if (step.done) return step.value;
  }
}

export async function finishYielding<T>(parser: SteppedParser<T>, signal: AbortSignal): Promise<T> {
  for (;;) {
    const sliceEnd = performance.now() + PARSE_SLICE_MS;
    let step = parser.next();
    while (!step.done && performance.now() < sliceEnd) step = parser.next();
    if (step.done) return step.value;
    if (signal.aborted) throw signal.reason;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}
