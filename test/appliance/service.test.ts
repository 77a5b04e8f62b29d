// The small pieces under src/service/: the sd_notify address encoding, the capability check and
// the embedded-files defaults when run from source.
import { describe, expect, test } from "bun:test";
import { effectiveCapabilities, hasNetRaw } from "../../src/service/capabilities.ts";
import { compiledBinary, embeddedNativeLibrary } from "../../src/service/embedded.ts";
import { sdNotify, sockaddrUn, watchdogIntervalMs } from "../../src/service/notify.ts";

describe("sockaddr_un", () => {
  test("a path socket: family AF_UNIX, the path, then its NUL", () => {
    const a = sockaddrUn("/run/systemd/notify")!;
    expect(a.len).toBe(2 + "/run/systemd/notify".length + 1);
    expect(new DataView(a.addr.buffer).getUint16(0, true)).toBe(1);
    expect(Buffer.from(a.addr.subarray(2, a.len - 1)).toString()).toBe("/run/systemd/notify");
    expect(a.addr[a.len - 1]).toBe(0);
  });

  test("an abstract socket: a leading NUL instead of '@', no terminator counted", () => {
    const a = sockaddrUn("@argus/notify")!;
    expect(a.addr[2]).toBe(0);
    expect(Buffer.from(a.addr.subarray(3, a.len)).toString()).toBe("argus/notify");
    expect(a.len).toBe(2 + 1 + "argus/notify".length);
  });

  test("too long or empty names are refused", () => {
    expect(sockaddrUn(`/${"x".repeat(107)}`)).toBeNull();
    expect(sockaddrUn(`/${"x".repeat(106)}`)).not.toBeNull();
    expect(sockaddrUn("@")).toBeNull();
  });
});

describe("sd_notify without systemd", () => {
  test("no NOTIFY_SOCKET, or a relative one, sends nothing", () => {
    expect(sdNotify("READY=1", {})).toBe(false);
    expect(sdNotify("READY=1", { NOTIFY_SOCKET: "relative/path" })).toBe(false);
  });

  test("the watchdog interval applies only to the PID systemd named", () => {
    expect(watchdogIntervalMs({})).toBeNull();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: "30000000" })).toBe(30_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: "30000000", WATCHDOG_PID: String(process.pid) })).toBe(30_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: "30000000", WATCHDOG_PID: String(process.pid + 1) })).toBeNull();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: "zero" })).toBeNull();
  });
});

describe("capabilities", () => {
  test("CapEff parsing and the CAP_NET_RAW bit (13)", () => {
    expect(effectiveCapabilities("Name:\tx\nCapEff:\t0000000000002000\n")).toBe(0x2000n);
    expect(effectiveCapabilities("CapEff:\t000001ffffffffff\n")).toBe(0x1ffffffffffn);
    expect(effectiveCapabilities("CapPrm:\t0\n")).toBeNull();
  });

  test("matches what this process really has", async () => {
    const status = await Bun.file("/proc/self/status").text();
    const bit = ((effectiveCapabilities(status) ?? 0n) >> 13n) & 1n;
    expect(hasNetRaw()).toBe(bit === 1n);
  });
});

test("from source nothing is embedded", () => {
  expect(compiledBinary).toBe(false);
  expect(embeddedNativeLibrary).toBeNull();
});
