// `argus keys create NAME | list | revoke ID`: API keys from the shell, e.g. for a first
// integration before anyone has logged in to the UI. The key is printed alone on stdout so that
// `KEY=$(argus keys create backup-job)` works; everything else goes to stderr.
import { userInfo } from "node:os";
import type { Actor } from "../audit/audit-log.ts";
import { AuditLog } from "../audit/audit-log.ts";
import { ApiKeyStore } from "../auth/api-keys.ts";
import { openExisting, resolveDataDir, takeDataDir } from "./database.ts";
import { CliError, EXIT } from "./errors.ts";

export const USAGE = `Usage: argus keys <command> [--data-dir DIR]

  create NAME [--read]
                create an API key and print it (shown only this once); --read makes a
                read-only key (GET only: dashboards, Home Assistant, Grafana)
  list          list active keys with their scope (never the keys themselves)
  revoke ID     revoke a key; the next request with it gets 401`;

function cliActor(command: string): Actor {
  let osUser = "unknown";
  try {
    osUser = userInfo().username;
  } catch {
    // a uid without a passwd entry (containers): keep "unknown"
  }
  return { username: null, ip: null, userAgent: `argus ${command} (as ${osUser})` };
}

export async function run(argv: string[]): Promise<number> {
  const { dataDir, rest } = takeDataDir(argv);
  const [command, ...args] = rest;
  if (command === undefined) throw new CliError("give a command: create, list or revoke", EXIT.usage);
  if (command === "--help" || command === "-h") {
    console.log(USAGE);
    return 0;
  }
  if (!["create", "list", "revoke"].includes(command)) throw new CliError(`unknown keys command '${command}'`, EXIT.usage);
  const db = openExisting(resolveDataDir(dataDir));
  try {
    const keys = new ApiKeyStore(db);
    if (command === "create") {
      const scope = args.includes("--read") ? "read" : "full";
      const words = args.filter((a) => a !== "--read");
      const unknown = words.find((a) => a.startsWith("--"));
      if (unknown) throw new CliError(`unknown option ${unknown}`, EXIT.usage);
      const name = words.join(" ").trim();
      if (name.length < 1 || name.length > 100) throw new CliError("NAME must be 1 to 100 characters", EXIT.usage);
      const key = keys.create(name, scope);
      new AuditLog(db).record(cliActor("keys create"), "api_key_created", { resource: `api_key:${key.id}`, details: { name, key_prefix: key.key_prefix, scope } });
      process.stderr.write(`created ${scope === "read" ? "read-only " : ""}API key ${key.id} '${name}' (${key.key_prefix}…); it is shown only this once:\n`);
      console.log(key.key);
      return 0;
    }
    if (command === "list") {
      if (args.length > 0) throw new CliError(`unexpected argument '${args[0]}'`, EXIT.usage);
      const rows = keys.list();
      console.log(["ID", "PREFIX", "SCOPE", "CREATED", "LAST USED", "NAME"].join("\t"));
      for (const k of rows) console.log([k.id, k.key_prefix, k.scope ?? "full", k.created_at, k.last_used_at ?? "never", k.name].join("\t"));
      return 0;
    }
    const id = args[0];
    if (args.length !== 1 || !/^[0-9]+$/.test(id)) throw new CliError("revoke needs one key ID (see argus keys list)", EXIT.usage);
    if (!keys.revoke(Number(id))) throw new CliError(`no active API key with ID ${id}`, EXIT.nothing);
    new AuditLog(db).record(cliActor("keys revoke"), "api_key_revoked", { resource: `api_key:${id}` });
    process.stderr.write(`revoked API key ${id}\n`);
    return 0;
  } finally {
    db.close();
  }
}
