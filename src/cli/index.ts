// Dispatches `argus <command> ...` to the module that implements the command.
// Each command module exports `run(args: string[]): Promise<number>` (the exit code).
type Command = { summary: string; load: () => Promise<{ run: (args: string[]) => Promise<number> }> };

const commands: Record<string, Command> = {
  serve: { summary: "run the appliance (web UI and API)", load: () => import("./serve.ts") },
  sweep: { summary: "find live hosts: argus sweep CIDR [--iface NAME] [--rate PPS] [--json]", load: () => import("./sweep.ts") },
};

export function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return ["Usage: argus <command> [options]", "", "Commands:", ...lines, "", "Options:", "  --help     show this help", "  --version  print the version"].join("\n");
}

export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "serve") return (await commands.serve.load()).run(rest);
  if (name === "--help" || name === "-h" || name === "help") {
    console.log(usage());
    return 0;
  }
  if (name === "--version" || name === "-V") {
    const { VERSION } = await import("../version.ts");
    console.log(VERSION);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`argus: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  return (await command.load()).run(rest);
}
