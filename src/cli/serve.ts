// `argus serve`: runs the appliance until SIGTERM/SIGINT, then stops cleanly: no new requests,
// a running scan cancelled (marked `cancelled`), writes finished, the database closed, exit 0,
// all within SHUTDOWN_DEADLINE_MS (systemd's stop timeout is longer, so it never has to SIGKILL).
import { loadSettings } from "../config/settings.ts";
import { log } from "../log.ts";
import { startServer } from "../server.ts";
import { IDLE_SHRINK_MS } from "../service/idle-shrink.ts";
import { announceReady } from "../service/systemd-notify.ts";
import { CliError, EXIT } from "./errors.ts";

export const SHUTDOWN_DEADLINE_MS = 5000;

export const USAGE = `Usage: argus serve

Runs the web UI and API until stopped (SIGTERM or Ctrl-C).

Environment:
  ARGUS_PORT            TCP port (8080)
  ARGUS_HOST            address to listen on (0.0.0.0)
  ARGUS_DATA_DIR        where the database lives (./data; /var/lib/argus when installed)
  ARGUS_SESSION_SECRET  cookie signing key, >= 32 chars (generated into the data dir if unset)
  ARGUS_SECURE_COOKIES  1 behind an HTTPS proxy
  ARGUS_LOG_LEVEL       debug | info | warn | error (info)
  ARGUS_SOCKET          also listen on this unix socket (none)
  ARGUS_CONFIG          the configuration file (<data dir>/config.json)
  ARGUS_SUBNETS         comma-separated subnets to watch, over the file's (none)
  ARGUS_EXCLUDE         comma-separated IPs, CIDRs or MACs never to scan, over the file's (none)
  ARGUS_MAX_BODY_BYTES  request body limit, 1024 to 1073741824 (1048576)
  ARGUS_MAX_RESTORE_BYTES       largest upload POST /api/restore takes (1073741824)
  ARGUS_RESTORE_CHECK_SECONDS   time limit for checking an uploaded backup (120)
  ARGUS_NOTIFY_SCHEDULE         ms before the first try, then between tries (0,30000,120000,420000,1200000)
  ARGUS_FLOOD_DIGEST_MS         when a sighting flood's digest goes out (300000)
  ARGUS_SEGMENT_HEARTBEAT_MS    a sensor's heartbeat period (30000)
  ARGUS_SEGMENT_CHECK_MS        how often a hub looks for silent sensors (5000)
  BUN_JSC_useDFGJIT     0 (as the systemd unit sets it): less memory, less peak speed
  BUN_JSC_thresholdForJITAfterWarmUp, BUN_JSC_thresholdForJITSoon, MIMALLOC_PURGE_DELAY
                        20000, 20000, 0 (as the systemd unit sets them): less memory when idle

The README's Configuration section says more of each.`;

export async function run(args: string[]): Promise<number> {
  if (args[0] === "--help" || args[0] === "-h") {
    console.log(USAGE);
    return 0;
  }
  if (args.length > 0) throw new CliError(`unexpected argument '${args[0]}' (configure with ARGUS_PORT, ARGUS_HOST, ARGUS_DATA_DIR)`, EXIT.usage);
  const settings = loadSettings();

  // Signals are taken from the start: a stop requested while the server is still starting
  // (systemd can send one at any time) waits for it to be up, then stops it the same clean way.
  let signalled: (signal: string) => void = () => {};
  const firstSignal = new Promise<string>((resolve) => (signalled = resolve));
  let stopping = false;
  const onSignal = (signal: string) => {
    if (stopping) {
      // A second Ctrl-C means "now".
      log.warn("second signal during shutdown; exiting at once", { signal });
      process.exit(130);
    }
    stopping = true;
    signalled(signal);
  };
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  process.on("SIGINT", () => onSignal("SIGINT"));

  let server;
  try {
    // The appliance has its process to itself: it gives memory back whenever it falls quiet.
    server = await startServer(settings, { shrinkWhenIdleMs: IDLE_SHRINK_MS });
  } catch (e) {
    // A port in use or an unwritable data dir is an operator's problem: say it in one line.
    throw new CliError(`cannot start: ${(e as Error).message}`);
  }
  // systemctl status shows this: where the UI and its documentation (/docs) are.
  const stopNotifying = announceReady(`serving on ${server.url} (API reference at ${server.url}/docs)`);

  const signal = await firstSignal;
  log.info("shutting down", { signal });
  stopNotifying();
  const deadline = setTimeout(() => {
    log.error("shutdown did not finish in time; exiting", { deadline_ms: SHUTDOWN_DEADLINE_MS });
    process.exit(1);
  }, SHUTDOWN_DEADLINE_MS - 250);
  try {
    await server.stop();
  } catch (e) {
    log.error("error during shutdown", { error: (e as Error).message });
    return 1;
  } finally {
    clearTimeout(deadline);
  }
  // Anything still holding the event loop open (a stray timer) must not keep a stopped service alive.
  setTimeout(() => process.exit(0), 100).unref();
  return 0;
}
