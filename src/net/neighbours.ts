// The kernel's IPv4 neighbour (ARP) table, readable without privilege.
import { readFileSync } from "node:fs";
import { normalizeMac, parseIpv4 } from "./ip.ts";

export interface Neighbour {
  ip: string;
  ipNum: number;
  mac: string;
  iface: string;
}

const ATF_COM = 0x2; // entry resolved (a MAC is known)
const ATF_PERM = 0x4;

/** Parse /proc/net/arp text: only resolved entries with a real MAC count;
 * incomplete ones (flags 0x0, MAC 00:00:...) are addresses that did not answer. */
export function parseProcNetArp(text: string): Neighbour[] {
  const out: Neighbour[] = [];
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6) continue;
    const [ipText, , flagsText, macText, , iface] = f;
    const flags = Number.parseInt(flagsText, 16);
    const ipNum = parseIpv4(ipText);
    const mac = normalizeMac(macText);
    if (ipNum === null || !mac || Number.isNaN(flags)) continue;
    if (!(flags & (ATF_COM | ATF_PERM)) || mac === "00:00:00:00:00:00") continue;
    out.push({ ip: ipText, ipNum, mac, iface });
  }
  return out;
}

export function readNeighbours(path = "/proc/net/arp"): Neighbour[] {
  try {
    return parseProcNetArp(readFileSync(path, "utf8"));
  } catch {
    return [];
  }
}
