// The small pieces under src/service/: the sd_notify address encoding, the capability check and
// the embedded-files defaults when run from source.
import { describe, expect, test } from "bun:test";
import { effectiveCapabilities, hasNetRaw } from "../../src/service/capabilities.ts";
import { compiledBinary, embeddedNativeLibrary } from "../../src/service/embedded.ts";
import { sdNotify, sockaddrUn, watchdogIntervalMs } from "../../src/service/systemd-notify.ts";
import { startupReport } from "../../src/service/startup.ts";

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

describe("the start-up line", () => {
  test("raw sockets and a confirmed subnet: one info line saying both", () => {
    const r = startupReport({ subnets: ["192.168.1.0/24", "10.0.0.0/24"] }, true);
    expect(r).toEqual({
      level: "info",
      message: "Raw sockets available: full discovery (ARP and ICMP sweeps). Watching 192.168.1.0/24, 10.0.0.0/24.",
      fields: { raw_sockets: "full", subnets: "192.168.1.0/24,10.0.0.0/24" },
    });
  });

  test("no subnet confirmed yet (every first start): an info line, not a warning, that nothing will be scanned", () => {
    // Issue 18: the owner's first log line was level=warn although nothing was wrong.
    const r = startupReport({ subnets: [] }, true);
    expect(r.level).toBe("info");
    expect(r.message).toEndWith("No subnet confirmed: nothing will be scanned until one is confirmed in the setup wizard or config.");
    expect(r.fields).toEqual({ raw_sockets: "full", subnets: "none" });
  });

  test("without CAP_NET_RAW: what is degraded and how to fix it, in the same line", () => {
    const r = startupReport({ subnets: ["10.0.0.0/24"] }, false, true);
    expect(r.level).toBe("warn");
    expect(r.message).toStartWith("Discovery is degraded");
    expect(r.message).toContain("setcap cap_net_raw+ep");
    // What it can and cannot do over IPv6 (issue 19).
    expect(r.message).toContain("IPv6: no ICMPv6 echo to all nodes and no neighbour solicitations are sent (both need raw sockets)");
    expect(r.message).toContain("devices keep the IPv6 addresses already recorded");
    expect(r.message).toEndWith("Watching 10.0.0.0/24.");
    expect(r.message).not.toContain("\n");
    expect(r.fields.raw_sockets).toBe("degraded");
    expect(startupReport({ subnets: [] }, false, true).level).toBe("warn");
  });
});
