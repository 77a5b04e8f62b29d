// The risk levels as plain lists: the risk scorer, the API's schemas and the UI's filters take them
// from here (no TypeBox and no risk tables, so the browser bundle can import it).

/** A device's risk level; none when nothing was found. */
export const LEVELS = ["none", "low", "medium", "high", "critical"] as const;
export type RiskLevel = (typeof LEVELS)[number];

/** The level of one finding (a finding is never "none"). */
export const FINDING_LEVELS = ["low", "medium", "high", "critical"] as const;
export type FindingLevel = (typeof FINDING_LEVELS)[number];
