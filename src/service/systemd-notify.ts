// systemd's readiness and watchdog protocol (sd_notify(3)): datagrams such as "READY=1" sent to the
// AF_UNIX socket named in $NOTIFY_SOCKET. Bun has no unix datagram sockets (node:dgram is UDP only),
// so the few libc calls go through bun:ffi. They run in this process, so the unit can keep
// NotifyAccess=main. Without $NOTIFY_SOCKET (not under systemd, or Type=simple) everything is a no-op.
import { ptr } from "bun:ffi";
import { log } from "../log.ts";
import { libc } from "../os/libc.ts";

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const MSG_NOSIGNAL = 0x4000;
const SUN_PATH_MAX = 108;

/** struct sockaddr_un for a path; "@name" is the abstract namespace (leading NUL, no terminator). */
export function sockaddrUn(socketPath: string): { addr: Uint8Array; len: number } | null {
  const abstract = socketPath.startsWith("@");
  const name = Buffer.from(abstract ? socketPath.slice(1) : socketPath);
  // One NUL either way: before the name (abstract) or after it (a path).
  const pathLen = name.length + 1;
  if (socketPath.length < 2 || pathLen > SUN_PATH_MAX) return null;
  const addr = new Uint8Array(2 + SUN_PATH_MAX);
  new DataView(addr.buffer).setUint16(0, AF_UNIX, true);
  addr.set(name, abstract ? 3 : 2);
  return { addr, len: 2 + pathLen };
}

/** Sends one notification; false when there is no socket to send to or the send failed. */
export function sdNotify(state: string, env: Record<string, string | undefined> = process.env): boolean {
  const socketPath = env.NOTIFY_SOCKET;
  if (!socketPath || !(socketPath.startsWith("/") || socketPath.startsWith("@"))) return false;
  const target = sockaddrUn(socketPath);
  if (!target) return false;
  const c = libc();
  const fd = c.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  try {
    const msg = Buffer.from(state);
    return Number(c.sendto(fd, ptr(msg), msg.length, MSG_NOSIGNAL, ptr(target.addr), target.len)) === msg.length;
  } finally {
    c.close(fd);
  }
}

/** The watchdog interval systemd asked for ($WATCHDOG_USEC, for this PID), in ms, or null. */
export function watchdogIntervalMs(env: Record<string, string | undefined> = process.env): number | null {
  const usec = Number(env.WATCHDOG_USEC);
  if (!env.WATCHDOG_USEC || !Number.isFinite(usec) || usec <= 0) return null;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== process.pid) return null;
  return usec / 1000;
}

/**
 * Tells systemd the service is ready and, if a watchdog is configured, pings it at half the
 * interval from the event loop, so a wedged loop gets the service restarted. Returns a function
 * that reports "stopping" and ends the pings.
 */
export function announceReady(status: string): () => void {
  if (!sdNotify(`READY=1\nSTATUS=${status}\nMAINPID=${process.pid}`)) return () => {};
  const interval = watchdogIntervalMs();
  const timer = interval ? setInterval(() => sdNotify("WATCHDOG=1"), Math.max(500, interval / 2)) : null;
  timer?.unref();
  log.debug("notified systemd", { watchdog_ms: interval ?? 0 });
  return () => {
    if (timer) clearInterval(timer);
    sdNotify("STOPPING=1");
  };
}
