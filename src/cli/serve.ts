// `argus serve`: runs the appliance until SIGTERM/SIGINT, then stops cleanly.
import { loadSettings, SettingsError } from "../config/settings.ts";
import { log } from "../log.ts";
import { startServer } from "../server.ts";

export async function run(args: string[]): Promise<number> {
  if (args.length > 0 && args[0] !== "--help") {
    console.error(`argus serve: unexpected argument '${args[0]}' (configure with ARGUS_PORT, ARGUS_HOST, ARGUS_DATA_DIR)`);
    return 2;
  }
  if (args[0] === "--help") {
    console.log("Usage: argus serve\n\nEnvironment: ARGUS_PORT (8080), ARGUS_HOST (0.0.0.0), ARGUS_DATA_DIR (./data), ARGUS_SESSION_SECRET, ARGUS_SECURE_COOKIES, ARGUS_LOG_LEVEL");
    return 0;
  }
  let settings;
  try {
    settings = loadSettings();
  } catch (e) {
    if (e instanceof SettingsError) {
      console.error(`argus: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const server = await startServer(settings);
  return new Promise<number>((resolve) => {
    const shutdown = async (signal: string) => {
      log.info("shutting down", { signal });
      await server.stop();
      resolve(0);
    };
    process.once("SIGTERM", () => void shutdown("SIGTERM"));
    process.once("SIGINT", () => void shutdown("SIGINT"));
  });
}
