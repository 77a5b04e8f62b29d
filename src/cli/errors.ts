// The command line's one error type and its exit codes. Commands throw CliError (or let a domain
// error through); runCli() in index.ts is the one place that prints it and picks the exit code.
import { ConfigError } from "../config/app-config.ts";
import { SettingsError } from "../config/settings.ts";
import { BackupError } from "../db/backup.ts";
import { RestoreError } from "../db/restore.ts";
import { RawSocketPermissionError } from "../net/errors.ts";
import { NativeSweepError } from "../net/native-sweep.ts";
import { TargetError } from "../net/targets.ts";
import { ProfileError } from "../portscan/profiles.ts";
import { NoSubnetError } from "../scans/plan.ts";

/** 0 success, 1 failure, 2 usage error, 3 nothing to act on, 4 missing privilege, 130 interrupted. */
export const EXIT = { ok: 0, failure: 1, usage: 2, nothing: 3, privilege: 4, interrupted: 130 } as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
    /** Follow the message with the command's usage (the default for usage errors). */
    readonly showUsage = exitCode === EXIT.usage,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** A domain error as the command line reports it; null for an error nobody expected. */
export function asCliError(e: unknown): CliError | null {
  if (e instanceof CliError) return e;
  // A bad value on the command line is a usage error, but the usage text would only bury the reason.
  if (e instanceof TargetError || e instanceof ProfileError) return new CliError(`${e.field}: ${e.reason}`, EXIT.usage, false);
  if (e instanceof SettingsError) return new CliError(e.message, EXIT.usage, false);
  if (e instanceof NoSubnetError) return new CliError("no subnet confirmed yet: give a CIDR, or confirm subnets in the setup wizard / config");
  if (e instanceof RawSocketPermissionError) return new CliError(e.message, EXIT.privilege);
  // A bad configuration file is a failure of the installation, not a usage error.
  if (e instanceof ConfigError || e instanceof BackupError || e instanceof NativeSweepError) return new CliError(e.message);
  if (e instanceof RestoreError) return new CliError(`${e.message}; nothing was changed`);
  return null;
}
