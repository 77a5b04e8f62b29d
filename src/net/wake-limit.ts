// How often magic packets may leave: once per device per 5 seconds and 30 a minute in all. Each one
// is a broadcast every host on the link receives; without a limit a session or an API key in a loop
// (or a page held down on Wake) floods the LAN with them.
//
// A wake is reserved before it is sent (so parallel requests cannot all pass the check) and given
// back when no packet left (no MAC, no attached subnet): only sent packets count.
const MAX_TRACKED = 10_000;

export class WakeLimit {
  private readonly lastByDevice = new Map<number, number>();
  /** Times of the packets sent within the last window, oldest first (never more than `overall`). */
  private readonly recent: number[] = [];

  constructor(
    readonly perDeviceMs = 5_000,
    readonly overall = 30,
    readonly windowMs = 60_000,
  ) {}

  /** Reserves a wake of `device` now: 0 and a reservation, or the seconds to wait before one may be sent. */
  take(device: number, now = Date.now()): { wait: number; token: number } {
    while (this.recent.length > 0 && this.recent[0] <= now - this.windowMs) this.recent.shift();
    const last = this.lastByDevice.get(device);
    const deviceWait = last === undefined ? 0 : last + this.perDeviceMs - now;
    const overallWait = this.recent.length >= this.overall ? this.recent[0] + this.windowMs - now : 0;
    const wait = Math.max(deviceWait, overallWait);
    if (wait > 0) return { wait: Math.max(1, Math.ceil(wait / 1000)), token: 0 };
    this.recent.push(now);
    this.lastByDevice.set(device, now);
    if (this.lastByDevice.size > MAX_TRACKED) this.sweep(now);
    return { wait: 0, token: now };
  }

  /** The wake reserved at `token` sent nothing: it no longer counts. */
  giveBack(device: number, token: number): void {
    const i = this.recent.lastIndexOf(token);
    if (i >= 0) this.recent.splice(i, 1);
    if (this.lastByDevice.get(device) === token) this.lastByDevice.delete(device);
  }

  private sweep(now: number): void {
    for (const [device, at] of this.lastByDevice) if (at <= now - this.perDeviceMs) this.lastByDevice.delete(device);
  }
}
