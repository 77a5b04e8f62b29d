// Response schemas shared by API areas: every error is {"detail": "..."} (SPEC §1).
import { t } from "elysia";

export const ErrorBody = t.Object({ detail: t.String({ description: "One sentence naming the problem (and the field, for a 422)" }) });

const MEANING: Record<number, string> = {
  400: "Malformed request",
  401: "Not authenticated",
  403: "Forbidden (e.g. a cross-site request)",
  404: "Not found",
  409: "Conflict with the appliance's state",
  413: "Body too large",
  415: "Unsupported content type",
  422: "Invalid value; the detail names the field",
};

/** `{401: ErrorBody, 422: ErrorBody, …}` for a route's `response`, each described. */
export function errors(...statuses: number[]) {
  return Object.fromEntries(statuses.map((s) => [s, t.Object(ErrorBody.properties, { description: MEANING[s] ?? "Error" })])) as Record<number, typeof ErrorBody>;
}
