// The one door to the C library (bun:ffi): opened once, on first use, with every symbol the
// appliance calls directly. Its users: the port scanner's non-blocking connects (portscan/tcp-libc.ts),
// the advisory locks beside the database (db/file-lock.ts), systemd's readiness datagrams
// (service/systemd-notify.ts). Raw packet sockets are not here: they live in the native core (native/).
//
// glibc only ("libc.so.6"): where it cannot be opened (musl) libc() throws, and each user says what it
// does without (the port scanner falls back to node:net).
import { dlopen, FFIType } from "bun:ffi";

const symbols = {
  socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  connect: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  poll: { args: [FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i32 },
  getsockopt: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  setsockopt: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  sendto: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i64 },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
  flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  __errno_location: { args: [], returns: FFIType.ptr },
} as const;

export type Libc = ReturnType<typeof dlopen<typeof symbols>>["symbols"];

let opened: Libc | null = null;
let failure: Error | null = null;

/** The C library's symbols; throws (every time, the same error) where it cannot be loaded. */
export function libc(): Libc {
  if (opened) return opened;
  if (failure) throw failure;
  try {
    opened = dlopen("libc.so.6", symbols).symbols;
    return opened;
  } catch (e) {
    failure = e instanceof Error ? e : new Error(String(e));
    throw failure;
  }
}
