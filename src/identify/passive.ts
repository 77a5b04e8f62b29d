// What a passive sighting says about a device, with the evidence for each answer:
//
//   identifyDhcp(prl, vendorClass): { os, type } | null   option 55/60 fingerprint (dhcp-fingerprints.json)
//   identifyMdns(services, model):  { type, os, source, evidence } | null   announced service types, _device-info model
//   dhcpFingerprint(prl, vendorClass): "1,3,6,15|MSFT 5.0" (the key stored per device, for rotated MACs)
//
// A DHCP hostname is what the device calls itself; its evidence is "dhcp". Types from DHCP carry
// "dhcp-fingerprint", from mDNS "mdns-service" (service types) or "mdns-model" (_device-info).
import table from "./dhcp-fingerprints.json" with { type: "json" };

type Rule = { vendor?: string; prl?: string; prl_prefix?: string; os: string; type: string };
const RULES = (table.rules as Rule[]).map((r) => ({ ...r, re: r.vendor ? new RegExp(r.vendor, "i") : null }));

export function dhcpFingerprint(prl: string | null, vendorClass: string | null): string | null {
  if (!prl && !vendorClass) return null;
  return `${prl ?? ""}|${vendorClass ?? ""}`;
}

export function identifyDhcp(prl: string | null, vendorClass: string | null): { os: string; type: string } | null {
  for (const r of RULES) {
    if (r.re && !(vendorClass && r.re.test(vendorClass))) continue;
    if (r.prl && r.prl !== prl) continue;
    if (r.prl_prefix && !(prl && (prl === r.prl_prefix || prl.startsWith(`${r.prl_prefix},`)))) continue;
    if (!r.re && !r.prl && !r.prl_prefix) continue;
    return { os: r.os, type: r.type };
  }
  return null;
}

// Service type → device type, most specific first (a Mac shares files too: its model decides).
const SERVICE_TYPES: [RegExp, string][] = [
  [/^_(ipp|ipps|printer|pdl-datastream|uscan|uscans|scanner)\._tcp$/, "printer"],
  [/^_onvif\._(tcp|udp)$/, "camera"],
  // Sonos speakers also announce _airplay: their own service type decides first.
  [/^_sonos\._tcp$/, "speaker"],
  [/^_(googlecast|amzn-wplay|androidtvremote2?|roku-rcp|viziocast)\._tcp$/, "tv"],
  [/^_airplay\._tcp$/, "tv"],
  [/^_(raop|sonos|spotify-connect)\._tcp$/, "speaker"],
  [/^_(hap|homekit|matter|matterc|hue|shelly|esphomelib)\._(tcp|udp)$/, "iot"],
  [/^_(smb|afpovertcp|adisk|nfs|timemachine)\._tcp$/, "nas"],
  [/^_(apple-mobdev2|companion-link)\._tcp$/, "phone"],
  [/^_(ssh|sftp-ssh|rfb|workstation)\._tcp$/, "computer"],
];

// _device-info model names (Apple's are "MacBookPro18,3", "iPhone14,2", "AppleTV11,1", "AudioAccessory5,1").
const MODELS: [RegExp, string, string | null][] = [
  [/^(MacBook|Macmini|MacPro|iMac|Mac\d|Xserve)/i, "computer", "macOS"],
  [/^iPhone/i, "phone", "iOS"],
  [/^iPad/i, "phone", "iPadOS"],
  [/^AppleTV/i, "tv", "tvOS"],
  [/^AudioAccessory|^HomePod/i, "speaker", null],
  [/^(DS|RS|DVA)\d+|^TS-\d+|^ReadyNAS|^MyCloud/i, "nas", null],
];

export type MdnsIdentity = { type: string; os: string | null; source: "mdns-service" | "mdns-model"; evidence: string };

export function identifyMdns(services: string[], model: string | null): MdnsIdentity | null {
  if (model) {
    for (const [re, type, os] of MODELS) if (re.test(model)) return { type, os, source: "mdns-model", evidence: `announces the model ${model}` };
  }
  for (const [re, type] of SERVICE_TYPES) {
    const hit = services.find((s) => re.test(s));
    if (hit) return { type, os: null, source: "mdns-service", evidence: `announces ${hit}` };
  }
  return null;
}
