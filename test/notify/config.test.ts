// The `notifications` configuration section: what is accepted, which field a refusal names, and
// secrets being write-only (shown as `*_set`, kept when sent back as shown, redacted from errors).
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, loadAppConfig, updateAppConfig, validateAppConfig } from "../../src/config/app-config.ts";
import { redactError, validateNotifications, type NotificationsConfig } from "../../src/notify/config.ts";
import { carrySecrets, redact } from "../../src/config/secrets.ts";
import { atLeast, releaseTime, routeChange } from "../../src/notify/rules.ts";
import { SEVERITIES, SEVERITY_RANK } from "../../src/inventory/enums.ts";
import { parseExclusions } from "../../src/net/targets.ts";
import { Scratch } from "../helpers/scratch.ts";

const scratch = new Scratch();
afterAll(() => scratch.clear());

const hook = { name: "hooks", type: "webhook", url: "http://10.0.0.5:9000/argus", secret: "s3cret-hmac" };
const SPEC_EXAMPLE = {
  channels: [
    hook,
    { name: "phone", type: "ntfy", url: "https://ntfy.example/argus", token: "tk_123" },
    { name: "gotify", type: "gotify", url: "http://gotify.lan", token: "AbCdEf" },
    { name: "mail", type: "email", host: "smtp.lan", port: 587, starttls: true, username: "argus", password: "mail-pw", from: "argus@lan", to: ["me@lan"] },
    { name: "ha", type: "mqtt", url: "mqtt://broker.lan:1883", username: "ha", password: "mqtt-pw", discovery_prefix: "homeassistant", topic_prefix: "argus" },
  ],
  rules: [{ change_types: ["device_added", "mac_changed_for_ip"], min_severity: "info", channels: ["hooks", "phone"], digest: false }],
  quiet_hours: { start: "23:00", end: "07:00", min_severity: "critical" },
};

function refusal(input: unknown): { field: string; reason: string } {
  const r = validateNotifications(input);
  if (r.ok) throw new Error(`accepted: ${JSON.stringify(input)}`);
  return { field: r.field, reason: r.reason };
}

describe("validation", () => {
  test("the SPEC's example is valid; no section at all means no channels and no rules", () => {
    const r = validateNotifications(SPEC_EXAMPLE);
    expect(r.ok).toBe(true);
    expect(validateNotifications(undefined)).toEqual({ ok: true, value: { channels: [], rules: [], quiet_hours: null, muted_devices: [] } });
  });

  const cases: [string, unknown, string, RegExp][] = [
    ["a rule naming an unknown channel", { channels: [hook], rules: [{ channels: ["hooks", "pager"] }] }, "notifications.rules.0.channels", /"pager".*not a configured channel/],
    ["a URL that is not one", { channels: [{ ...hook, url: "not a url" }] }, "notifications.channels.0.url", /absolute URL/],
    ["a webhook URL of another scheme", { channels: [{ ...hook, url: "file:///etc/passwd" }] }, "notifications.channels.0.url", /http/],
    ["an MQTT URL over http", { channels: [{ name: "ha", type: "mqtt", url: "http://broker" }] }, "notifications.channels.0.url", /mqtt:\/\//],
    ["a Gotify channel without its token", { channels: [{ name: "g", type: "gotify", url: "http://gotify.lan" }] }, "notifications.channels.0.token", /required/],
    ["an ntfy URL without a topic", { channels: [{ name: "n", type: "ntfy", url: "https://ntfy.sh/" }] }, "notifications.channels.0.url", /topic/],
    ["an unknown channel type", { channels: [{ name: "x", type: "pager", url: "http://x" }] }, "notifications.channels.0.type", /webhook, ntfy, gotify, email, mqtt/],
    // Names every object inherits: a lookup by `in` took them for channel types (red team, issue 18).
    ...["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf"].map(
      (type): [string, unknown, string, RegExp] => [`the channel type "${type}"`, { channels: [{ name: "x", type, url: "http://x" }] }, "notifications.channels.0.type", /webhook, ntfy, gotify, email, mqtt/],
    ),
    ["an unknown channel field", { channels: [{ ...hook, retries: 3 }] }, "notifications.channels.0.retries", /not a known field/],
    ["two channels with one name", { channels: [hook, { ...hook }] }, "notifications.channels.1.name", /duplicates/],
    ["an e-mail username without a password", { channels: [{ name: "m", type: "email", host: "smtp", from: "a@b", to: ["c@d"], username: "u" }] }, "notifications.channels.0.password", /required/],
    ["an e-mail recipient that is not an address", { channels: [{ name: "m", type: "email", host: "smtp", from: "a@b", to: ["c@d", "nobody"] }] }, "notifications.channels.0.to.1", /e-mail address/],
    ["a quiet hour out of range", { quiet_hours: { start: "24:00", end: "07:00" } }, "notifications.quiet_hours.start", /must match/],
    ["a rule without channels", { rules: [{ change_types: ["device_added"], channels: [] }] }, "notifications.rules.0.channels", /greater or equal to 1/],
    ["a muted device that is neither MAC nor IP", { muted_devices: ["my-phone"] }, "notifications.muted_devices.0", /MAC/],
    ["a rule's device id past 2^53 (1e300)", { channels: [hook], rules: [{ channels: ["hooks"], devices: [7, 1e300] }] }, "notifications.rules.0.devices.1", /^must be a device id/],
    // JSON reads 9007199254740993 as …992: an id no longer the one written.
    ["a rule's device id that JSON cannot hold exactly", { channels: [hook], rules: [{ channels: ["hooks"], devices: [JSON.parse("9007199254740993")] }] }, "notifications.rules.0.devices.0", /^must be a device id/],
    ["a rule's device id of 0", { channels: [hook], rules: [{ channels: ["hooks"], devices: [0] }] }, "notifications.rules.0.devices.0", /whole number/],
  ];
  for (const [what, input, field, reason] of cases) {
    test(`${what} → refused naming ${field}`, () => {
      const r = refusal(input);
      expect(r.field).toBe(field);
      expect(r.reason).toMatch(reason);
    });
  }

  test("a bad severity names the rule's field and lists the severities", () => {
    expect(refusal({ channels: [hook], rules: [{ channels: ["hooks"], min_severity: "severe" }] })).toEqual({
      field: "notifications.rules.0.min_severity",
      reason: "must be one of info, low, warning, medium, high, critical",
    });
  });

  test("through the appliance config: the file's section is validated with the rest (ConfigError naming the field)", () => {
    expect(() => validateAppConfig({ notifications: { channels: [hook], rules: [{ channels: ["nope"] }] } })).toThrow(ConfigError);
    try {
      validateAppConfig({ notifications: { channels: [hook], rules: [{ channels: ["nope"] }] } });
    } catch (e) {
      expect((e as ConfigError).field).toBe("notifications.rules.0.channels");
    }
    expect(validateAppConfig({}).notifications).toEqual({ channels: [], rules: [], quiet_hours: null, muted_devices: [] });
  });
});

describe("secrets are write-only", () => {
  const stored = (validateNotifications({ ...SPEC_EXAMPLE, channels: [...SPEC_EXAMPLE.channels, { name: "auth-hook", type: "webhook", url: "https://bob:url-pass@hooks.lan/x" }] }) as { value: NotificationsConfig }).value;

  test("shown as *_set, never as the value; a URL's password is masked", () => {
    const shown = redact(stored) as NotificationsConfig;
    const text = JSON.stringify(shown);
    for (const secret of ["s3cret-hmac", "tk_123", "AbCdEf", "mail-pw", "mqtt-pw", "url-pass"]) expect(text).not.toContain(secret);
    // A channel without a secret shows no marker (the generic redaction marks secrets that exist).
    expect(shown.channels.map((c: any) => [c.name, c.secret_set ?? c.token_set ?? c.password_set])).toEqual([
      ["hooks", true], ["phone", true], ["gotify", true], ["mail", true], ["ha", true], ["auth-hook", undefined],
    ]);
    expect((shown.channels[5] as any).url).toBe("https://bob:***@hooks.lan/x");
  });

  test("sent back as shown, the stored secrets are kept; a new value replaces one", () => {
    const back = carrySecrets(redact(stored), stored);
    const again = validateNotifications(back);
    expect(again.ok && again.value).toEqual(stored);
    const changed = structuredClone(redact(stored)) as any;
    changed.channels[1].token = "new-token";
    const v = validateNotifications(carrySecrets(changed, stored)) as { value: NotificationsConfig };
    expect((v.value.channels[1] as any).token).toBe("new-token");
  });

  test("updateAppConfig keeps the file's secrets when the section comes back redacted; the file is 0600", () => {
    const dir = scratch.dir("argus-notify-cfg-");
    const path = join(dir, "config.json");
    writeFileSync(path, JSON.stringify({ notifications: SPEC_EXAMPLE }));
    const before = loadAppConfig(path, {});
    // Sent back as shown, with one real change, so the file is rewritten.
    const shown = redact(before.notifications) as NotificationsConfig;
    const after = updateAppConfig(path, { notifications: { ...shown, muted_devices: ["aa:bb:cc:dd:ee:ff"] } }, {}).config;
    expect(after.notifications).toEqual({ ...before.notifications, muted_devices: ["aa:bb:cc:dd:ee:ff"] });
    expect(JSON.parse(readFileSync(path, "utf8")).notifications.channels[0].secret).toBe("s3cret-hmac");
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  test("errors lose the URL's userinfo and every secret of the channel", () => {
    const ch = stored.channels[5];
    expect(redactError("connect to https://bob:url-pass@hooks.lan/x failed (url-pass)", ch)).toBe("connect to https://***@hooks.lan/x failed (***)");
    expect(redactError("401 for token tk_123", stored.channels[1])).toBe("401 for token ***");
  });
});

describe("routing and quiet hours", () => {
  const cfg = (validateNotifications({
    channels: [hook, { name: "phone", type: "ntfy", url: "https://ntfy.example/argus" }],
    rules: [
      { channels: ["hooks"], digest: true },
      { channels: ["hooks", "phone"], change_types: ["mac_changed_for_ip"] },
    ],
  }) as { value: NotificationsConfig }).value;
  const change = (type: any, severity: any) => ({ scan_id: 1, device_id: 1, device_ip: "10.0.0.2", device_mac: "aa:bb:cc:dd:ee:ff", change_type: type, severity, old_value: null, new_value: null, description: "", detected_at: "" });

  test("a channel named by several matching rules gets a change once, individually when any rule asks for that", () => {
    expect(routeChange(change("device_added", "warning"), null, cfg)).toEqual([{ channel: "hooks", digest: true }]);
    expect(routeChange(change("mac_changed_for_ip", "warning"), null, cfg)).toEqual([{ channel: "hooks", digest: false }, { channel: "phone", digest: false }]);
    expect(routeChange(change("device_added", "warning"), null, { ...cfg, muted_devices: ["aa:bb:cc:dd:ee:ff"] })).toEqual([]);
  });

  test("muted_devices reads a MAC as `exclude` does (AA-BB-… too), keeps the inventory's form, and mutes that device", () => {
    const windows = "AA-BB-CC-DD-EE-FF";
    expect(parseExclusions([windows]).macs.has("aa:bb:cc:dd:ee:ff")).toBe(true);
    const r = validateNotifications({ channels: [hook], rules: [{ channels: ["hooks"] }], muted_devices: [windows, "AA:BB:CC:DD:EE:01", "10.0.0.9"] });
    if (!r.ok) throw new Error(`refused: ${r.field} ${r.reason}`);
    expect(r.value.muted_devices).toEqual(["aa:bb:cc:dd:ee:ff", "aa:bb:cc:dd:ee:01", "10.0.0.9"]);
    expect(routeChange(change("device_added", "warning"), null, r.value)).toEqual([]);
    // A muted address mutes a device without a MAC at it, not another MAC that takes the address
    // (red team, issue 18: a guest on a muted IP was muted, its critical alerts included).
    const at9 = { ...change("ip_conflict", "critical"), device_ip: "10.0.0.9" };
    expect(routeChange({ ...at9, device_mac: null }, null, r.value)).toEqual([]);
    expect(routeChange({ ...at9, device_mac: "02:00:00:00:00:66" }, null, r.value)).toEqual([{ channel: "hooks", digest: false }]);
    expect(routeChange({ ...change("device_added", "warning"), device_mac: "aa:bb:cc:dd:ee:02" }, null, r.value)).toEqual([{ channel: "hooks", digest: false }]);
  });

  test("the spoofing alerts of the passive watch (issue 16) are change types a rule can name; a made-up one is refused", () => {
    const spoofing = ["ip_conflict", "gateway_changed", "rogue_dhcp_server", "rogue_router_advert", "address_hopping", "identity_conflict"];
    const r = validateNotifications({ channels: [hook], rules: [{ channels: ["hooks"], change_types: spoofing, min_severity: "critical" }] });
    expect(r.ok).toBe(true);
    const only = (r as { value: NotificationsConfig }).value;
    expect(routeChange(change("rogue_dhcp_server", "critical"), null, only)).toEqual([{ channel: "hooks", digest: false }]);
    expect(routeChange(change("ip_conflict", "warning"), null, only)).toEqual([]);
    expect(refusal({ channels: [hook], rules: [{ channels: ["hooks"], change_types: ["arp_spoofing"] }] }).field).toBe("notifications.rules.0.change_types.0");
  });

  test("severities are listed in the rank order the rules use: info < low < warning = medium < high < critical", () => {
    expect([...SEVERITIES]).toEqual(["info", "low", "warning", "medium", "high", "critical"]);
    // Every severity is at least each one listed before it, and no more than each one after a higher rank.
    SEVERITIES.forEach((s, i) => {
      for (const before of SEVERITIES.slice(0, i)) expect(atLeast(s, before)).toBe(true);
      for (const after of SEVERITIES.slice(i + 1)) expect(atLeast(s, after)).toBe(SEVERITY_RANK[after] === SEVERITY_RANK[s]);
    });
  });

  test("quiet hours across midnight hold lower severities until they end", () => {
    const at = (h: number, m = 0) => new Date(2026, 0, 15, h, m).getTime();
    const q = { start: "23:00", end: "07:00", min_severity: "high" as const };
    expect(releaseTime("warning", q, at(23, 30))).toBe(new Date(2026, 0, 16, 7, 0).getTime());
    expect(releaseTime("warning", q, at(3))).toBe(new Date(2026, 0, 15, 7, 0).getTime());
    expect(releaseTime("critical", q, at(3))).toBe(at(3));
    expect(releaseTime("info", q, at(12))).toBe(at(12));
    // Without min_severity only critical passes.
    expect(releaseTime("high", { start: "23:00", end: "07:00" }, at(1))).toBe(new Date(2026, 0, 15, 7, 0).getTime());
  });
});
