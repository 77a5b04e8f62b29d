// `argus user reset-password [USERNAME]`: the way back in when the admin password is lost.
// Reads the new password twice from the terminal without echo, or once from stdin when it is
// not a terminal (`echo "$PW" | argus user reset-password`); ends every session of the user.
import { spawnSync } from "node:child_process";
import { userInfo } from "node:os";
import { AuditLog } from "../audit/audit-log.ts";
import { MIN_PASSWORD_LENGTH } from "../auth/passwords.ts";
import { SessionStore } from "../auth/sessions.ts";
import { UserStore } from "../auth/users.ts";
import { CliError, openExisting, resolveDataDir, takeDataDir } from "./database.ts";

const USAGE = `Usage: argus user reset-password [USERNAME] [--data-dir DIR]

Sets a new password (at least ${MIN_PASSWORD_LENGTH} characters) for the administrator and signs out all of
its sessions. From a terminal it asks twice without echo; otherwise it reads one line from stdin.`;

/** Reads one line from stdin (without the newline); null at end of input. */
async function readLine(): Promise<string | null> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    if (chunk.includes(10)) break;
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text === "" && chunks.length === 0) return null;
  return text.split("\n", 1)[0].replace(/\r$/, "");
}

async function promptHidden(prompt: string): Promise<string | null> {
  process.stderr.write(prompt);
  spawnSync("stty", ["-echo"], { stdio: "inherit" });
  try {
    return await readLine();
  } finally {
    spawnSync("stty", ["echo"], { stdio: "inherit" });
    process.stderr.write("\n");
  }
}

async function newPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    const pw = await readLine();
    if (pw === null) throw new CliError("no password on stdin", 2);
    return pw;
  }
  const first = await promptHidden("New password: ");
  const second = await promptHidden("Repeat it: ");
  if (first === null || second === null) throw new CliError("cancelled", 1);
  if (first !== second) throw new CliError("the passwords differ; nothing changed", 1);
  return first;
}

export async function run(argv: string[]): Promise<number> {
  try {
    const { dataDir, rest } = takeDataDir(argv);
    const [command, ...args] = rest;
    if (command === "--help" || command === "-h" || args.includes("--help")) {
      console.log(USAGE);
      return 0;
    }
    if (command !== "reset-password") throw new CliError(command === undefined ? "give a command" : `unknown user command '${command}'`, 2);
    if (args.length > 1 || args.some((a) => a.startsWith("-"))) throw new CliError("reset-password takes at most a USERNAME", 2);
    const db = openExisting(resolveDataDir(dataDir));
    try {
      const users = db.query("SELECT id, username FROM users ORDER BY id").all() as { id: number; username: string }[];
      if (users.length === 0) throw new CliError("no administrator exists yet; open the web UI to run the first-time setup", 3);
      const wanted = args[0];
      const user = wanted === undefined ? users[0] : users.find((u) => u.username.toLowerCase() === wanted.toLowerCase());
      if (!user) throw new CliError(`no user '${wanted}' (the administrator is '${users[0].username}')`, 3);
      const password = await newPassword();
      if (password.length < MIN_PASSWORD_LENGTH || password.length > 1024) {
        throw new CliError(`the password must be ${MIN_PASSWORD_LENGTH} to 1024 characters; nothing changed`, 1);
      }
      await new UserStore(db).setPassword(user.username, password);
      new SessionStore(db).destroyAllFor(user.id);
      new AuditLog(db).record({ username: user.username, ip: null, userAgent: `argus user reset-password (as ${safeOsUser()})` }, "password_reset", {
        resource: `user:${user.id}`,
      });
      console.error(`password of '${user.username}' changed; all of its sessions were signed out`);
      return 0;
    } finally {
      db.close();
    }
  } catch (e) {
    if (e instanceof CliError) {
      console.error(`argus user: ${e.message}${e.exitCode === 2 ? `\n\n${USAGE}` : ""}`);
      return e.exitCode;
    }
    throw e;
  }
}

function safeOsUser(): string {
  try {
    return userInfo().username;
  } catch {
    return "unknown";
  }
}
