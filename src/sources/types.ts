// The contract every source of truth implements (SPEC §7 "Sources"): a DHCP lease file, a DHCP
// server's API, a router's ARP table over SNMP, Pi-hole, AdGuard Home, UniFi, OPNsense. A source
// type declares the fields of its config entry (TypeBox, secrets named `password`, `secret`,
// `token` … so the config layer keeps them write-only) and a reader that fetches what the source
// knows and returns it as observations. The reader never writes: the framework (sources/runner.ts)
// applies the observations through the same identity, change and event path as scans and sightings.
//
// Everything a reader returns came from another system and is untrusted text: the framework checks
// MACs, addresses and names again before anything is stored.
import type { TObject } from "@sinclair/typebox";

/** What one source says about one host. At least one of `mac` and `ip` is set. */
export type SourceObservation = {
  /** Lower-case, colon-separated (`aa:bb:cc:dd:ee:ff`), or null when the source knows none. */
  mac: string | null;
  /** IPv4 or IPv6 address, or null when the source knows none. */
  ip: string | null;
  /** The host's name as the source holds it (lease client name, DNS-server client name). */
  hostname: string | null;
  /** When the source last saw the host (lease start, client last-seen), ISO 8601 UTC; null if unknown. */
  seen_at?: string | null;
  /** A DHCP lease's end, ISO 8601 UTC; null for infinite or unknown. */
  lease_expires_at?: string | null;
  /** Where the host is attached as the source says: a UniFi AP or switch port, an SNMP interface name. */
  attached_to?: string | null;
};

/** Why a source failed, as the owner reads it in GET /api/sources. */
export type SourceFailure = "unreachable" | "timeout" | "auth" | "tls" | "malformed" | "too_large" | "not_found" | "config";

export class SourceError extends Error {
  constructor(
    readonly reason: SourceFailure,
    /** One line for the owner, with no secret in it ("401 from https://pihole.lan/api/auth: wrong password"). */
    readonly detail: string,
  ) {
    super(detail);
    this.name = "SourceError";
  }
}

/** What a reader gets besides its config entry. */
export type ReadContext = {
  /** Aborted when the run's time limit is reached or the appliance stops. */
  signal: AbortSignal;
  now: Date;
  /** The appliance's own files (data dir, configuration file): never read as a source's file. */
  protectedPaths?: readonly string[];
};

/**
 * One kind of source. `fields` are the config entry's properties besides the common ones (`name`,
 * `type`, `enabled`, `interval_s`), e.g. `{ path: Type.String() }`.
 */
export type SourceType<C = Record<string, unknown>> = {
  type: string;
  fields: TObject;
  /** Seconds between runs when the entry gives no `interval_s`. */
  defaultIntervalS: number;
  /** Reads the source. Throws SourceError (anything else is reported as `malformed`). */
  read: (config: C, ctx: ReadContext) => Promise<SourceObservation[]>;
};
