// One UDP datagram sent out of a named interface (SO_BINDTODEVICE), through the C library.
//
// Binding a socket to an interface's address only sets the datagram's source: the kernel still picks
// the way out by its routes, and with two interfaces on one subnet (wired and Wi-Fi on the same LAN,
// or an address handed out twice by the LAN's DHCP server) the packet leaves by whichever route came
// first, whatever address it was bound to. Node's dgram has no SO_BINDTODEVICE, so the few calls are
// made here directly (Linux, glibc; the option needs no privilege on a socket bound to no device yet).
import { dlopen, FFIType, ptr, read } from "bun:ffi";
import { errnoName } from "./native-loader.ts";
import { parseIpv4 } from "./ip.ts";

const AF_INET = 2;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_BROADCAST = 6;
const SO_BINDTODEVICE = 25;
const MSG_DONTWAIT = 0x40;
const IFNAMSIZ = 16;

let libc: ReturnType<typeof openLibc> | null = null;
function openLibc() {
  return dlopen("libc.so.6", {
    socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    setsockopt: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
    sendto: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i64 },
    close: { args: [FFIType.i32], returns: FFIType.i32 },
    __errno_location: { args: [], returns: FFIType.ptr },
  }).symbols;
}

/** A failed call, with the errno's name as `code` (as node's errors carry it). */
export class SocketCallError extends Error {
  constructor(
    readonly call: string,
    readonly code: string,
  ) {
    super(`${call}: ${code}`);
  }
}

/** Sends `payload` to `destination`:`port` out of interface `iface` only (broadcast allowed); throws SocketCallError. */
export function sendUdpFromInterface(iface: string, destination: string, port: number, payload: Uint8Array): void {
  const ip = parseIpv4(destination);
  if (ip === null) throw new Error(`not an IPv4 address: ${destination}`);
  const name = new TextEncoder().encode(`${iface}\0`);
  if (name.length > IFNAMSIZ || iface.length === 0 || iface.includes("\0")) throw new Error(`not an interface name: ${iface}`);
  const c = (libc ??= openLibc());
  const fail = (call: string): never => {
    const errno = read.i32(c.__errno_location()!);
    throw new SocketCallError(call, errnoName(errno).split(" ")[0]);
  };
  const fd = c.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket");
  try {
    const on = new Int32Array([1]);
    if (c.setsockopt(fd, SOL_SOCKET, SO_BROADCAST, ptr(on), 4) !== 0) fail("setsockopt SO_BROADCAST");
    if (c.setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ptr(name), name.length) !== 0) fail("setsockopt SO_BINDTODEVICE");
    // struct sockaddr_in: family (host order), port and address (network order), 8 bytes of zero.
    const addr = new Uint8Array(16);
    const view = new DataView(addr.buffer);
    view.setUint16(0, AF_INET, true);
    view.setUint16(2, port, false);
    view.setUint32(4, ip, false);
    if (Number(c.sendto(fd, ptr(payload), payload.length, MSG_DONTWAIT, ptr(addr), addr.length)) !== payload.length) fail("sendto");
  } finally {
    c.close(fd);
  }
}
