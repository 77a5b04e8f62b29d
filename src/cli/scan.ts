// `argus scan [--profile P] [CIDR[,CIDR...]]`: one network scan from the shell, run in this process
// through the same pipeline and inventory as the server (its results, devices and changes appear
// in the UI). Without a CIDR it scans the confirmed subnets, like the scheduler would.
import { configPath, loadResolvedConfig } from "../config/app-config.ts";
import { setLogLevel } from "../log.ts";
import { queueOnlySink } from "../notify/sink.ts";
import { getScan, scanDevices } from "../scans/history.ts";
import { ScanBusyError, ScanManager } from "../scans/manager.ts";
import { noRouteReason, planScan, unreachableTargets } from "../scans/plan.ts";
import { hasRoute } from "../net/route-check.ts";
import { openExisting, resolveDataDir, takeDataDir } from "./database.ts";
import { CliError, EXIT } from "./errors.ts";

export const USAGE = `Usage: argus scan [CIDR[,CIDR...]] [--profile quick|normal|intensive|NAME] [--json] [--data-dir DIR]

Runs one network scan now and records it like a scan from the UI. Without CIDR: the confirmed
subnets from the configuration. Ctrl-C cancels it (what was found is kept).
  --profile P   quick (discovery only, default), normal (+ the home-1000 port set and services), intensive
  --json        print the finished scan and its devices as JSON`;

type Args = { targets?: string; profile?: string; json: boolean; dataDir?: string };

function parse(argv: string[]): Args | "help" {
  const { dataDir, rest } = takeDataDir(argv);
  const a: Args = { json: false, dataDir };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === "--help" || arg === "-h") return "help";
    else if (arg === "--json") a.json = true;
    else if (arg === "--profile" || arg.startsWith("--profile=")) {
      const v = arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : rest[++i];
      if (!v) throw new CliError("--profile needs a name", EXIT.usage);
      a.profile = v;
    } else if (arg.startsWith("-")) throw new CliError(`unknown option ${arg}`, EXIT.usage);
    else if (a.targets !== undefined) throw new CliError("give the targets as one comma-separated list", EXIT.usage);
    else a.targets = arg;
  }
  return a;
}

export async function run(argv: string[]): Promise<number> {
  const args = parse(argv);
  if (args === "help") {
    console.log(USAGE);
    return 0;
  }
  // The pipeline logs through log.ts; progress lines on a terminal are this command's own.
  if (!process.env.ARGUS_LOG_LEVEL) setLogLevel("warn");
  const dataDir = resolveDataDir(args.dataDir);
  const resolved = loadResolvedConfig(configPath(dataDir));
  const config = resolved.config;
  // Without CIDR: the confirmed subnets, or "no subnet confirmed yet" (planScan decides, as for the API).
  const plan = planScan({ kind: "network", subnet: args.targets, profile: args.profile }, resolved);
  const unreachable = unreachableTargets(plan.targets.cidrs, hasRoute);
  if (unreachable.length > 0) throw new CliError(noRouteReason(unreachable), EXIT.nothing);

  const db = openExisting(dataDir);
  try {
    // Its changes' notifications are queued in the database; the running service sends them.
    const manager = new ScanManager(db, () => config, queueOnlySink(db, () => config.notifications));
    let cancelling = false;
    const onSignal = () => {
      if (!cancelling) process.stderr.write("\ncancelling; keeping what was found...\n");
      cancelling = true;
      manager.cancel();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    const tty = process.stderr.isTTY && !args.json;
    const unsubscribe = manager.subscribe((e) => {
      if (tty && e.type === "progress") {
        const p = e.progress;
        process.stderr.write(`\r\x1b[K${p.phase}: ${p.hosts_found} host(s) found, ${p.hosts_processed} processed, ${p.ports_scanned} port probe(s)`);
      }
    });
    let started;
    try {
      started = manager.start(plan);
    } catch (e) {
      if (e instanceof ScanBusyError) {
        const which = e.runningScanId === null ? "" : ` (scan ${e.runningScanId})`;
        throw new CliError(`a scan is already running${which}; wait for it or cancel it in the UI`);
      }
      throw e;
    }
    // The port set by name ("home-1000"), not as 1,000 numbers.
    const ports = plan.profile.port_scan ? `, ports ${plan.profile.port_spec}` : "";
    if (!args.json) process.stderr.write(`scan ${started.scan_id} (${started.profile}${ports}) of ${started.subnet} started\n`);
    await manager.idle();
    unsubscribe();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    if (tty) process.stderr.write("\r\x1b[K");
    const scan = getScan(db, started.scan_id)!;
    const devices = scanDevices(db, scan.id, { limit: 100_000, offset: 0 }).items;
    if (args.json) console.log(JSON.stringify({ scan, devices }));
    else printSummary(scan, devices);
    if (scan.status === "cancelled") return EXIT.interrupted;
    return scan.status === "completed" ? EXIT.ok : EXIT.failure;
  } finally {
    db.close();
  }
}

function printSummary(scan: NonNullable<ReturnType<typeof getScan>>, devices: ReturnType<typeof scanDevices>["items"]): void {
  const rows = devices.map((d) => [d.ip_address, d.mac_address ?? "-", d.vendor ?? "-", d.hostname ?? "-", d.open_ports.join(",") || "-"]);
  const head = ["IP", "MAC", "VENDOR", "HOSTNAME", "OPEN PORTS"];
  const widths = head.map((h, c) => Math.min(40, Math.max(h.length, ...rows.map((r) => r[c].length))));
  const line = (r: string[]) => r.map((v, c) => v.slice(0, 40).padEnd(widths[c])).join("  ").trimEnd();
  if (rows.length > 0) {
    console.log(line(head));
    for (const r of rows) console.log(line(r));
    console.log("");
  }
  const extra = scan.error ? `: ${scan.error}` : "";
  console.log(
    `scan ${scan.id} ${scan.status}${extra}: ${scan.hosts_found} host(s) up of ${scan.hosts_total}, ${scan.open_ports} open port(s), ` +
      `${scan.changes_count} change(s) in ${(scan.duration_seconds ?? 0).toFixed(1)} s${scan.degraded ? " (degraded discovery)" : ""}`,
  );
}
