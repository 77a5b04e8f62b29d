// A configuration value that cannot be used: names the field (dotted path, e.g. "schedule.1.cron")
// and why, for the start-up message and the API's 422.
export class ConfigError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`config ${field}: ${reason}`);
  }
}
