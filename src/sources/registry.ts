// The source types Argus knows (SPEC §7 "Sources"). A type is registered by adding it to this list:
// its `fields` become a member of the `sources` configuration section (config.ts), the runner reads
// it on its interval (runner.ts), and its name is the evidence of what it reports ("hostname_source":
// "dnsmasq_leases"). Nothing else names a type.
import { dnsmasqLeasesSource } from "./dnsmasq-leases.ts";
import { iscLeasesSource } from "./isc-leases.ts";
import { keaSource } from "./kea.ts";
import { snmpSource } from "./snmp.ts";
import { piholeSource } from "./pihole.ts";
import { adguardSource } from "./adguard.ts";
import { unifiSource } from "./unifi.ts";
import { opnsenseSource } from "./opnsense.ts";
import type { SourceType } from "./types.ts";

export const SOURCE_TYPES: readonly SourceType<any>[] = [
  dnsmasqLeasesSource,
  iscLeasesSource,
  keaSource,
  snmpSource,
  piholeSource,
  adguardSource,
  unifiSource,
  opnsenseSource,
];

const BY_TYPE = new Map(SOURCE_TYPES.map((t) => [t.type, t]));

/** The registered type of this name, if any. */
export const sourceType = (type: string): SourceType<any> | undefined => BY_TYPE.get(type);

export const SOURCE_TYPE_NAMES: readonly string[] = SOURCE_TYPES.map((t) => t.type);
