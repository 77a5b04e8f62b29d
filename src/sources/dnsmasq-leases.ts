// dnsmasq's lease file (dhcp-leasefile, /var/lib/misc/dnsmasq.leases): one lease a line,
//   <expiry epoch seconds, 0 = never> <MAC> <IPv4> <host name or *> <client id or *>
// and, after a `duid <server DUID>` line, DHCPv6 leases whose second field is the IAID, not a MAC:
//   <expiry> <IAID> <IPv6> <host name or *> <client DUID>
// dnsmasq rewrites the whole file on each change. A line that does not read as a lease is skipped;
// a file with lines but no lease at all is not a lease file (malformed; the detail says no more about
// what the file holds, not even how many lines: the path could be any file the appliance can read).
import { normalizeMac } from "../net/ip.ts";
import { isIpv4, isIpv6 } from "./addresses.ts";
import { finishNow, finishYielding, leaseFileFields, readLeaseFile, type LeaseFileConfig, type SteppedParser } from "./lease-file.ts";
import { SourceError, type SourceObservation, type SourceType } from "./types.ts";

export type ParsedLeases = { observations: SourceObservation[]; skipped: number };

/** Lines read between two yields of the parser (finishYielding hands the loop back after PARSE_SLICE_MS of them). */
const LINES_PER_STEP = 50;

/** The leases still in force at `now` (epoch ms); expired ones are left out (the name may be another host's by now). */
export function parseDnsmasqLeases(text: string, now: number): ParsedLeases {
  return finishNow(dnsmasqParser(text, now));
}

function* dnsmasqParser(text: string, now: number): SteppedParser<ParsedLeases> {
  const observations: SourceObservation[] = [];
  let skipped = 0;
  let n = 0;
  for (const raw of text.split("\n")) {
    if (++n % LINES_PER_STEP === 0) yield;
    const line = raw.trim();
    if (line === "" || line.startsWith("duid ")) continue;
    const f = line.split(/[ \t]+/);
    if (f.length < 4 || !/^\d{1,12}$/.test(f[0])) {
      skipped++;
      continue;
    }
    const expiry = Number(f[0]);
    const v4 = isIpv4(f[2]);
    if (!v4 && !isIpv6(f[2])) {
      skipped++;
      continue;
    }
    if (expiry !== 0 && expiry * 1000 < now) continue;
    observations.push({
      // A v6 lease's second field is the IAID; a v4 one of another hardware type (InfiniBand) is no MAC either.
      mac: v4 ? normalizeMac(f[1]) : null,
      ip: v4 ? f[2] : f[2].toLowerCase(),
      hostname: f[3] === "*" ? null : f[3],
      lease_expires_at: expiry === 0 ? null : new Date(expiry * 1000).toISOString(),
    });
  }
  if (observations.length === 0 && skipped > 0) throw new SourceError("malformed", "not a dnsmasq lease file");
  return { observations, skipped };
}

export const dnsmasqLeasesSource: SourceType<LeaseFileConfig> = {
  type: "dnsmasq_leases",
  fields: leaseFileFields,
  defaultIntervalS: 60,
  read: async (config, ctx) => (await finishYielding(dnsmasqParser(await readLeaseFile(config.path, ctx.signal, undefined, ctx.protectedPaths), ctx.now.getTime()), ctx.signal)).observations,
};
