// `argus sweep CIDR [CIDR...] [--iface NAME] [--rate PPS] [--json]`: find live
// hosts and print them. Without CAP_NET_RAW it says so once on stderr and
// falls back to degraded discovery (exit 0); --strict makes that an error.
// The appliance's "never scan" list (the configuration's `exclude`) holds here too.
import { configPath, loadResolvedConfig } from "../config/app-config.ts";
import { discover, type DiscoverOutcome } from "../net/discover.ts";
import { SWEEP_DEFAULTS, type SweepProgress } from "../net/sweep.ts";
import { parseTargets } from "../net/targets.ts";
import { hasRoute } from "../net/route-check.ts";
import { noRouteReason, unreachableTargets } from "../scans/plan.ts";
import { resolveDataDir, takeDataDir } from "./database.ts";
import { CliError, EXIT } from "./errors.ts";

export const USAGE = `Usage: argus sweep CIDR [CIDR...] [options]
Find live hosts: ARP on directly attached subnets, ICMP echo elsewhere.

Options:
  --iface NAME       ARP-sweep only subnets attached to this interface
  --rate PPS         packets per second (default ${SWEEP_DEFAULTS.rate})
  --retries N        extra probes for silent targets (default ${SWEEP_DEFAULTS.retries})
  --timeout MS       longest wait for an answer after a probe (default ${SWEEP_DEFAULTS.timeoutMs})
  --linger MS        least time a silent host gets after its first probe (default ${SWEEP_DEFAULTS.lingerMs});
                     raise it for LANs with devices that answer ARP very late
  --exclude LIST     comma-separated IPs, CIDRs or MACs to leave out, besides the
                     configuration's "never scan" list (always left out)
  --data-dir DIR     whose configuration to read (default: as argus serve finds it)
  --allow-public     allow non-private ranges
  --strict           fail (exit 4) instead of degrading without CAP_NET_RAW
  --json             print [{"ip","mac","rtt_ms","method"}] to stdout
  --quiet            no progress on stderr`;

interface Args {
  targets: string[];
  iface?: string;
  rate?: number;
  retries?: number;
  timeoutMs?: number;
  lingerMs?: number;
  exclude: string[];
  dataDir?: string;
  allowPublic: boolean;
  strict: boolean;
  json: boolean;
  quiet: boolean;
}

function intArg(name: string, v: string | undefined, min: number, max: number): number {
  if (v === undefined || !/^[0-9]+$/.test(v)) throw new CliError(`${name} needs a whole number`, EXIT.usage);
  const n = Number(v);
  if (n < min || n > max) throw new CliError(`${name} must be between ${min} and ${max}`, EXIT.usage);
  return n;
}

export function parseArgs(all: string[]): Args | "help" {
  const { dataDir, rest: argv } = takeDataDir(all);
  const a: Args = { targets: [], exclude: [], dataDir, allowPublic: false, strict: false, json: false, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].startsWith("--") && argv[i].includes("=") ? [argv[i].slice(0, argv[i].indexOf("=")), argv[i].slice(argv[i].indexOf("=") + 1)] : [argv[i], undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case "-h":
      case "--help":
        return "help";
      case "--iface": {
        const v = value();
        if (!v || !/^[A-Za-z0-9_.:@-]{1,15}$/.test(v)) throw new CliError("--iface needs an interface name", EXIT.usage);
        a.iface = v;
        break;
      }
      case "--rate":
        a.rate = intArg("--rate", value(), 1, 1_000_000);
        break;
      case "--retries":
        a.retries = intArg("--retries", value(), 0, 15);
        break;
      case "--timeout":
        a.timeoutMs = intArg("--timeout", value(), 1, 60_000);
        break;
      case "--linger":
        a.lingerMs = intArg("--linger", value(), 0, 60_000);
        break;
      case "--exclude":
        a.exclude.push(...(value() ?? "").split(",").filter((s) => s !== ""));
        break;
      case "--allow-public":
        a.allowPublic = true;
        break;
      case "--strict":
        a.strict = true;
        break;
      case "--json":
        a.json = true;
        break;
      case "--quiet":
      case "-q":
        a.quiet = true;
        break;
      default:
        if (flag.startsWith("-")) throw new CliError(`unknown option ${flag}`, EXIT.usage);
        a.targets.push(...flag.split(",").filter((s) => s !== ""));
    }
  }
  if (a.targets.length === 0) throw new CliError("give at least one CIDR to sweep", EXIT.usage);
  return a;
}

function printTable(outcome: DiscoverOutcome, totalMs: number): void {
  const rows = outcome.results.map((r) => [r.ip, r.mac ?? "-", r.rtt_ms === null ? "-" : `${r.rtt_ms.toFixed(2)} ms`, r.method, r.flags.join(",")]);
  const head = ["IP", "MAC", "RTT", "METHOD", "NOTES"];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((v, c) => v.padEnd(widths[c])).join("  ").trimEnd();
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  console.log(`\n${outcome.results.length} host(s) up of ${outcome.targets} address(es) in ${(totalMs / 1000).toFixed(2)} s${outcome.degraded ? " (degraded discovery)" : ""}`);
}

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args === "help") {
    console.log(USAGE);
    return 0;
  }
  // The owner's "never scan" entries are left out as in a scan from the UI; a configuration that
  // cannot be read stops the sweep rather than probe what it may exclude.
  const neverScan = loadResolvedConfig(configPath(resolveDataDir(args.dataDir))).config.exclude;
  const targets = parseTargets(args.targets, [...neverScan, ...args.exclude], { allowAllRanges: args.allowPublic });
  const unreachable = unreachableTargets(targets.cidrs, hasRoute);
  if (unreachable.length > 0) throw new CliError(noRouteReason(unreachable), EXIT.nothing);
  const ac = new AbortController();
  // The shell convention: 128 + the signal's number (130 for Ctrl-C, 143 for SIGTERM).
  let signalExit = 130;
  const onSignal = (signal: NodeJS.Signals) => {
    signalExit = signal === "SIGTERM" ? 143 : 130;
    ac.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const showProgress = !args.quiet && process.stderr.isTTY;
  const started = performance.now();
  try {
    const outcome = await discover({
      targets,
      iface: args.iface,
      rate: args.rate,
      retries: args.retries,
      timeoutMs: args.timeoutMs,
      lingerMs: args.lingerMs,
      signal: ac.signal,
      strict: args.strict,
      onDegraded: (notice) => console.error(`argus sweep: ${notice}`),
      onProgress: showProgress ? (p: SweepProgress) => process.stderr.write(`\r${p.finished}/${p.total} done, ${p.answered} up, ${p.sent} sent `) : undefined,
    });
    if (showProgress) process.stderr.write("\r\x1b[K");
    if (args.json) console.log(JSON.stringify(outcome.results.map((r) => ({ ip: r.ip, mac: r.mac, rtt_ms: r.rtt_ms, method: r.method }))));
    else printTable(outcome, performance.now() - started);
    return ac.signal.aborted ? signalExit : EXIT.ok;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
