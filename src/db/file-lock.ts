// Advisory flock(2) locks beside the database, for what processes sharing one data dir must agree on:
// who runs the one scan (`<database>.scan-lock`, held while a scan runs: the server or `argus scan`)
// and whether the service runs (`<database>.serve-lock`, held by `argus serve` for its lifetime, so
// `argus restore` can refuse). The kernel drops a lock the moment its holder dies (a crash, kill -9, a
// reboot), before the process is even reaped, so unlike a stored pid it cannot be fooled by a zombie
// or by an unrelated process that got the same pid.
import { closeSync, existsSync, openSync, readFileSync, statSync } from "node:fs";
import { libc } from "../os/libc.ts";

const LOCK_EX = 2;
const LOCK_NB = 4;

function flock(fd: number, op: number): number {
  return libc().flock(fd, op);
}

export class FileLock {
  private fd: number | null = null;

  /** `path` null: a database in memory, which no other process can share; the lock is this process's alone. */
  constructor(private readonly path: string | null) {}

  /** Takes the lock if nobody holds it; true when this process now holds it. */
  tryAcquire(): boolean {
    if (this.fd !== null) return false;
    if (this.path === null) {
      this.fd = -1;
      return true;
    }
    const fd = openSync(this.path, "a", 0o600);
    if (flock(fd, LOCK_EX | LOCK_NB) !== 0) {
      closeSync(fd);
      return false;
    }
    this.fd = fd;
    return true;
  }

  release(): void {
    if (this.fd === null) return;
    if (this.fd >= 0) closeSync(this.fd); // closing the descriptor drops the lock
    this.fd = null;
  }

  get held(): boolean {
    return this.fd !== null;
  }

  /**
   * True when another process holds the lock (a scan runs there, the service runs). Read from the kernel's lock table
   * without touching the lock: a probe that took it for a moment would make an `argus scan` starting
   * at that instant fail as if a scan were running.
   */
  heldElsewhere(): boolean {
    if (this.fd !== null || this.path === null || !existsSync(this.path)) return false;
    return flockHolders(this.path).length > 0;
  }
}

/** Pids holding a flock on `path`, from /proc/locks (`N: FLOCK ADVISORY WRITE pid maj:min:inode 0 EOF`). */
export function flockHolders(path: string): number[] {
  const st = statSync(path);
  const dev = st.dev;
  // Linux dev_t: major in bits 8–19 (and 32+), minor in bits 0–7 and 20+; /proc/locks prints both in hex.
  const major = Number((BigInt(dev) >> 8n) & 0xfffn);
  const minor = Number((BigInt(dev) & 0xffn) | ((BigInt(dev) >> 12n) & 0xfff00n));
  const holders: number[] = [];
  for (const line of readFileSync("/proc/locks", "utf8").split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f[1] !== "FLOCK" || f[2] === "->") continue; // "->" marks a waiter, not a holder
    const [maj, min, ino] = (f[5] ?? "").split(":");
    if (Number(ino) === st.ino && parseInt(maj, 16) === major && parseInt(min, 16) === minor) holders.push(Number(f[4]));
  }
  return holders;
}

/** A lock file beside a database file; null for a database in memory. */
function besideDatabase(databaseFile: string, suffix: string): string | null {
  return databaseFile === "" || databaseFile === ":memory:" ? null : `${databaseFile}.${suffix}`;
}

export const scanLockPath = (databaseFile: string) => besideDatabase(databaseFile, "scan-lock");
export const serveLockPath = (databaseFile: string) => besideDatabase(databaseFile, "serve-lock");
