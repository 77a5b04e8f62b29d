// ISC dhcpd's lease database (dhcpd.leases, dhcpd(8) and dhcpd.leases(5)): blocks such as
//   lease 192.168.1.20 {
//     starts 4 2026/12/03 10:00:00; ends 4 2026/12/03 22:00:00;
//     binding state active; next binding state free;
//     hardware ethernet b8:27:eb:12:34:56;
//     uid "\001\270'\353\0224V";
//     client-hostname "nas";
//   }
// dhcpd appends a block each time a lease changes and rewrites the file now and then, so the LAST
// block of an address is its state; only `binding state active` leases are in force. Strings may hold
// escapes (\" \\ and octal \NNN); `#` starts a comment; the last block may be cut short while dhcpd
// writes. Anything that does not read is skipped, never thrown on: a file of nothing but garbage is
// `malformed`.
import { normalizeMac } from "../net/ip.ts";
import { isIpv4 } from "./addresses.ts";
import type { ParsedLeases } from "./dnsmasq-leases.ts";
import { finishNow, finishYielding, leaseFileFields, readLeaseFile, type LeaseFileConfig, type SteppedParser } from "./lease-file.ts";
import { SourceError, type SourceObservation, type SourceType } from "./types.ts";

const UTF8 = new TextDecoder("utf-8", { fatal: false });

type Token = { kind: "word" | "string" | "{" | "}" | ";" };
type Tok = Token & { text: string };

/** The file's tokens: words, strings (unescaped), braces and semicolons; comments dropped. */
function* tokens(text: string): Generator<Tok> {
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text[i];
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
    } else if (c === "#") {
      const end = text.indexOf("\n", i);
      i = end < 0 ? n : end + 1;
    } else if (c === "{" || c === "}" || c === ";") {
      yield { kind: c, text: c };
      i++;
    } else if (c === '"') {
      let out = "";
      // dhcpd writes each byte outside printable ASCII as \NNN: a run of them is UTF-8 (or not), decoded as a whole.
      let bytes: number[] = [];
      const flush = () => {
        if (bytes.length > 0) out += UTF8.decode(new Uint8Array(bytes));
        bytes = [];
      };
      let j = i + 1;
      let closed = false;
      while (j < n) {
        const d = text[j];
        if (d === '"') {
          closed = true;
          j++;
          break;
        }
        if (d === "\\" && j + 1 < n) {
          const oct = /^[0-7]{1,3}/.exec(text.slice(j + 1, j + 4));
          if (oct) {
            bytes.push(parseInt(oct[0], 8) & 0xff);
            j += 1 + oct[0].length;
            continue;
          }
          flush();
          const e = text[j + 1];
          out += e === "n" ? "\n" : e === "t" ? "\t" : e;
          j += 2;
          continue;
        }
        flush();
        out += d;
        j++;
      }
      flush();
      // An unterminated string runs to the end of the file: a block cut short while written.
      if (!closed) return;
      yield { kind: "string", text: out };
      i = j;
    } else {
      let j = i;
      while (j < n && !" \t\r\n{};\"#".includes(text[j])) j++;
      yield { kind: "word", text: text.slice(i, j) };
      i = j;
    }
  }
}

type Lease = { ip: string; state: string | null; mac: string | null; hostname: string | null; starts: string | null; ends: string | null; endsNever: boolean };

/** `<weekday> YYYY/MM/DD HH:MM:SS` (UTC) or `epoch <seconds>`, as an ISO timestamp; null when it reads as neither. */
function leaseTime(words: string[]): string | null {
  if (words[0] === "epoch" && /^\d{1,12}$/.test(words[1] ?? "")) return new Date(Number(words[1]) * 1000).toISOString();
  const m = /^(\d{4})\/(\d{1,2})\/(\d{1,2})$/.exec(words[1] ?? "");
  const t = /^(\d{1,2}):(\d{2}):(\d{2})$/.exec(words[2] ?? "");
  if (!m || !t) return null;
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +t[1], +t[2], +t[3]);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/** Tokens read between two yields of the parser (finishYielding hands the loop back after PARSE_SLICE_MS of them). */
const TOKENS_PER_STEP = 400;

/** The active leases, the last block of each address winning. */
export function parseIscLeases(text: string): ParsedLeases {
  return finishNow(iscParser(text));
}

function* iscParser(text: string): SteppedParser<ParsedLeases> {
  const last = new Map<string, Lease>();
  let skipped = 0;
  let blocks = 0;
  // The statement being read: its words (strings included) until `;` or `{`.
  let words: Tok[] = [];
  // Inside a lease block (depth 1) or deeper (depth > 1: `on expiry { … }` and the like, ignored).
  let lease: Lease | null = null;
  let depth = 0;
  let n = 0;
  for (const tok of tokens(text)) {
    if (++n % TOKENS_PER_STEP === 0) yield;
    if (tok.kind === "word" || tok.kind === "string") {
      // A statement of thousands of words is no lease file: bound the work per statement.
      if (words.length < 64) words.push(tok);
      continue;
    }
    if (tok.kind === "{") {
      if (depth === 0 && words.length === 2 && words[0].kind === "word" && words[0].text === "lease") {
        const ip = words[1].text;
        if (isIpv4(ip)) lease = { ip, state: null, mac: null, hostname: null, starts: null, ends: null, endsNever: false };
        else skipped++;
      } else if (depth === 0 && words.length > 0 && !["host", "failover", "lease6", "ia-na", "ia-ta", "ia-pd", "class", "subclass", "group", "subnet", "shared-network", "pool"].includes(words[0].text)) {
        skipped++;
      }
      depth++;
      words = [];
      continue;
    }
    if (tok.kind === ";") {
      if (lease && depth === 1) readStatement(lease, words);
      else if (depth === 0 && words.length > 0 && !["server-duid", "authoring-byte-order", "lease-id-format", "db-time-format"].includes(words[0].text)) skipped++;
      words = [];
      continue;
    }
    // "}"
    if (depth === 0) {
      skipped++;
      continue;
    }
    depth--;
    if (depth === 0 && lease) {
      blocks++;
      // Delete first: the address's place in the order is its latest block's.
      last.delete(lease.ip);
      last.set(lease.ip, lease);
      lease = null;
    }
    words = [];
  }
  // A block still open at the end was being written: left out.
  const observations: SourceObservation[] = [];
  for (const l of last.values()) {
    if (l.state !== "active") continue;
    observations.push({ mac: l.mac, ip: l.ip, hostname: l.hostname, seen_at: l.starts, lease_expires_at: l.endsNever ? null : l.ends });
  }
  if (blocks === 0 && skipped > 0) throw new SourceError("malformed", "not an ISC dhcpd lease file");
  return { observations, skipped };
}

function readStatement(lease: Lease, toks: Tok[]): void {
  const w = toks.map((t) => t.text);
  if (w[0] === "binding" && w[1] === "state" && w.length === 3) lease.state = w[2];
  else if (w[0] === "hardware" && w[1] === "ethernet" && w.length === 3) lease.mac = normalizeMac(w[2]);
  else if (w[0] === "client-hostname" && w.length === 2 && toks[1].kind === "string") lease.hostname = w[1];
  else if (w[0] === "starts") lease.starts = leaseTime(w.slice(1));
  else if (w[0] === "ends") {
    lease.endsNever = w[1] === "never";
    lease.ends = lease.endsNever ? null : leaseTime(w.slice(1));
  }
}

export const iscLeasesSource: SourceType<LeaseFileConfig> = {
  type: "isc_leases",
  fields: leaseFileFields,
  defaultIntervalS: 60,
  read: async (config, ctx) => (await finishYielding(iscParser(await readLeaseFile(config.path, ctx.signal, undefined, ctx.protectedPaths)), ctx.signal)).observations,
};
