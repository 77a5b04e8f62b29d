// The lease-file parsers on real-looking, hostile and malformed input, and the file reader's failures
// on real files (missing, a directory, over the size limit, unreadable bytes).
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseDnsmasqLeases } from "../../src/sources/dnsmasq-leases.ts";
import { parseIscLeases } from "../../src/sources/isc-leases.ts";
import { leasePathProblem, readLeaseFile } from "../../src/sources/lease-file.ts";
import { SourceError } from "../../src/sources/types.ts";
import { Scratch } from "../helpers/scratch.ts";

const scratch = new Scratch();
afterAll(() => scratch.clear());
const NOW = Date.parse("2026-12-05T04:00:00Z");
const FUTURE = Math.floor(NOW / 1000) + 3600;

const failure = (f: () => unknown): SourceError => {
  try {
    f();
  } catch (e) {
    if (e instanceof SourceError) return e;
    throw e;
  }
  throw new Error("did not throw");
};

describe("dnsmasq lease file", () => {
  test("reads expiry, MAC, address and name; `*` is no name; 0 is an infinite lease; expired leases are left out", () => {
    const text = [
      `${FUTURE} b8:27:eb:12:34:56 192.168.1.20 nas 01:b8:27:eb:12:34:56`,
      `0 3c:07:54:00:00:01 192.168.1.21 printer *`,
      `${FUTURE} 3C-07-54-00-00-02 192.168.1.22 * *`,
      `${Math.floor(NOW / 1000) - 10} 3c:07:54:00:00:03 192.168.1.23 gone *`,
    ].join("\n");
    const { observations, skipped } = parseDnsmasqLeases(text, NOW);
    expect(skipped).toBe(0);
    expect(observations).toEqual([
      { mac: "b8:27:eb:12:34:56", ip: "192.168.1.20", hostname: "nas", lease_expires_at: new Date(FUTURE * 1000).toISOString() },
      { mac: "3c:07:54:00:00:01", ip: "192.168.1.21", hostname: "printer", lease_expires_at: null },
      { mac: "3c:07:54:00:00:02", ip: "192.168.1.22", hostname: null, lease_expires_at: new Date(FUTURE * 1000).toISOString() },
    ]);
  });

  test("DHCPv6 leases after the duid line carry no MAC (their second field is the IAID)", () => {
    const text = `duid 00:01:00:01:2a:3b:4c:5d:b8:27:eb:00:00:01\n${FUTURE} 12345678 fd00::20 laptop 00:01:00:01:aa\n`;
    expect(parseDnsmasqLeases(text, NOW).observations).toEqual([{ mac: null, ip: "fd00::20", hostname: "laptop", lease_expires_at: new Date(FUTURE * 1000).toISOString() }]);
  });

  test("lines that are not leases are skipped; a file of nothing but such lines is malformed; an empty file is no leases", () => {
    const text = [`garbage`, `${FUTURE} b8:27:eb:12:34:56 999.1.1.1 x *`, `${FUTURE} b8:27:eb:12:34:56 192.168.1.20 nas *`, `-5 aa 1.2.3.4 y`, `\u0000\u0001\u0002`].join("\n");
    const r = parseDnsmasqLeases(text, NOW);
    expect(r.observations.map((o) => o.ip)).toEqual(["192.168.1.20"]);
    expect(r.skipped).toBe(4);
    const e = failure(() => parseDnsmasqLeases("this is not\na lease file\n", NOW));
    expect(e.reason).toBe("malformed");
    expect(e.detail).toContain("not a dnsmasq lease file");
    expect(parseDnsmasqLeases("", NOW).observations).toEqual([]);
    expect(parseDnsmasqLeases("\n\n  \n", NOW).observations).toEqual([]);
  });

  test("a MAC field that is no MAC (another hardware type) leaves the MAC out, not the lease", () => {
    expect(parseDnsmasqLeases(`${FUTURE} 20:00:55:04:01:fe:80:00 192.168.1.30 ib-host *`, NOW).observations[0]).toMatchObject({ mac: null, ip: "192.168.1.30", hostname: "ib-host" });
  });

  test("5,000 lines parse in well under a second", () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `${FUTURE} 02:00:00:00:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")} 10.20.${i >> 8}.${i & 255} host-${i} *`);
    const t0 = performance.now();
    expect(parseDnsmasqLeases(lines.join("\n"), NOW).observations).toHaveLength(5000);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

const lease = (ip: string, body: string) => `lease ${ip} {\n${body}\n}\n`;

describe("ISC dhcpd lease file", () => {
  test("reads active leases; the last block of an address wins; free and expired bindings are left out", () => {
    const text = [
      "# The format of this file is documented in the dhcpd.leases(5) manual page.",
      "# This lease file was written by isc-dhcp-4.4.3",
      "",
      "# authoring-byte-order entry is generated, DO NOT DELETE",
      "authoring-byte-order little-endian;",
      "",
      'server-duid "\\000\\001\\000\\001,\\215\\221\\030\\002\\000\\000\\000\\000\\001";',
      "",
      lease("192.168.1.20", '  starts 4 2026/12/03 10:00:00;\n  ends 4 2026/12/03 22:00:00;\n  cltt 4 2026/12/03 10:00:00;\n  binding state active;\n  next binding state free;\n  rewind binding state free;\n  hardware ethernet b8:27:eb:12:34:56;\n  uid "\\001\\270\'\\353\\0224V";\n  client-hostname "old-name";'),
      lease("192.168.1.21", "  binding state free;\n  hardware ethernet 3c:07:54:00:00:01;\n  client-hostname \"freed\";"),
      lease("192.168.1.20", '  starts 4 2026/12/03 11:00:00;\n  ends never;\n  binding state active;\n  hardware ethernet b8:27:eb:12:34:56;\n  client-hostname "nas";'),
      lease("192.168.1.22", "  binding state active;\n  hardware ethernet 3c:07:54:00:00:02;"),
      lease("192.168.1.23", '  binding state active;\n  hardware ethernet 3c:07:54:00:00:03;\n  client-hostname "was-active";'),
      lease("192.168.1.23", "  binding state expired;\n  hardware ethernet 3c:07:54:00:00:03;"),
    ].join("\n");
    const { observations } = parseIscLeases(text);
    expect(observations).toEqual([
      { mac: "b8:27:eb:12:34:56", ip: "192.168.1.20", hostname: "nas", seen_at: "2026-12-03T11:00:00.000Z", lease_expires_at: null },
      { mac: "3c:07:54:00:00:02", ip: "192.168.1.22", hostname: null, seen_at: null, lease_expires_at: null },
    ]);
  });

  test("strings keep escaped quotes, backslashes and octal bytes; braces and semicolons inside strings are text", () => {
    const text = lease("10.0.0.5", '  binding state active;\n  hardware ethernet 00:11:22:33:44:55;\n  client-hostname "a\\"b\\\\c;{d}\\101";\n  starts epoch 1764900000; # local time');
    expect(parseIscLeases(text).observations).toEqual([{ mac: "00:11:22:33:44:55", ip: "10.0.0.5", hostname: 'a"b\\c;{d}A', seen_at: new Date(1764900000 * 1000).toISOString(), lease_expires_at: null }]);
  });

  test("nested blocks (on expiry { … }) and other top-level blocks are passed over", () => {
    const text = [
      'failover peer "dhcp-failover" state {\n  my state normal at 4 2026/12/03 10:00:00;\n  partner state normal at 4 2026/12/03 10:00:00;\n}',
      'host fixed-printer {\n  dynamic;\n  hardware ethernet 00:aa:bb:cc:dd:ee;\n  fixed-address 10.0.0.9;\n}',
      lease("10.0.0.6", '  binding state active;\n  hardware ethernet 00:11:22:33:44:66;\n  on expiry {\n    set ddns-fwd-name = "x";\n  }\n  client-hostname "tv";'),
    ].join("\n");
    expect(parseIscLeases(text).observations).toEqual([{ mac: "00:11:22:33:44:66", ip: "10.0.0.6", hostname: "tv", seen_at: null, lease_expires_at: null }]);
  });

  test("a block cut short while dhcpd writes it (unclosed, or an unterminated string) is left out; the rest stands", () => {
    const good = lease("10.0.0.7", "  binding state active;\n  hardware ethernet 00:11:22:33:44:77;");
    expect(parseIscLeases(good + "lease 10.0.0.8 {\n  binding state active;\n  hardware ether").observations.map((o) => o.ip)).toEqual(["10.0.0.7"]);
    expect(parseIscLeases(good + 'lease 10.0.0.8 {\n  binding state active;\n  client-hostname "unterminated').observations.map((o) => o.ip)).toEqual(["10.0.0.7"]);
  });

  test("garbage: bad addresses, bad MACs, stray braces, binary and a huge statement read safely", () => {
    const text = [
      lease("10.0.0.300", "  binding state active;\n  hardware ethernet 00:11:22:33:44:55;"),
      lease("10.0.0.9", "  binding state active;\n  hardware ethernet zz:11:22:33:44:55;\n  client-hostname unquoted;"),
      "}}}} ;;; {",
      "\u0000\u00ff\ufffd lease",
      "word ".repeat(100_000) + ";",
    ].join("\n");
    const r = parseIscLeases(text);
    // The MAC that is no MAC and the unquoted name are dropped; the lease itself stands.
    expect(r.observations).toEqual([{ mac: null, ip: "10.0.0.9", hostname: null, seen_at: null, lease_expires_at: null }]);
    expect(r.skipped).toBeGreaterThan(0);
  });

  test("a file with no lease block but unreadable statements is malformed; an empty or comment-only file is no leases", () => {
    const e = failure(() => parseIscLeases("<html><body>not found</body></html>;"));
    expect(e.reason).toBe("malformed");
    expect(e.detail).toContain("not an ISC dhcpd lease file");
    expect(parseIscLeases("").observations).toEqual([]);
    expect(parseIscLeases("# nothing yet\nauthoring-byte-order little-endian;\n").observations).toEqual([]);
  });

  test("deep nesting and thousands of blocks stay linear", () => {
    const deep = "lease 10.0.0.1 {" + "{".repeat(50_000) + "}".repeat(50_000) + " binding state active; }";
    expect(parseIscLeases(deep).observations).toHaveLength(1);
    const many = Array.from({ length: 5000 }, (_, i) => lease(`10.20.${i >> 8}.${i & 255}`, `  binding state active;\n  hardware ethernet 02:00:00:00:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")};\n  client-hostname "h${i}";`)).join("");
    const t0 = performance.now();
    expect(parseIscLeases(many).observations).toHaveLength(5000);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe("reading a lease file", () => {
  const signal = new AbortController().signal;
  const reason = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (e) {
      if (e instanceof SourceError) return [e.reason, e.detail];
      throw e;
    }
    return null;
  };

  test("missing, a directory, over the limit: each a clear reason naming the path", async () => {
    const dir = scratch.dir("argus-leases-");
    expect(await reason(readLeaseFile(join(dir, "nope.leases"), signal))).toEqual(["not_found", `${join(dir, "nope.leases")} does not exist`]);
    mkdirSync(join(dir, "sub"));
    expect(await reason(readLeaseFile(join(dir, "sub"), signal))).toEqual(["config", `${join(dir, "sub")} is not a regular file`]);
    const big = join(dir, "big.leases");
    writeFileSync(big, "");
    truncateSync(big, 33 * 1024 * 1024);
    const [why, detail] = (await reason(readLeaseFile(big, signal)))!;
    expect(why).toBe("too_large");
    // Not its exact size: the path could name any file, which the detail must not measure.
    expect(detail).toBe(`${big} is larger than 32 MiB, the limit for a lease file`);
  });

  test("/proc, /sys, /dev, /run and the appliance's own files are refused before they are opened, also behind a link", async () => {
    const dir = scratch.dir("argus-leases-");
    const own = scratch.dir("argus-data-");
    writeFileSync(join(own, "config.json"), "{}");
    symlinkSync("/proc/self", join(dir, "self"));
    symlinkSync(join(own, "config.json"), join(dir, "config.leases"));
    const cases: [string, string][] = [
      ["/proc/self/environ", "is under /proc: no lease file lives there"],
      ["/sys/kernel/notes", "is under /sys: no lease file lives there"],
      ["/dev/zero", "is under /dev: no lease file lives there"],
      ["/run/dnsmasq.leases", "is under /run: no lease file lives there"],
      ["/tmp/../proc/self/environ", "is under /proc: no lease file lives there"],
      [join(dir, "self", "environ"), "is under /proc: no lease file lives there"],
      [join(own, "config.json"), "is the appliance's own data: no lease file lives there"],
      [join(own, "not-yet.db"), "is the appliance's own data: no lease file lives there"],
      [join(dir, "config.leases"), "is the appliance's own data: no lease file lives there"],
    ];
    for (const [path, why] of cases) {
      expect([path, leasePathProblem(path, [own])]).toEqual([path, why]);
      expect([path, await reason(readLeaseFile(path, signal, undefined, [own]))]).toEqual([path, ["config", `${path} ${why}`]]);
    }
    // A file that is not there yet, or a regular one elsewhere, is no problem.
    expect(leasePathProblem(join(dir, "later.leases"), [own])).toBeNull();
    writeFileSync(join(dir, "ok.leases"), "");
    expect(leasePathProblem(join(dir, "ok.leases"), [own])).toBeNull();
    mkdirSync(join(dir, "sub"));
    expect(leasePathProblem(join(dir, "sub"), [own])).toBe("is not a regular file");
  });

  test("a file that is no lease file is said to be so, without its line or statement count", async () => {
    const dir = scratch.dir("argus-leases-");
    const path = join(dir, "shadow");
    writeFileSync(path, Array.from({ length: 30 }, (_, i) => `user${i}:$6$salt$hash:19000:0:99999:7:::`).join("\n"));
    const text = await readLeaseFile(path, signal);
    expect(failure(() => parseDnsmasqLeases(text, NOW)).detail).toBe("not a dnsmasq lease file");
    expect(failure(() => parseIscLeases(text + ";")).detail).toBe("not an ISC dhcpd lease file");
  });

  test("bytes that are not UTF-8 are read as U+FFFD, not refused", async () => {
    const dir = scratch.dir("argus-leases-");
    const path = join(dir, "odd.leases");
    writeFileSync(path, Buffer.from([0x30, 0x20, 0xff, 0xfe, 0x0a]));
    expect(await readLeaseFile(path, signal)).toBe("0 \ufffd\ufffd\n");
  });
});

test("ISC: a run of octal escapes is UTF-8 decoded as a whole (dhcpd escapes each byte outside printable ASCII)", () => {
  const text = lease("10.0.0.5", '  binding state active;\n  client-hostname "Anna\\342\\200\\231s-Mac\\377";');
  expect(parseIscLeases(text).observations[0].hostname).toBe("Anna\u2019s-Mac\ufffd");
});
