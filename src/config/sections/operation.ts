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

/** Departure probes (passive/departures.ts): the silence before a device is probed, per presence mode. */
export const departuresSection = {
  departures: t.Object(
    {
      enabled: t.Boolean({ default: true, description: "Probe devices gone silent with a unicast ARP request, so a departure is noticed without a scan", errorMessage: "must be true or false" }),
      always_on_grace_s: t.Integer({ default: 20, minimum: 1, maximum: 3600, description: "Silence before an always_on device is probed (seconds)", errorMessage: "must be a whole number of seconds from 1 to 3600" }),
      normal_grace_s: t.Integer({ default: 90, minimum: 1, maximum: 86_400, description: "Silence before a normal device is probed (seconds)", errorMessage: "must be a whole number of seconds from 1 to 86400" }),
      can_sleep_grace_s: t.Integer({ default: 600, minimum: 1, maximum: 86_400, description: "Silence before a can_sleep device is probed (seconds)", errorMessage: "must be a whole number of seconds from 1 to 86400" }),
      frames_per_device_per_minute: t.Number({
        default: 1,
        minimum: 0.1,
        maximum: 60,
        description: "The probe budget: frames a minute, on average, per device the prober watches",
        errorMessage: "must be a number from 0.1 to 60",
      }),
    },
    {
      default: { enabled: true, always_on_grace_s: 20, normal_grace_s: 90, can_sleep_grace_s: 600, frames_per_device_per_minute: 1 },
      additionalProperties: false,
      description: "Departure probes: a device not heard for its grace gets a unicast ARP request; two unanswered in a row mark it offline (device_removed)",
      errorMessage: "must be an object {enabled, always_on_grace_s, normal_grace_s, can_sleep_grace_s, frames_per_device_per_minute}",
    },
  ),
};
