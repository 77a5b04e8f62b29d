// Several segments, one inventory (SPEC §7 "Segments"): the same appliance runs standalone (the
// default), as a sensor on one segment that publishes to the owner's MQTT broker, or as the hub that
// merges every sensor's segment into one inventory (src/segments/).
import { Type as t } from "@sinclair/typebox";
import { ConfigError } from "../config-error.ts";

export const ROLES = ["standalone", "sensor", "hub"] as const;
export type Role = (typeof ROLES)[number];

/** Site and segment names are MQTT topic levels: no '/', '+', '#' or spaces. */
export const NAME_PATTERN = "^[A-Za-z0-9_-]{1,64}$";
const NAME_ERROR = "must be a name of 1 to 64 letters, digits, '_' or '-'";

const name = (what: string) =>
  t.Union([t.String({ pattern: NAME_PATTERN }), t.Null()], { default: null, description: `${what} (a topic level: letters, digits, '_' and '-'); required when role is not standalone`, errorMessage: NAME_ERROR });

export const DEFAULT_HUB = { url: null, username: null, password: null, topic_prefix: "argus", offline_after_s: 120 };

export const segmentsSection = {
  role: t.Union(
    ROLES.map((r) => t.Literal(r)),
    {
      default: "standalone",
      description: "standalone: one appliance; sensor: watches its segment and publishes to the broker in hub.url; hub: merges every sensor's segment into one inventory",
      errorMessage: `must be one of ${ROLES.join(", ")}`,
    },
  ),
  site: name("The site this appliance (a sensor) watches, e.g. home or office"),
  segment: name("The segment (VLAN, Wi-Fi, LAN) this appliance (a sensor) watches, e.g. iot"),
  hub: t.Object(
    {
      url: t.Union([t.String({ pattern: "^mqtts?://[^\\s]+$", maxLength: 512 }), t.Null()], {
        default: null,
        description: "The MQTT broker sensors and hub meet at: mqtt://host:1883 or mqtts://host:8883",
        errorMessage: "must be an mqtt:// or mqtts:// URL",
      }),
      username: t.Union([t.String({ minLength: 1, maxLength: 256 }), t.Null()], { default: null, description: "This appliance's own broker user", errorMessage: "must be a user name" }),
      password: t.Union([t.String({ minLength: 1, maxLength: 256 }), t.Null()], { default: null, description: "Write-only", errorMessage: "must be a password" }),
      topic_prefix: t.String({ default: "argus", pattern: NAME_PATTERN, description: "Topics are <topic_prefix>/<site>/<segment>/…", errorMessage: NAME_ERROR }),
      offline_after_s: t.Integer({
        default: 120,
        minimum: 30,
        maximum: 86_400,
        description: "Hub: a sensor not heard for this long is offline (a sensor_offline warning, argus_sensor_up 0); sensors say they are alive every 30 s",
        errorMessage: "must be a whole number of seconds from 30 to 86400",
      }),
    },
    { default: DEFAULT_HUB, additionalProperties: false, description: "The owner's MQTT broker, for role sensor or hub", errorMessage: "must be an object {url, username, password, topic_prefix, offline_after_s}" },
  ),
};

/** A sensor needs its site, segment and broker; a hub needs its broker. */
export function checkSegments(c: { role: Role; site: string | null; segment: string | null; hub: { url: string | null } }): void {
  if (c.role === "standalone") return;
  if (c.role === "sensor") {
    if (c.site === null) throw new ConfigError("site", "is required when role is sensor");
    if (c.segment === null) throw new ConfigError("segment", "is required when role is sensor");
  }
  if (c.hub.url === null) throw new ConfigError("hub.url", `is required when role is ${c.role}`);
}
