// Whether this machine has an IPv4 route to an address, asked of the kernel itself: a UDP socket's
// connect() makes the same route lookup a probe's send would (every table and policy rule, the
// default route, a connected subnet) and sends nothing. Used to refuse a scan that could reach no
// address of its target (a subnet typed wrong, or one behind a router this machine has no way to),
// instead of running it and reporting an empty network.
import { libc } from "../os/libc.ts";
import { read } from "bun:ffi";

const AF_INET = 2;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
// The kernel's answers meaning "no way there" (Linux, the same on x86_64 and arm64): no route at
// all, or an `unreachable` route.
const NO_ROUTE = new Set([101 /* ENETUNREACH */, 113 /* EHOSTUNREACH */]);

/** True or false as the kernel answers; null where it cannot be asked (no glibc, no socket). */
export function hasRoute(ip: number): boolean | null {
  let c;
  try {
    c = libc();
  } catch {
    return null;
  }
  const fd = c.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return null;
  try {
    const addr = new Uint8Array(16);
    const view = new DataView(addr.buffer);
    view.setUint16(0, AF_INET, true);
    view.setUint16(2, 9, false); // discard; nothing is sent
    view.setUint32(4, ip >>> 0, false);
    if (c.connect(fd, addr, 16) === 0) return true;
    const errno = read.i32(c.__errno_location() as never, 0);
    return NO_ROUTE.has(errno) ? false : null;
  } finally {
    c.close(fd);
  }
}
