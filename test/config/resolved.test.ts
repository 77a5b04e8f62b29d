// The configuration resolved once (issue 17): one validation of a change yields the file's view, the
// view in force and their parsed forms; the app context keeps that one object and replaces it whole on
// a change, before the `config` event; the scan plan, the schedule and the passive watch read it.
// Field errors use one path notation, the same for every section.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadResolvedConfig, updateAppConfig } from "../../src/config/app-config.ts";
import { resolvedView, type ResolvedConfig } from "../../src/config/resolved.ts";
import { formatIpv4 } from "../../src/net/ip.ts";
import { planScan } from "../../src/scans/plan.ts";
import { adminWithKey, startTestServer, type Client, type TestServer } from "../helpers/server.ts";
import { Scratch } from "../helpers/scratch.ts";

const scratch = new Scratch();
afterAll(() => scratch.clear());

function configFile(content: unknown): string {
  const path = join(scratch.dir("argus-resolved-"), "config.json");
  writeFileSync(path, JSON.stringify(content), { mode: 0o600 });
  return path;
}

describe("the resolved view", () => {
  test("holds the parsed forms: CIDRs, exclusions (addresses, CIDRs, MACs), port sets, profiles and compiled crons", () => {
    const path = configFile({
      subnets: ["10.9.1.7/24", "192.168.5.0/28"],
      exclude: ["10.9.1.3", "10.9.1.128/25", "AA-BB-CC-DD-EE-FF"],
      port_range: "22,80,8000-8002",
      profiles: [{ name: "web", ports: "443,80" }],
      schedule: [
        { profile: "web", cron: "0 4 * * *" },
        { profile: "quick", cron: "*/5 * * * * *", enabled: false },
      ],
    });
    const r = loadResolvedConfig(path, {});
    expect(r.subnets.map((c) => c.text)).toEqual(["10.9.1.0/24", "192.168.5.0/28"]);
    expect(r.exclusions.ranges.map((c) => `${formatIpv4(c.network)}/${c.prefix}`)).toEqual(["10.9.1.3/32", "10.9.1.128/25"]);
    expect([...r.exclusions.macs]).toEqual(["aa:bb:cc:dd:ee:ff"]);
    expect(r.portRange).toEqual([22, 80, 8000, 8001, 8002]);
    expect([...r.profiles.keys()]).toEqual(["quick", "normal", "intensive", "web"]);
    expect(r.profiles.get("normal")!.ports).toEqual([22, 80, 8000, 8001, 8002]);
    expect(r.profiles.get("web")!.ports).toEqual([80, 443]);
    expect(r.profiles.get("intensive")!.ports.length).toBe(65535);
    // Compiled, not started: each answers its next run, a disabled entry too.
    expect(r.schedule.map((s) => s.entry)).toEqual([
      { profile: "web", cron: "0 4 * * *", enabled: true },
      { profile: "quick", cron: "*/5 * * * * *", enabled: false },
    ]);
    const next = r.schedule[0].cron.nextRun()!;
    expect([next.getHours(), next.getMinutes()]).toEqual([4, 0]);
    expect(r.schedule[1].cron.nextRun()!.getSeconds() % 5).toBe(0);
    // With no environment override, the file's view is the view in force.
    expect(r.file).toBe(r.config);
    // What a consumer holding only the configuration in force gets: this same view.
    expect(resolvedView(r.config)).toBe(r);
  });

  test("the environment's overrides: the view in force and its parsed forms follow them, the file's view keeps the file", () => {
    const path = configFile({ subnets: ["10.9.1.0/24"], exclude: ["10.9.1.3"] });
    const r = loadResolvedConfig(path, { ARGUS_SUBNETS: "10.9.2.0/28, 10.9.3.0/28", ARGUS_EXCLUDE: "aa:bb:cc:00:00:01" });
    expect(r.config.subnets).toEqual(["10.9.2.0/28", "10.9.3.0/28"]);
    expect(r.file.subnets).toEqual(["10.9.1.0/24"]);
    expect(r.file.exclude).toEqual(["10.9.1.3"]);
    expect(r.subnets.map((c) => c.text)).toEqual(["10.9.2.0/28", "10.9.3.0/28"]);
    expect(r.exclusions.ranges).toEqual([]);
    expect([...r.exclusions.macs]).toEqual(["aa:bb:cc:00:00:01"]);
    // An invalid override names the variable it came from (the file does not hold it: new-user finding),
    // with the field; a bad value in the file itself is named as the file's field.
    expect(() => loadResolvedConfig(path, { ARGUS_SUBNETS: "10.9.2.0/28,8.8.8.0/24" })).toThrow("ARGUS_SUBNETS (subnets): 8.8.8.0/24 is not a private range");
    expect(() => loadResolvedConfig(configFile({ subnets: ["10.9.2.0/28", "8.8.8.0/24"] }), {})).toThrow("config subnets: 8.8.8.0/24 is not a private range");
  });

  test("an update builds a new view from the one in force; an update that changes nothing keeps it", () => {
    const path = configFile({ subnets: ["10.9.1.0/24"], schedule: [] });
    const before = loadResolvedConfig(path, {});
    const same = updateAppConfig(path, { subnets: ["10.9.1.0/24"] }, {}, { current: before });
    expect(same.changed).toEqual([]);
    expect(same.resolved).toBe(before);
    const after = updateAppConfig(path, { subnets: ["10.9.7.0/28"], port_range: "22" }, {}, { current: before });
    expect(after.changed).toEqual(["subnets", "port_range"]);
    expect(after.resolved).not.toBe(before);
    expect(after.resolved.config).toBe(after.config);
    expect(after.resolved.subnets.map((c) => c.text)).toEqual(["10.9.7.0/28"]);
    expect(after.resolved.profiles.get("normal")!.ports).toEqual([22]);
    // The view it replaced is untouched (held by whoever still reads it).
    expect(before.subnets.map((c) => c.text)).toEqual(["10.9.1.0/24"]);
  });
});

describe("the app context's resolved view", () => {
  let server: TestServer;
  let api: Client;
  const views: ResolvedConfig[] = [];

  beforeAll(async () => {
    // Nothing here may scan or listen: no schedule, no passive watch; subnets are only planned, never swept.
    const path = configFile({ schedule: [], passive: false });
    server = await startTestServer({ ARGUS_CONFIG: path });
    server.ctx.feed.on("config", (e) => views.push(e.resolved));
    ({ session: api } = await adminWithKey(server));
  });
  afterAll(async () => {
    await server?.close();
  });

  test("each PUT that changes something replaces the view once, as a whole, before its config event; the consumers see the new one at once", async () => {
    const first = server.ctx.resolved();
    expect(server.ctx.config()).toBe(first.config);
    views.length = 0;

    const put = await api.request("PUT", "/api/config", {
      json: { subnets: ["10.9.8.0/29"], exclude: ["10.9.8.2"], schedule: [{ profile: "quick", cron: "0 0 1 1 *", enabled: false }] },
    });
    expect(put.status).toBe(200);
    const second = server.ctx.resolved();
    expect(second).not.toBe(first);
    // One event for the one new view, carrying that very object.
    expect(views.length).toBe(1);
    expect(views[0]).toBe(second);
    expect(server.ctx.config()).toBe(second.config);
    // A scan planned right after the answer covers the new subnets without the excluded host.
    const plan = planScan({ kind: "network" }, server.ctx.resolved());
    expect(plan.subnet).toBe("10.9.8.0/29");
    expect(plan.targets.addresses.map(formatIpv4)).toEqual(["10.9.8.1", "10.9.8.3", "10.9.8.4", "10.9.8.5", "10.9.8.6"]);
    // The schedule answers from the new entries.
    expect(server.ctx.scheduler.entries().map((e) => [e.cron, e.state])).toEqual([["0 0 1 1 *", "disabled"]]);
    // A consumer that holds only the configuration in force finds the same view, not a copy.
    expect(resolvedView(server.ctx.config())).toBe(second);

    // Sending back what is in force changes nothing: the same view, no event.
    expect((await api.request("PUT", "/api/config", { json: { subnets: ["10.9.8.0/29"] } })).status).toBe(200);
    expect(server.ctx.resolved()).toBe(second);
    expect(views.length).toBe(1);

    // A refused PUT leaves the view in force as it was.
    expect((await api.request("PUT", "/api/config", { json: { subnets: ["10.9.9.0/29"], port_range: "0-5" } })).status).toBe(422);
    expect(server.ctx.resolved()).toBe(second);
    expect(views.length).toBe(1);
  });

  test("one path notation for every section: dotted, list items by their index (schedule, notifications, profiles)", async () => {
    const detail = async (json: unknown) => {
      const res = await api.request("PUT", "/api/config", { json });
      expect(res.status).toBe(422);
      return res.body.detail as string;
    };
    const named = (d: string) => /^Invalid body field '([^']+)': /.exec(d)?.[1];
    const schedule = await detail({
      schedule: [
        { profile: "quick", cron: "0 0 1 1 *" },
        { profile: "quick", cron: "not a cron" },
      ],
    });
    expect(named(schedule)).toBe("schedule.1.cron");
    const token = await detail({ notifications: { channels: [{ name: "g", type: "gotify", url: "http://gotify.lan" }] } });
    expect(named(token)).toBe("notifications.channels.0.token");
    const rule = await detail({ notifications: { channels: [{ name: "h", type: "webhook", url: "http://10.0.0.5/x" }], rules: [{ channels: ["h"] }, { channels: ["pager"] }] } });
    expect(named(rule)).toBe("notifications.rules.1.channels");
    const recipient = await detail({ notifications: { channels: [{ name: "m", type: "email", host: "smtp", from: "a@b", to: ["c@d", "nobody"] }] } });
    expect(named(recipient)).toBe("notifications.channels.0.to.1");
    const profile = await detail({ profiles: [{ name: "web", ports: "80" }, { name: "db", ports: "99999" }] });
    expect(named(profile)).toBe("profiles.1.ports");
    // No bracket anywhere in a field's name.
    for (const d of [schedule, token, rule, recipient, profile]) expect(named(d)).not.toMatch(/[[\]]/);
  });
});
