// Gives memory back once the appliance falls quiet: a few seconds after the last request (and not
// while a scan runs), the JavaScript engine is asked once to shrink its footprint (`Bun.shrink()`:
// a full collection, the compiled code of functions not running dropped, free pages returned).
//
// Why: an appliance is idle nearly all the time, but each burst of requests leaves behind the linked
// and JIT-compiled code of every function it ran (~2.5 MB of code blocks after the UI and a few API
// pages) and heap pages that a normal collection keeps. Dropped, they cost the next request a relink
// of the bytecode the binary carries (well under a millisecond per function), not a parse.
//
// Per request the cost is one timestamp; the timer is armed at most once per quiet period.
import { log } from "../log.ts";

/** Quiet time after the last request before the footprint is shrunk. */
export const IDLE_SHRINK_MS = 5_000;

export type IdleShrinkOptions = {
  /** Whether work is under way that should not be interrupted by a collection (a scan). */
  busy: () => boolean;
  /** Called once per quiet period; the engine's own by default. */
  shrink?: () => void;
  idleMs?: number;
};

export class IdleShrink {
  private lastActivity = performance.now();
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Whether activity came since the last shrink: a quiet appliance is shrunk once, not every period. */
  private dirty = true;
  private stopped = false;
  private readonly idleMs: number;
  private readonly shrinkNow: () => void;
  /** How often it shrank (for tests). */
  shrinks = 0;

  constructor(private readonly opts: IdleShrinkOptions) {
    this.idleMs = opts.idleMs ?? IDLE_SHRINK_MS;
    this.shrinkNow = opts.shrink ?? (() => Bun.shrink());
  }

  /** Starts watching; the start-up's own garbage is the first thing given back. */
  start(): this {
    this.arm(this.idleMs);
    return this;
  }

  /** Called for every request. */
  touch(): void {
    this.lastActivity = performance.now();
    this.dirty = true;
    if (this.timer === null && !this.stopped) this.arm(this.idleMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => this.check(), ms);
    // Never the reason the process stays alive.
    this.timer.unref?.();
  }

  private check(): void {
    this.timer = null;
    if (this.stopped || !this.dirty) return;
    const quietFor = performance.now() - this.lastActivity;
    if (quietFor < this.idleMs) return this.arm(this.idleMs - quietFor);
    if (this.opts.busy()) return this.arm(this.idleMs);
    this.dirty = false;
    this.shrinks++;
    const t0 = performance.now();
    this.shrinkNow();
    log.debug("quiet: memory given back", { ms: Number((performance.now() - t0).toFixed(1)) });
  }
}
