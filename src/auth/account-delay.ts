// Failed-login delay per account name, across every client address (the per-IP limiter in
// rate-limit.ts cannot see a guesser who owns a hundred addresses). The first FREE_FAILURES failures
// of a name cost nothing; after that each attempt must wait 2^(n-FREE_FAILURES) seconds after the
// n-th failure, up to MAX_DELAY_S. During the wait every attempt is refused unchecked, the right
// password included, so waiting is the only way on. A success forgets the name's failures, and so
// does a change of the account's password (`argus user reset-password`, another process: the caller
// hands in a stamp of the stored credential, and a different stamp starts the name afresh).
//
// Names that are no account are counted exactly like the account's: the answers must not tell which
// names exist. Memory is bounded: at most `maxNames` names are remembered; a name that finds the table
// full (an attacker spraying names) shares one overflow entry with every other such name, which fails
// closed, and a remembered name is never pushed out by new ones before it is forgotten.
export const FREE_FAILURES = 5;
export const MAX_DELAY_S = 15 * 60;
/** A name with no failed attempt for this long starts afresh. */
export const FORGET_AFTER_MS = 24 * 60 * 60 * 1000;
const MAX_NAMES = 10_000;
/** How often, at most, a full table is swept for forgotten names (the sweep walks it all). */
const SWEEP_EVERY_MS = 60_000;
/** Not a possible name (login names are JSON strings the user typed; this key is not lower-cased text of one). */
const OVERFLOW = "\u0000overflow";

type Entry = { failures: number; last: number; stamp: string | null };

/** Seconds an account must wait after its n-th failure before the next attempt. */
export function delaySeconds(failures: number): number {
  if (failures < FREE_FAILURES) return 0;
  return Math.min(2 ** (failures - FREE_FAILURES), MAX_DELAY_S);
}

export class AccountLoginDelay {
  private readonly entries = new Map<string, Entry>();
  private lastSweep = -Infinity;

  constructor(readonly maxNames = MAX_NAMES) {}

  /** How many names are remembered (bounded by maxNames plus the overflow entry). */
  get size(): number {
    return this.entries.size;
  }

  /** Seconds `name` must wait before its next attempt, or 0 when it may try now. */
  retryAfter(name: string, stamp: string | null, now = Date.now()): number {
    const entry = this.entry(name, stamp, now);
    if (!entry) return 0;
    const wait = entry.last + delaySeconds(entry.failures) * 1000 - now;
    return wait > 0 ? Math.ceil(wait / 1000) : 0;
  }

  /**
   * Counts an attempt as a failure from the moment it starts: password checks are slow, and parallel
   * attempts from many addresses must not all pass the check before the first one fails.
   */
  attempt(name: string, stamp: string | null, now = Date.now()): void {
    const entry = this.entry(name, stamp, now) ?? this.remember(name, stamp, now);
    entry.failures += 1;
    entry.last = now;
  }

  /** The attempt was right: the name's failures are forgotten. */
  succeeded(name: string): void {
    this.entries.delete(keyOf(name));
  }

  /** The live entry of `name` (its own, or the overflow one it shares), null when it has none. */
  private entry(name: string, stamp: string | null, now: number): Entry | null {
    const key = keyOf(name);
    const own = this.entries.get(key);
    if (own) {
      if (own.stamp === stamp && now - own.last < FORGET_AFTER_MS) return own;
      this.entries.delete(key);
      return null;
    }
    const shared = this.entries.get(OVERFLOW);
    if (!shared) return null;
    if (now - shared.last >= FORGET_AFTER_MS) {
      this.entries.delete(OVERFLOW);
      return null;
    }
    // Only a name that would not get a place of its own shares the overflow entry.
    return this.hasRoom(now) ? null : shared;
  }

  private remember(name: string, stamp: string | null, now: number): Entry {
    const entry: Entry = { failures: 0, last: now, stamp };
    if (this.hasRoom(now)) this.entries.set(keyOf(name), entry);
    else {
      const shared = this.entries.get(OVERFLOW);
      if (shared) return shared;
      this.entries.set(OVERFLOW, { ...entry, stamp: null });
      return this.entries.get(OVERFLOW)!;
    }
    return entry;
  }

  private hasRoom(now: number): boolean {
    if (this.named() < this.maxNames) return true;
    if (now - this.lastSweep < SWEEP_EVERY_MS) return false;
    this.lastSweep = now;
    for (const [key, e] of this.entries) if (now - e.last >= FORGET_AFTER_MS) this.entries.delete(key);
    return this.named() < this.maxNames;
  }

  private named(): number {
    return this.entries.size - (this.entries.has(OVERFLOW) ? 1 : 0);
  }
}

/** Login names compare without case (the users table's username is COLLATE NOCASE); folding more than
 *  ASCII only ever merges names, which errs on the side of the delay. */
function keyOf(name: string): string {
  return name.toLowerCase();
}
