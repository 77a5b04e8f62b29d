// Whether this process may open raw sockets (CAP_NET_RAW in its effective set), read from
// /proc/self/status so that the answer is known at start-up without sending anything.
import { readFileSync } from "node:fs";

const CAP_NET_RAW = 13n;

/** Effective capability bits from a /proc/<pid>/status text, or null when absent. */
export function effectiveCapabilities(status: string): bigint | null {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
  return m ? BigInt(`0x${m[1]}`) : null;
}

export function hasNetRaw(statusPath = "/proc/self/status"): boolean {
  try {
    const caps = effectiveCapabilities(readFileSync(statusPath, "utf8"));
    return caps !== null && ((caps >> CAP_NET_RAW) & 1n) === 1n;
  } catch {
    return false;
  }
}
