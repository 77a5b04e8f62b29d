// `argus user reset-password [USERNAME]`: the way back in when the admin password is lost.
// Reads the new password twice from the terminal without echo, or once from stdin when it is
// not a terminal (`echo "$PW" | argus user reset-password`); ends every session of the user.
import { userInfo } from "node:os";
import { AuditLog } from "../audit/audit-log.ts";
import { MIN_PASSWORD_LENGTH } from "../auth/passwords.ts";
import { SessionStore } from "../auth/sessions.ts";
import { UserStore } from "../auth/users.ts";
import { openExisting, resolveDataDir, takeDataDir } from "./database.ts";
import { CliError, EXIT } from "./errors.ts";

export const USAGE = `Usage: argus user reset-password [USERNAME] [--data-dir DIR]

Sets a new password (at least ${MIN_PASSWORD_LENGTH} characters) for the administrator and signs out all of
its sessions; a running server also ends the wait that failed logins put on the account. From a
terminal it asks twice without echo; otherwise it reads one line from stdin.`;

/** The first line of stdin (piped input), without its newline; null when stdin is empty. */
async function firstLineOfStdin(): Promise<string | null> {
  const text = await Bun.stdin.text();
  return text === "" ? null : text.split("\n", 1)[0].replace(/\r$/, "");
}

/** Reads a line from the terminal in raw mode, echoing nothing; null on Ctrl-C / Ctrl-D. */
function promptHidden(prompt: string): Promise<string | null> {
  return new Promise((resolve) => {
    const stdin = process.stdin;
    let typed = "";
    const finish = (value: string | null) => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write("\n");
      resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString("utf8")) {
        if (ch === "\r" || ch === "\n") return finish(typed);
        if (ch === "\u0003" || (ch === "\u0004" && typed === "")) return finish(null);
        if (ch === "\u007f" || ch === "\b") typed = typed.slice(0, -1);
        else if (ch >= " ") typed += ch;
      }
    };
    // Raw mode first, then the prompt: typing that starts at the prompt is never echoed.
    stdin.setRawMode(true);
    process.stderr.write(prompt);
    stdin.resume();
    stdin.on("data", onData);
  });
}

async function newPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    const pw = await firstLineOfStdin();
    if (pw === null) throw new CliError("no password on stdin", EXIT.usage);
    return pw;
  }
  const first = await promptHidden("New password: ");
  const second = await promptHidden("Repeat it: ");
  if (first === null || second === null) throw new CliError("cancelled");
  if (first !== second) throw new CliError("the passwords differ; nothing changed");
  return first;
}

export async function run(argv: string[]): Promise<number> {
  const { dataDir, rest } = takeDataDir(argv);
  const [command, ...args] = rest;
  if (command === "--help" || command === "-h" || args.includes("--help")) {
    console.log(USAGE);
    return 0;
  }
  if (command !== "reset-password") throw new CliError(command === undefined ? "give a command" : `unknown user command '${command}'`, EXIT.usage);
  if (args.length > 1 || args.some((a) => a.startsWith("-"))) throw new CliError("reset-password takes at most a USERNAME", EXIT.usage);
  const db = openExisting(resolveDataDir(dataDir));
  try {
    const users = db.query("SELECT id, username FROM users ORDER BY id").all() as { id: number; username: string }[];
    if (users.length === 0) throw new CliError("no administrator exists yet; open the web UI to run the first-time setup", EXIT.nothing);
    const wanted = args[0];
    const user = wanted === undefined ? users[0] : users.find((u) => u.username.toLowerCase() === wanted.toLowerCase());
    if (!user) throw new CliError(`no user '${wanted}' (the administrator is '${users[0].username}')`, EXIT.nothing);
    const password = await newPassword();
    if (password.length < MIN_PASSWORD_LENGTH || password.length > 1024) {
      throw new CliError(`the password must be ${MIN_PASSWORD_LENGTH} to 1024 characters; nothing changed`);
    }
    await new UserStore(db).setPassword(user.username, password);
    new SessionStore(db).destroyAllFor(user.id);
    new AuditLog(db).record({ username: user.username, ip: null, userAgent: `argus user reset-password (as ${safeOsUser()})` }, "password_reset", {
      resource: `user:${user.id}`,
    });
    process.stderr.write(`password of '${user.username}' changed; all of its sessions were signed out\n`);
    return 0;
  } finally {
    db.close();
  }
}

function safeOsUser(): string {
  try {
    return userInfo().username;
  } catch {
    return "unknown";
  }
}
