// The one field error of the configuration: which field (a dotted path, list items by their index:
// `schedule.1.cron`, `notifications.channels.0.token`) and why. Every validator of a section reports
// in this notation (fieldPath builds it), the start-up message and the API's 422 format it here, and
// the UI maps the same path to its form fields.

/** A field that cannot be used, and why (the shape the section validators return). */
export type FieldProblem = { field: string; reason: string };

export class ConfigError extends Error implements FieldProblem {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`config ${field}: ${reason}`);
  }
}

/** The path of a field: segments joined by dots, indexes as plain numbers (`notifications.channels.0.url`). */
export function fieldPath(...segments: (string | number)[]): string {
  return segments.filter((s) => s !== "").join(".");
}

/** How the API names a field error in its 422 `detail`. */
export function describeFieldProblem(p: FieldProblem): string {
  return `Invalid body field '${p.field}': ${p.reason}`;
}

/** The field error a 422 `detail` names (describeFieldProblem's inverse, for the UI), or null. */
export function readFieldProblem(detail: string): FieldProblem | null {
  const m = /^Invalid body field '([^']+)': ([\s\S]*)$/.exec(detail);
  return m ? { field: m[1], reason: m[2] } : null;
}
