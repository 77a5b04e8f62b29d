// The home-1000 port set (src/portscan/home-ports.json): its size, its range, the ports issue 19 names,
// and that it is what scripts/port-set-import.ts builds from its sources.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { buildHomePorts } from "../../scripts/port-set-import.ts";
import homePorts from "../../src/portscan/home-ports.json" with { type: "json" };
import { HOME_PORT_SET, PORT_SETS } from "../../src/portscan/home-ports.ts";
import { parsePortSpec, resolveProfile } from "../../src/portscan/profiles.ts";

// Issue 19: "must include 8080, 8123 (Home Assistant), 32400 (Plex), 1883 (MQTT), 9100 (printers), 3389 (RDP),
// 5000/5001 (Synology), 8443, plus 554, 1900, 5353, 8008/8009 (Chromecast), 8883, 62078 and the common NAS and
// camera ports".
const NAMED = [8080, 8123, 32400, 1883, 9100, 3389, 5000, 5001, 8443, 554, 1900, 5353, 8008, 8009, 8883, 62078];
const NAS = [139, 445, 548, 873, 2049, 3260, 5005, 5006, 6690, 8081]; // SMB, AFP, rsync, NFS, iSCSI, WebDAV, Synology Drive, QNAP
const CAMERA = [554, 8554, 8000, 37777, 34567, 8899, 9000, 7441, 1935]; // RTSP, Hikvision, Dahua, XMEye, ONVIF, Reolink, UniFi Protect, RTMP
const NMAP_SERVICES = "/usr/share/nmap/nmap-services";

describe("home-1000 port set", () => {
  const ports = PORT_SETS.get(HOME_PORT_SET)!;

  test("about 1,000 unique TCP ports in 1..65535", () => {
    expect(HOME_PORT_SET).toBe("home-1000");
    expect(new Set(ports).size).toBe(ports.length);
    expect(ports.length).toBeGreaterThanOrEqual(950);
    expect(ports.length).toBeLessThanOrEqual(1050);
    for (const p of ports) {
      expect(Number.isInteger(p)).toBe(true);
      expect(p).toBeGreaterThanOrEqual(1);
      expect(p).toBeLessThanOrEqual(65535);
    }
  });

  test("includes every port the issue names and the common NAS and camera ports", () => {
    const set = new Set(ports);
    expect([...NAMED, ...NAS, ...CAMERA].filter((p) => !set.has(p))).toEqual([]);
  });

  test("every entry names its source, and every source is described", () => {
    const sources = homePorts._sources as Record<string, string>;
    for (const [port, why] of homePorts.ports as [number, string][]) {
      const key = /\[(\w+)\]$/.exec(why)?.[1];
      expect({ port, source: key && key in sources }).toEqual({ port, source: true });
    }
  });

  test("is the normal profile's default, and a spec can name it beside other ports", () => {
    const normal = resolveProfile("normal");
    expect(normal.port_spec).toBe("home-1000");
    expect(normal.ports).toEqual([...ports].sort((a, b) => a - b));
    const extended = parsePortSpec("home-1000,65500");
    expect(extended.length).toBe(ports.length + 1);
    expect(extended.at(-1)).toBe(65500); // above the set's highest port (65389)
    expect(() => parsePortSpec("home-2000")).toThrow(/port set \(home-1000\)/);
  });

  test.skipIf(!existsSync(NMAP_SERVICES))("is what scripts/port-set-import.ts builds from nmap-services and the curated list", () => {
    const built = buildHomePorts(NMAP_SERVICES);
    expect(built.ports.map(([p]) => p)).toEqual([...ports]);
    expect(homePorts.ports).toEqual(built.ports);
    // Ranked: the curated home ports first, then nmap's by frequency.
    expect(homePorts.from_curated).toBe(built.from_curated);
    expect(readFileSync(NMAP_SERVICES, "utf8")).toContain("8080/tcp");
  });
});
