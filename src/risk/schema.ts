// The risk shapes the API answers: a device's level, a finding's level and one finding on a port.
import { Type, type Static } from "@sinclair/typebox";
import { int, literals, named, ref } from "../schema-kit.ts";
import { FINDING_LEVELS, LEVELS } from "./levels.ts";

export const RiskLevel = literals(LEVELS, { ...named("RiskLevel"), description: "Risk level of a device; none when nothing was found" });
export const FindingLevel = literals(FINDING_LEVELS, { ...named("FindingLevel"), description: "Level of one finding" });

export const Threat = Type.Object(
  {
    port: int(undefined, { minimum: 1, maximum: 65535 }),
    level: ref(FindingLevel),
    description: Type.String(),
    recommendation: Type.String(),
    cve_ids: Type.Array(Type.String()),
  },
  { ...named("Threat"), description: "One risk finding on a port" },
);
export type Threat = Static<typeof Threat>;
