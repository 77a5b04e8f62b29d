// All timestamps leave the appliance as ISO 8601 UTC with a `Z` and whole seconds (SPEC §1).
export function isoNow(now: number = Date.now()): string {
  return toIso(now);
}

export function toIso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}
