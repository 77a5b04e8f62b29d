import { describe, expect, test } from "bun:test";
import { guessDeviceType, guessOs } from "../../src/identify/device-type.ts";
import { lookupVendor } from "../../src/identify/vendor.ts";
import rules from "../../src/identify/device-types.json";
import { DEVICE_TYPES as DEVICE_TYPES_KNOWN } from "../../src/inventory/enums.ts";

const type = (e: Parameters<typeof guessDeviceType>[0]) => guessDeviceType(e).device_type;

describe("device type guess", () => {
  test("routers", () => {
    expect(type({ vendor: "AVM Audiovisuelles Marketing und Computersysteme GmbH", hostname: "fritz.box", ports: [53, 80, 443] })).toBe("router");
    expect(type({ vendor: "TP-LINK TECHNOLOGIES CO.,LTD.", ports: [53, 80, 1900] })).toBe("router");
    expect(type({ vendor: "Routerboard.com", ports: [21, 22, 23, 53, 80, 8291] })).toBe("router");
    expect(type({ ports: [{ port: 80, service: "http", extra: { title: "LuCI - OpenWrt" } }, { port: 53 }] })).toBe("router");
  });
  test("printers", () => {
    expect(type({ vendor: "Brother Industries, LTD.", hostname: "BRN3C2AF4123456", ports: [80, 443, 515, 631, 9100] })).toBe("printer");
    // An HP vendor alone is ambiguous (laptops, servers); the printing ports decide.
    expect(type({ vendor: "HP Inc.", ports: [80, 443, 631, 9100] })).toBe("printer");
  });
  test("NAS, TV, phone, IoT", () => {
    expect(type({ vendor: "Synology Incorporated", ports: [22, 80, 139, 445, 5000, 5001] })).toBe("nas");
    expect(type({ vendor: "Google, Inc.", hostname: "Chromecast-Ultra", ports: [8008, 8009, 8443] })).toBe("tv");
    expect(type({ vendor: "Roku, Inc", ports: [8060] })).toBe("tv");
    expect(type({ hostname: "Annas-iPhone", mac_randomized: true, ports: [] })).toBe("phone");
    expect(type({ vendor: "Apple, Inc.", ports: [62078] })).toBe("phone");
    expect(type({ mac_randomized: true, ports: [] })).toBe("phone");
    expect(type({ vendor: "Espressif Inc.", hostname: "shelly1pm-A1B2C3", ports: [80] })).toBe("iot");
  });
  test("servers and computers", () => {
    expect(type({ vendor: "Super Micro Computer, Inc.", ports: [22, 80, 443, 3306] })).toBe("server");
    expect(type({ vendor: "VMware, Inc.", ports: [22, 5432] })).toBe("server");
    expect(type({ vendor: "Dell Inc.", hostname: "DESKTOP-4F1A2B", ports: [135, 139, 445, 3389] })).toBe("computer");
    expect(type({ vendor: "Intel Corporate", ports: [{ port: 22, service: "ssh", os_hint: "Linux (Ubuntu)" }] })).toBe("computer");
  });
  test("too little evidence is unknown", () => {
    expect(guessDeviceType({})).toEqual({ device_type: "unknown", confidence: 0, scores: {}, reasons: [], evidence: null });
    expect(type({ ports: [80] })).toBe("unknown");
    expect(type({ vendor: "Private", ports: [443] })).toBe("unknown");
  });
  test("vendors from the real-LAN capture resolve to the types those makers sell", () => {
    // Cross-module: the registry's spelling of the names must hit the table's vendor patterns.
    expect(type({ vendor: lookupVendor("00:21:9b:18:bd:e2"), ports: [135, 445] })).toBe("computer"); // Dell
    expect(type({ vendor: lookupVendor("00:00:aa:a1:b3:60"), ports: [9100] })).toBe("printer"); // Xerox
    expect(type({ vendor: lookupVendor("00:0c:29:ec:85:39"), ports: [22, 3306] })).toBe("server"); // VMware
  });
  test("reasons and confidence explain the call", () => {
    const g = guessDeviceType({ vendor: "Brother Industries, LTD.", ports: [9100] });
    expect(g.reasons).toEqual(["printer +3: vendor Brother Industries, LTD.", "printer +3: port 9100"]);
    expect(g.confidence).toBe(1);
    expect(g.scores).toEqual({ printer: 6 });
  });
  test("table is well-formed", () => {
    for (const r of rules.rules) {
      expect(rules.types).toContain(r.type);
      expect(r.weight).toBeGreaterThan(0);
      for (const k of ["vendor", "hostname", "title", "os"] as const) {
        const v = (r as Record<string, unknown>)[k];
        if (v !== undefined) expect(() => new RegExp(v as string, "i")).not.toThrow();
      }
    }
  });
});

describe("types with the evidence the device page shows", () => {
  const guess = (e: Parameters<typeof guessDeviceType>[0]) => {
    const g = guessDeviceType(e);
    return { type: g.device_type, evidence: g.evidence };
  };

  test("camera: an open RTSP port is a video stream", () => {
    expect(guess({ ports: [80, 554] })).toEqual({ type: "camera", evidence: "RTSP port 554 open (a video stream)" });
    expect(guess({ ports: [8554] })).toEqual({ type: "camera", evidence: "RTSP port 8554 open (a video stream)" });
    // A camera maker's RTSP camera (this was "iot" before cameras were a type of their own).
    expect(guess({ vendor: "Hangzhou Hikvision Digital Technology Co.,Ltd.", ports: [80, 554, 8000] })).toEqual({
      type: "camera",
      evidence: "RTSP port 554 open (a video stream); vendor Hangzhou Hikvision Digital Technology Co.,Ltd.",
    });
  });
  test("camera: ONVIF ports, a camera's web server or its web page title", () => {
    expect(guess({ ports: [80, 8899] })).toEqual({ type: "camera", evidence: "ONVIF port 8899 open" });
    expect(guess({ ports: [3702] })).toEqual({ type: "camera", evidence: "ONVIF port 3702 open" });
    expect(guess({ ports: [{ port: 80, service: "http", extra: { server: "Hikvision-Webs" } }] })).toEqual({ type: "camera", evidence: 'web server "Hikvision-Webs"' });
    expect(guess({ ports: [{ port: 80, service: "http", extra: { server: "uc-httpd 1.0.0" } }] })).toEqual({ type: "camera", evidence: 'web server "uc-httpd 1.0.0"' });
    expect(guess({ ports: [{ port: 80, service: "http", extra: { title: "Network Camera" } }] })).toEqual({ type: "camera", evidence: 'web title "Network Camera"' });
  });
  test("router: the LAN's default gateway, or its DHCP server, whatever else it shows", () => {
    expect(guess({ gateway: true, ports: [] })).toEqual({ type: "router", evidence: "the LAN's default gateway" });
    expect(guess({ dhcp_server: true, ports: [53, 67] })).toEqual({ type: "router", evidence: "the LAN's DHCP server; DNS port 53 open" });
    expect(guess({ gateway: true, dhcp_server: true, ports: [22, 80, 443] })).toEqual({ type: "router", evidence: "the LAN's default gateway; the LAN's DHCP server" });
    // A gateway with a computer's ports is still the router (a Linux box routing the LAN).
    expect(guess({ gateway: true, vendor: "Intel Corporate", ports: [{ port: 22, service: "ssh", os_hint: "Linux" }] }).type).toBe("router");
    // Not the gateway: the same host is no router.
    expect(guess({ gateway: false, ports: [22, 80, 443] }).type).not.toBe("router");
  });
  test("printer: raw printing on 9100 and IPP on 631", () => {
    expect(guess({ ports: [9100] })).toEqual({ type: "printer", evidence: "printing port 9100 open (raw/LPD)" });
    expect(guess({ ports: [80, 631] })).toEqual({ type: "printer", evidence: "IPP port 631 open" });
    expect(guess({ ports: [515, 631, 9100] })).toEqual({ type: "printer", evidence: "printing port 9100/515 open (raw/LPD); IPP port 631 open" });
  });
  test("speaker: Sonos ports or a speaker maker", () => {
    expect(guess({ ports: [1400, 1443] })).toEqual({ type: "speaker", evidence: "Sonos ports 1400+1443 open" });
    expect(guess({ vendor: "Sonos, Inc.", ports: [1400, 1443] })).toEqual({ type: "speaker", evidence: "vendor Sonos, Inc.; Sonos ports 1400+1443 open" });
  });
  test("without a rule's why, the evidence is the conditions met", () => {
    expect(guess({ vendor: "Synology Incorporated", ports: [445, 548] })).toEqual({ type: "nas", evidence: "vendor Synology Incorporated; ports 445+548" });
  });
  test("every type the table answers is one the rest of Argus knows (override, icons, UI)", () => {
    for (const t of [...rules.types, "unknown"]) expect(DEVICE_TYPES_KNOWN).toContain(t as (typeof DEVICE_TYPES_KNOWN)[number]);
  });
});

describe("OS guess from banners", () => {
  test("most frequent hint, specific Linux over generic", () => {
    expect(guessOs([])).toBeNull();
    expect(guessOs([{ os_hint: "Linux" }, { os_hint: "Linux (Debian)" }, { os_hint: "Linux" }])).toBe("Linux (Debian)");
    expect(guessOs([{ os_hint: "Windows" }, { os_hint: null }, { os_hint: "Windows" }, { os_hint: "Linux" }])).toBe("Windows");
  });
});
