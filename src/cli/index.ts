// Dispatches `argus <command> ...` to the module that implements the command.
// Each command module exports `run(args: string[]): Promise<number>` (the exit code) and its
// `USAGE`. Errors are printed here and nowhere else: a command throws CliError (errors.ts) or lets
// a domain error through, and this turns it into one line on stderr and the exit code.
// Exit codes: 0 success, 1 failure, 2 usage error, 3 nothing to act on (no database, no such
// user or key), 4 missing privilege (root, CAP_NET_RAW), 130 interrupted.
type CommandModule = { run: (args: string[]) => Promise<number>; USAGE: string };
type Command = { usage: string; summary: string; load: () => Promise<CommandModule> };

const commands: Record<string, Command> = {
  serve: { usage: "serve", summary: "run the appliance: web UI and API (the default)", load: () => import("./serve.ts") },
  scan: { usage: "scan [CIDR] [--profile P]", summary: "run one network scan now and record it", load: () => import("./scan.ts") },
  sweep: { usage: "sweep CIDR [--iface NAME] [--json]", summary: "find live hosts (ARP/ICMP), print them, record nothing", load: () => import("./sweep.ts") },
  keys: { usage: "keys create NAME | list | revoke ID", summary: "manage API keys", load: () => import("./keys.ts") },
  user: { usage: "user reset-password [USERNAME]", summary: "set a new admin password", load: () => import("./user.ts") },
  backup: { usage: "backup FILE", summary: "snapshot the database (safe while running)", load: () => import("./backup.ts") },
  restore: { usage: "restore FILE", summary: "replace the database with a backup (service stopped)", load: () => import("./restore.ts") },
  install: { usage: "install [--no-start]", summary: "install as a hardened systemd service (root)", load: () => import("./install.ts") },
};

export function usage(): string {
  const lines = Object.values(commands).map((c) => `  argus ${c.usage.padEnd(38)} ${c.summary}`);
  return [
    "Usage: argus <command> [options]      (argus <command> --help for details)",
    "",
    ...lines,
    "  argus --version                              print the version",
    "",
    "Maintenance commands find the database in --data-dir, ARGUS_DATA_DIR, ./data or /var/lib/argus.",
  ].join("\n");
}

export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) return (await commands.serve.load()).run(rest);
  if (name === "--help" || name === "-h" || name === "help") {
    console.log(usage());
    return 0;
  }
  if (name === "--version" || name === "-V" || name === "version") {
    const { VERSION } = await import("../version.ts");
    console.log(`argus ${VERSION}`);
    return 0;
  }
  if (name === "__check-backup") {
    // Internal: the server checks an uploaded backup in a child process (src/db/backup-check.ts).
    const { runCheckCommand } = await import("../db/backup-check.ts");
    return rest.length === 1 ? runCheckCommand(rest[0]) : 2;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) {
    console.error(`argus: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  const mod = await command.load();
  try {
    return await mod.run(rest);
  } catch (e) {
    // Loaded only on this path, so that a successful command does not pay for it.
    const { asCliError, EXIT } = await import("./errors.ts");
    const known = asCliError(e);
    // Unexpected errors are still one line for a shell user (ARGUS_LOG_LEVEL=debug shows the stack).
    console.error(`argus ${name}: ${known?.message ?? (e instanceof Error ? e.message : String(e))}${known?.showUsage ? `\n\n${mod.USAGE}` : ""}`);
    if (!known && process.env.ARGUS_LOG_LEVEL === "debug" && e instanceof Error) console.error(e.stack);
    return known?.exitCode ?? EXIT.failure;
  }
}
