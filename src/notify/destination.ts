// Where a notification may go, and what its sender may learn from a failure.
//
// Anyone who may edit the configuration (an API key) can point a channel anywhere and press "test".
// Two things keep that from turning the appliance into a probe:
// - a loopback destination (127/8, ::1, 0.0.0.0, `localhost`, any spelling or DNS name that resolves
//   to one) is refused unless `notifications.allow_loopback_destinations` is true: services bound to
//   the appliance's own loopback are not reachable from the LAN and must stay so; so is a link-local
//   one (169.254/16, fe80::/10), where a cloud host's metadata service answers;
// - a failed delivery is reported (API, delivery records) only as "the destination did not accept the
//   message": whether the connection was refused, timed out, failed TLS or got an HTTP status, and
//   whatever the receiver answered, goes to the server's log for the owner, never into an answer.
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";

/** The one reason a failed send is given in answers and delivery records. */
export const NOT_ACCEPTED = "the destination did not accept the message";
export const LOOPBACK_REFUSED = "the destination is a loopback address of the appliance; set notifications.allow_loopback_destinations to true to allow it";
export const LINK_LOCAL_REFUSED =
  "the destination is a link-local address (169.254.0.0/16, fe80::/10: cloud metadata services live there); set notifications.allow_loopback_destinations to true to allow it";

/** A send refused before anything left the appliance; its message is safe to show. */
export class DestinationRefused extends Error {}

/** 127.0.0.0/8, 0.0.0.0/8 (reaches this host), ::1, :: and their IPv4-mapped forms. */
export function isLoopbackAddress(ip: string): boolean {
  let a = ip.toLowerCase().replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const mapped = /^(?:0{0,4}:){0,5}(?:0{0,4}:)?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a) ?? /^::(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) a = mapped[1];
  else {
    const hex = /^(?:0{0,4}:){0,5}(?:0{0,4}:)?ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(a);
    if (hex) {
      const hi = parseInt(hex[1], 16);
      const lo = parseInt(hex[2], 16);
      a = `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
    }
  }
  if (isIP(a) === 4) {
    const first = Number(a.split(".")[0]);
    return first === 127 || first === 0;
  }
  if (isIP(a) === 6) {
    const groups = expand(a);
    return groups !== null && groups.slice(0, 7).every((g) => g === 0) && (groups[7] === 1 || groups[7] === 0);
  }
  return false;
}

/** 169.254.0.0/16 and fe80::/10 (and IPv4-mapped): no notification service lives there, metadata services do. */
export function isLinkLocalAddress(ip: string): boolean {
  let a = ip.toLowerCase().replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const mapped = /^(?:0{0,4}:){0,5}(?:0{0,4}:)?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) a = mapped[1];
  if (isIP(a) === 4) return a.startsWith("169.254.");
  if (isIP(a) === 6) {
    const groups = expand(a);
    return groups !== null && (groups[0] & 0xffc0) === 0xfe80;
  }
  return false;
}

function expand(v6: string): number[] | null {
  const [head, tail] = v6.includes("::") ? v6.split("::") : [v6, null];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  if (t.length > 0 && t[t.length - 1].includes(".")) return null;
  const missing = 8 - h.length - t.length;
  if (missing < 0 || (tail === null && missing !== 0)) return null;
  return [...h, ...Array(missing).fill("0"), ...t].map((g) => parseInt(g, 16));
}

/**
 * Refuses a loopback destination (unless allowed): the host as written (any spelling: `2130706433`,
 * `0x7f.1`, `[::1]`, `localhost.`), then every address the resolver gives for it, the way the
 * connection would resolve it. A name that does not resolve is left to the send, which then fails.
 */
export async function checkDestination(host: string, allowLoopback: boolean, signal?: AbortSignal): Promise<void> {
  if (allowLoopback) return;
  const name = host.replace(/^\[|\]$/g, "").replace(/\.+$/, "").toLowerCase();
  if (name === "localhost" || name.endsWith(".localhost") || isLoopbackAddress(name)) throw new DestinationRefused(LOOPBACK_REFUSED);
  if (isLinkLocalAddress(name)) throw new DestinationRefused(LINK_LOCAL_REFUSED);
  let addresses: { address: string }[];
  try {
    // Bounded by the send's own timeout: a resolver that never answers must not hold the lane.
    const aborted = new Promise<never>((_, reject) => signal?.addEventListener("abort", () => reject(new Error("timed out resolving the destination")), { once: true }));
    addresses = await (signal ? Promise.race([lookup(name, { all: true, verbatim: true }), aborted]) : lookup(name, { all: true, verbatim: true }));
  } catch (e) {
    if (signal?.aborted) throw e;
    return;
  }
  if (addresses.some((a) => isLoopbackAddress(a.address))) throw new DestinationRefused(LOOPBACK_REFUSED);
  if (addresses.some((a) => isLinkLocalAddress(a.address))) throw new DestinationRefused(LINK_LOCAL_REFUSED);
}

/** The host a channel connects to: its URL's host, or an e-mail channel's server. */
export function destinationHost(c: { url?: string; host?: string }): string | null {
  if (typeof c.host === "string") return c.host;
  if (typeof c.url !== "string") return null;
  try {
    return new URL(c.url).hostname;
  } catch {
    return null;
  }
}

const OWN_REASON = /^channel ".{1,64}" is (no longer configured|disabled)$/;

/**
 * A delivery's error as answers show it: the appliance's own reasons as they are; anything else (a
 * record written by an older version, which kept the receiver's reply) as the coarse reason.
 */
export function shownError(error: string | null): string | null {
  if (error === null || error === NOT_ACCEPTED || error === LOOPBACK_REFUSED || error === LINK_LOCAL_REFUSED || OWN_REASON.test(error)) return error;
  return NOT_ACCEPTED;
}
