// How the appliance keeps itself: history retention and passive listening (SPEC §5).
import { Type as t } from "@sinclair/typebox";

export const RETENTION_DAYS_MAX = 3650;

export const retentionSection = {
  retention_days: t.Integer({
    default: 90,
    minimum: 1,
    maximum: RETENTION_DAYS_MAX,
    description: "Scans, changes, audit entries and notification records older than this are pruned daily (devices never are)",
    errorMessage: `must be a whole number of days from 1 to ${RETENTION_DAYS_MAX}`,
  }),
};

export const passiveSection = {
  passive: t.Boolean({ default: true, description: "Listen (send nothing) for ARP, DHCP and mDNS on the confirmed subnets' interfaces", errorMessage: "must be true or false" }),
};
