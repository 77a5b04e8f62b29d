// The router's ARP/NDP table over SNMP (SPEC §7 "Sources", issue 20): MAC and IP of hosts on VLANs
// whose traffic Argus only sees routed, with the router interface each one sits behind. Reads IP-MIB
// ipNetToPhysicalTable, falls back to the IPv4-only ipNetToMediaTable when an agent has none, and
// names interfaces by IF-MIB ifName (ifDescr when an agent has no ifXTable). SNMP v2c and v3 (USM,
// up to authPriv) through net-snmp, which is plain JavaScript over node:dgram.
//
// The community and the v3 passwords never appear in a detail: every message built here is passed
// through redact(), library messages included (one of net-snmp's quotes the community).
//
// net-snmp is imported on the first read, not with this module: an appliance without an SNMP source
// never loads it (the lazy loading of README "Memory", test/appliance/lazy-load.test.ts).
import { Type } from "@sinclair/typebox";
import {
  IF_DESCR,
  IF_NAME,
  interfaceNames,
  IP_NET_TO_MEDIA,
  IP_NET_TO_PHYSICAL,
  MEDIA_COLUMNS,
  NeighbourRows,
  PHYSICAL_COLUMNS,
  type Varbind,
} from "./snmp-tables.ts";
import { SourceError, type ReadContext, type SourceObservation, type SourceType } from "./types.ts";

export const AUTH_PROTOCOLS = ["md5", "sha", "sha224", "sha256", "sha384", "sha512"] as const;
// DES needs OpenSSL's legacy provider, which a current runtime does not load: AES only.
export const PRIV_PROTOCOLS = ["aes", "aes256b", "aes256r"] as const;

export type SnmpConfig = {
  host: string;
  port?: number;
  version: "2c" | "3";
  community?: string;
  username?: string;
  auth_protocol?: (typeof AUTH_PROTOCOLS)[number];
  auth_password?: string;
  priv_protocol?: (typeof PRIV_PROTOCOLS)[number];
  priv_password?: string;
  timeout_s?: number;
};

/** A router's neighbour table is hundreds of rows; more than this is not an ARP table we should hold. */
export const MAX_ROWS = 65_536;
const DEFAULT_TIMEOUT_S = 3;
// Rows per GetBulk: a 40-row answer of 6-octet MACs stays well under one Ethernet frame's worth of
// UDP per column, and 1,000 neighbours take 25 round trips a column.
const MAX_REPETITIONS = 40;

const secret = (description: string) => Type.Optional(Type.String({ minLength: 1, maxLength: 256, writeOnly: true, description }));

export const snmpFields = Type.Object({
  host: Type.String({ minLength: 1, maxLength: 253, description: "The router's address or name", examples: ["192.168.1.1"] }),
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, default: 161, description: "The agent's UDP port" })),
  version: Type.Union([Type.Literal("2c"), Type.Literal("3")], { description: "SNMP version" }),
  community: secret("v2c community (write-only)"),
  username: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: "v3 USM user name" })),
  auth_protocol: Type.Optional(Type.Union(AUTH_PROTOCOLS.map((p) => Type.Literal(p)), { default: "sha", description: "v3 authentication digest" })),
  auth_password: secret("v3 authentication password (write-only); set for authNoPriv and authPriv"),
  priv_protocol: Type.Optional(Type.Union(PRIV_PROTOCOLS.map((p) => Type.Literal(p)), { default: "aes", description: "v3 privacy cipher" })),
  priv_password: secret("v3 privacy password (write-only); set for authPriv"),
  timeout_s: Type.Optional(Type.Number({ minimum: 0.2, maximum: 30, default: DEFAULT_TIMEOUT_S, description: "Seconds to wait for each answer (one retry)" })),
});

// The library has no type declarations; what is used of it is named where it is used.
type NetSnmp = any;
let loaded: Promise<NetSnmp> | null = null;
const netSnmp = (): Promise<NetSnmp> => (loaded ??= import("net-snmp").then((m) => m.default ?? m));

type Session = {
  subtree(oid: string, maxRepetitions: number, feed: (vbs: Varbind[]) => boolean | void, done: (e: Error | null) => void): void;
  close(): void;
  on(event: string, fn: (e: unknown) => void): void;
};

/** Replaces every secret of the entry in `text` (library messages may quote the community). */
function redact(text: string, c: SnmpConfig): string {
  let out = text;
  for (const s of [c.community, c.auth_password, c.priv_password]) if (s) out = out.split(s).join("***");
  return out.replace(/[\r\n]+/g, " ").slice(0, 300);
}

function openSession(snmp: NetSnmp, c: SnmpConfig, timeoutMs: number): Session {
  const options = { port: c.port ?? 161, retries: 1, timeout: timeoutMs, backoff: 1, transport: c.host.includes(":") ? "udp6" : "udp4" };
  if (c.version === "2c") {
    if (!c.community) throw new SourceError("config", "version 2c needs a community");
    return snmp.createSession(c.host, c.community, { ...options, version: snmp.Version2c });
  }
  if (!c.username) throw new SourceError("config", "version 3 needs a username");
  if (c.priv_password && !c.auth_password) throw new SourceError("config", "a priv_password needs an auth_password (authPriv)");
  const user: Record<string, unknown> = { name: c.username, level: snmp.SecurityLevel.noAuthNoPriv };
  if (c.auth_password) {
    user.level = snmp.SecurityLevel.authNoPriv;
    user.authProtocol = snmp.AuthProtocols[c.auth_protocol ?? "sha"];
    user.authKey = c.auth_password;
    if (user.authProtocol === undefined) throw new SourceError("config", `unknown auth_protocol (one of ${AUTH_PROTOCOLS.join(", ")})`);
  }
  if (c.priv_password) {
    user.level = snmp.SecurityLevel.authPriv;
    user.privProtocol = snmp.PrivProtocols[c.priv_protocol ?? "aes"];
    user.privKey = c.priv_password;
    if (!PRIV_PROTOCOLS.includes(c.priv_protocol ?? "aes")) throw new SourceError("config", `unknown priv_protocol (one of ${PRIV_PROTOCOLS.join(", ")})`);
  }
  return snmp.createV3Session(c.host, user, { ...options, version: snmp.Version3 });
}

/** One walk's failure as the owner reads it. */
function failure(snmp: NetSnmp, e: unknown, c: SnmpConfig, timeoutMs: number, aborted: boolean): SourceError {
  if (e instanceof SourceError) return e;
  const where = `${c.host}:${c.port ?? 161}`;
  if (aborted) return new SourceError("timeout", `stopped reading ${where}: the run's time limit was reached`);
  const err = e as { message?: string; code?: unknown; status?: unknown };
  const message = redact(String(err?.message ?? e), c);
  if (e instanceof snmp.RequestTimedOutError) {
    const wait = `${(timeoutMs * 2) / 1000} s`;
    if (c.version === "2c") return new SourceError("timeout", `no answer from ${where} in ${wait}: wrong community or host down`);
    // An agent drops what it cannot decrypt without a word: a wrong priv_password looks like silence.
    return new SourceError("timeout", `no answer from ${where} in ${wait}: host down or no SNMP agent there${c.priv_password ? ", or a wrong priv_password" : ""}`);
  }
  if (e instanceof snmp.ResponseInvalidError) {
    const code = err.code;
    if (code === snmp.ResponseInvalidCode.EAuthFailure) return new SourceError("auth", `${where} refused SNMPv3 user "${c.username}": ${message}`);
    if (code === snmp.ResponseInvalidCode.ECouldNotDecrypt) return new SourceError("auth", `could not decrypt the answer from ${where}: wrong priv_password or priv_protocol`);
    if (code === snmp.ResponseInvalidCode.ENotInTimeWindow) return new SourceError("auth", `${where}: ${message}`);
    return new SourceError("malformed", `malformed answer from ${where}: ${message}`);
  }
  if (e instanceof snmp.RequestFailedError) {
    // authorizationError(16), noAccess(6): the agent refuses this community or user the table.
    if (err.status === 16 || err.status === 6) return new SourceError("auth", `${where} refused access: ${message}`);
    return new SourceError("malformed", `${where} answered an error: ${message}`);
  }
  const sys = typeof err?.code === "string" ? err.code : "";
  if (/^(ENOTFOUND|EAI_AGAIN|EAI_NONAME|EHOSTUNREACH|ENETUNREACH|ECONNREFUSED|EADDRNOTAVAIL)$/.test(sys)) {
    return new SourceError("unreachable", `cannot reach ${where}: ${sys}`);
  }
  return new SourceError("malformed", `reading ${where} failed: ${message}`);
}

/** Walks one subtree; `feed` returns false to stop early (a bound was reached). */
function walk(snmp: NetSnmp, session: Session, oid: string, feed: (vb: Varbind) => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    session.subtree(
      oid,
      MAX_REPETITIONS,
      (vbs) => {
        for (const vb of vbs) {
          // noSuchObject / noSuchInstance / endOfMibView: the agent has no such column.
          if (snmp.isVarbindError(vb)) continue;
          if (!feed(vb)) return true;
        }
        return false;
      },
      (e) => (e ? reject(e) : resolve()),
    );
  });
}

async function readTable(snmp: NetSnmp, session: Session, table: "physical" | "media", where: string, maxRows: number): Promise<NeighbourRows> {
  const rows = new NeighbourRows(table, maxRows);
  const base = table === "physical" ? IP_NET_TO_PHYSICAL : IP_NET_TO_MEDIA;
  const columns = Object.values(table === "physical" ? PHYSICAL_COLUMNS : MEDIA_COLUMNS);
  let full = false;
  for (const column of columns) {
    await walk(snmp, session, `${base}.${column}`, (vb) => {
      if (rows.add(vb)) return true;
      full = true;
      return false;
    });
    if (full) throw new SourceError("too_large", `${where} lists more than ${maxRows} neighbours; not read`);
    // No physical addresses: the table is empty or unsupported; the other columns say nothing more.
    if (rows.size === 0) break;
  }
  if (rows.size === 0 && rows.unparsed > 0) throw new SourceError("malformed", `${where}: ${rows.unparsed} neighbour rows with an index that does not parse`);
  return rows;
}

async function readNames(snmp: NetSnmp, session: Session, ifIndexes: Set<number>): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  const collect = async (base: string) => {
    const vbs: Varbind[] = [];
    await walk(snmp, session, base, (vb) => vbs.push(vb) <= MAX_ROWS);
    interfaceNames(vbs, base, names);
  };
  await collect(IF_NAME);
  if ([...ifIndexes].some((i) => !names.has(i))) await collect(IF_DESCR);
  return names;
}

/** `limits` exists for tests, which cannot fill a namespace with 65,537 neighbours in reasonable time. */
export async function readSnmp(c: SnmpConfig, ctx: ReadContext, limits = { maxRows: MAX_ROWS }): Promise<SourceObservation[]> {
  const where = `${c.host}:${c.port ?? 161}`;
  // The schema bounds timeout_s; an entry that bypassed it still gets a sane wait.
  const timeoutMs = Math.min(30_000, Math.max(200, Math.round((Number(c.timeout_s) || DEFAULT_TIMEOUT_S) * 1000)));
  if (ctx.signal.aborted) throw new SourceError("timeout", `stopped before reading ${where}: the run's time limit was reached`);
  const snmp = await netSnmp();
  let session: Session;
  try {
    session = openSession(snmp, c, timeoutMs);
  } catch (e) {
    throw e instanceof SourceError ? e : new SourceError("config", `cannot use this entry: ${redact(String((e as Error)?.message ?? e), c)}`);
  }
  let garbled: unknown = null;
  // An answer that does not decode is dropped by the library with an "error" event (and the
  // request then times out): remember it so the owner reads "malformed", not "timeout".
  session.on("error", (e) => {
    garbled = e;
  });
  const stop = () => session.close();
  ctx.signal.addEventListener("abort", stop, { once: true });
  try {
    let rows = await readTable(snmp, session, "physical", where, limits.maxRows);
    if (rows.size === 0) rows = await readTable(snmp, session, "media", where, limits.maxRows);
    const names = await readNames(snmp, session, rows.ifIndexes());
    return rows.observations(names);
  } catch (e) {
    if (garbled && e instanceof snmp.RequestTimedOutError) {
      throw new SourceError("malformed", `malformed answer from ${where}: ${redact(String((garbled as Error).message ?? garbled), c)}`);
    }
    throw failure(snmp, e, c, timeoutMs, ctx.signal.aborted);
  } finally {
    ctx.signal.removeEventListener("abort", stop);
    if (!ctx.signal.aborted) {
      try {
        session.close();
      } catch {
        // already closed
      }
    }
  }
}

export const snmpSource: SourceType<SnmpConfig> = {
  type: "snmp",
  fields: snmpFields,
  defaultIntervalS: 300,
  read: (c, ctx) => readSnmp(c, ctx),
};
