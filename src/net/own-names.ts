// The names this appliance answers to, for the Host check against DNS rebinding (SPEC §7 "Hosts"): a
// page on evil.example whose name the attacker re-points at the appliance's address still sends
// `Host: evil.example`, so a request is served only under a name that is the appliance's own: its
// addresses, its host name (with and without domain), `localhost`, and what the owner allowed.
//
// Addresses come and go (DHCP, a second interface, IPv6 privacy addresses): the names are read again
// when a Host is not found among them, at most once a second, so an address that appeared is known
// within a second and a stream of foreign names costs one re-read a second. An address that went away
// may stay known until then, which is harmless: a browser sends an address as Host only when it
// connects to that very address, so no rebinding can use one.
import { readFileSync } from "node:fs";
import { hostname, networkInterfaces } from "node:os";
import { log } from "../log.ts";

const REREAD_MIN_MS = 1000;
const RESOLV_CONF = "/etc/resolv.conf";

/**
 * The canonical form of a host name or address as a browser puts it in `Host` (lower case, IPv4 in
 * dotted form, IPv6 compressed in brackets, no trailing dot), or null when it is none.
 */
export function canonicalHost(name: string): string | null {
  const bare = name.includes(":") && !name.startsWith("[") ? `[${name}]` : name;
  if (bare === "" || /[/?#@\\\s]/.test(bare)) return null;
  try {
    const host = new URL(`http://${bare}/`).hostname;
    return host.endsWith(".") ? host.slice(0, -1) : host;
  } catch {
    return null;
  }
}

/** The name part of a `Host` header value (`name`, `name:port`, `[v6]:port`), canonical; null when malformed. */
export function hostHeaderName(header: string): string | null {
  const m = /^(\[[^\]]*\]|[^:]*)(?::\d{0,5})?$/.exec(header);
  return m ? canonicalHost(m[1]) : null;
}

/** An `allowed_hosts` entry: a host name or an IP address (IPv6 with or without brackets), no scheme, port or path. */
export function allowedHostProblem(entry: string): string | null {
  const v6 = /^\[?[0-9A-Fa-f:.]+\]?$/.test(entry) && entry.includes(":");
  const name = /^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$/.test(entry);
  if ((!v6 && !name) || canonicalHost(entry) === null) return "must be a host name or IP address, without scheme, port or path";
  return null;
}

export type OwnNamesSource = {
  /** The address the server listens on (ARGUS_HOST); a wildcard adds nothing. */
  listenHost: string;
  /** The owner's `allowed_hosts`. */
  allowed: () => readonly string[];
  /** For tests of the re-read: the clock. */
  now?: () => number;
};

export class OwnNames {
  private names = new Set<string>();
  private readAt = -Infinity;
  private readFailed = false;
  private allowedFrom: readonly string[] | null = null;
  private allowedNames = new Set<string>();

  constructor(private readonly source: OwnNamesSource) {}

  /** Whether a `Host` header value names this appliance. */
  has(hostHeader: string): boolean {
    const name = hostHeaderName(hostHeader);
    if (name === null) return false;
    if (this.allowedSet().has(name) || this.names.has(name)) return true;
    const now = (this.source.now ?? Date.now)();
    if (now - this.readAt < REREAD_MIN_MS) return false;
    this.readAt = now;
    this.reread();
    return this.names.has(name);
  }

  private allowedSet(): Set<string> {
    const list = this.source.allowed();
    if (list !== this.allowedFrom) {
      this.allowedFrom = list;
      this.allowedNames = new Set(list.map(canonicalHost).filter((n): n is string => n !== null));
    }
    return this.allowedNames;
  }

  private reread(): void {
    try {
      this.names = currentNames(this.source.listenHost);
      this.readFailed = false;
    } catch (e) {
      // Out of descriptors, say: the names known so far stay, and the next miss tries again.
      if (!this.readFailed) log.warn("could not read this host's names and addresses; keeping the last known", { error: (e as Error).message });
      this.readFailed = true;
    }
  }
}

function currentNames(listenHost: string): Set<string> {
  const raw = ["localhost", listenHost];
  for (const addrs of Object.values(networkInterfaces())) for (const a of addrs ?? []) raw.push(a.address);
  const full = hostname().toLowerCase();
  const short = full.split(".")[0];
  raw.push(full, short, `${short}.local`);
  for (const domain of searchDomains()) raw.push(`${short}.${domain}`);
  const names = new Set<string>();
  for (const r of raw) {
    const c = canonicalHost(r);
    // The wildcard listen addresses are no name anyone reaches the appliance by.
    if (c !== null && c !== "0.0.0.0" && c !== "[::]") names.add(c);
  }
  return names;
}

/** The DNS domain and search list of this host (/etc/resolv.conf): `argus.fritz.box` is the appliance too. */
function searchDomains(): string[] {
  let text: string;
  try {
    text = readFileSync(RESOLV_CONF, "utf8");
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const [keyword, ...values] = line.trim().split(/\s+/);
    if (keyword === "domain" || keyword === "search") out.push(...values.filter((v) => v !== "."));
  }
  return out;
}
