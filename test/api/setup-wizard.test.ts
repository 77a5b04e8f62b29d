// First-run setup and the schedule (new-user finding): confirming subnets starts the schedule, so the
// wizard stores them with none while it asks when to scan (`schedule_later`); POST /api/setup with
// subnets alone (the README's curl) still starts the default schedule. A hub watches no network of
// its own: its wizard is done with the account. Each appliance runs in a namespace with nothing but
// loopback and starts with no schedule stated (the default in force), so a schedule it would run
// could send nothing anywhere.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_SCHEDULE } from "../../src/config/sections/schedule.ts";
import { DEFAULT_SCHEDULE as UI_DEFAULT_SCHEDULE, SCHEDULE_PRESETS } from "../../src/ui/app/schedule-presets.ts";
import { startIsolatedServer, type NetServer } from "../helpers/netserver.ts";
import { ADMIN } from "../helpers/server.ts";
import { requireRoot } from "../helpers/testnet.ts";

const root = requireRoot("runs the appliance in an isolated network namespace");
const SUBNET = "10.77.0.0/24";

describe.skipIf(!root)("setup: the schedule and the wizard's steps", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  /** An appliance whose configuration file holds `config` (no `schedule` key: the default is in force). */
  const appliance = async (config: Record<string, unknown> = {}, env: Record<string, string> = {}): Promise<NetServer> => {
    const dir = mkdtempSync(join(tmpdir(), "argus-setup-wizard-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, "config.json"), JSON.stringify(config), { mode: 0o600 });
    const server = await startIsolatedServer({ ARGUS_CONFIG: join(dir, "config.json"), ...env });
    cleanups.push(() => server.close());
    return server;
  };

  test("the wizard's recommended schedule is the appliance's default", () => {
    expect(UI_DEFAULT_SCHEDULE).toEqual(DEFAULT_SCHEDULE);
    expect(SCHEDULE_PRESETS.find((p) => p.id === "recommended")!.schedule).toEqual(DEFAULT_SCHEDULE);
  });

  test("POST /api/setup with subnets alone starts the default schedule, as the README says", async () => {
    const server = await appliance();
    const api = server.client();
    expect((await api.post("/api/setup", { ...ADMIN, subnets: [SUBNET] })).status).toBe(201);
    const config = (await api.get("/api/config")).body;
    expect(config.subnets).toEqual([SUBNET]);
    expect(config.schedule).toEqual(DEFAULT_SCHEDULE);
    const schedule = (await api.get("/api/schedule")).body as any[];
    expect(schedule.map((e) => [e.profile, e.cron, e.state])).toEqual([
      ["quick", "*/15 * * * *", "scheduled"],
      ["normal", "30 3 * * *", "scheduled"],
    ]);
    for (const e of schedule) expect(typeof e.next_run_at).toBe("string");
    expect((await api.get("/api/setup")).body).toEqual({ setup_required: false, wizard_step: "first_scan" });
  });

  test("with schedule_later the subnets are stored with no schedule, and nothing is planned until one is chosen", async () => {
    const server = await appliance();
    const api = server.client();
    expect((await api.post("/api/setup", { ...ADMIN, subnets: [SUBNET], schedule_later: true })).status).toBe(201);
    const config = (await api.get("/api/config")).body;
    expect(config.subnets).toEqual([SUBNET]);
    expect(config.schedule).toEqual([]);
    expect((await api.get("/api/schedule")).body).toEqual([]);
    expect((await api.get("/api/scan/status")).body.scanning).toBe(false);
    expect((await api.get("/api/scans")).body).toEqual([]);
    expect((await api.get("/api/setup")).body).toEqual({ setup_required: false, wizard_step: "first_scan" });
    // The owner's answer (the wizard's Schedule step) plans it.
    const hourly = SCHEDULE_PRESETS.find((p) => p.id === "hourly")!.schedule;
    expect((await api.request("PUT", "/api/config", { json: { schedule: hourly } })).status).toBe(200);
    const planned = (await api.get("/api/schedule")).body as any[];
    expect(planned.map((e) => [e.profile, e.cron, e.state])).toEqual([["quick", "0 * * * *", "scheduled"]]);
  });

  test("schedule_later keeps a schedule the configuration states other than the default", async () => {
    const own = [{ profile: "normal", cron: "0 2 * * 0", enabled: true }];
    const server = await appliance({ schedule: own });
    const api = server.client();
    expect((await api.post("/api/setup", { ...ADMIN, subnets: [SUBNET], schedule_later: true })).status).toBe(201);
    expect((await api.get("/api/config")).body.schedule).toEqual(own);
    expect(((await api.get("/api/schedule")).body as any[]).map((e) => e.state)).toEqual(["scheduled"]);
  });

  test("schedule_later must be a boolean: 422 naming it, and no account is created", async () => {
    const server = await appliance();
    const api = server.client();
    const res = await api.post("/api/setup", { ...ADMIN, subnets: [SUBNET], schedule_later: "yes" });
    expect(res.status).toBe(422);
    expect(res.body.detail).toContain("schedule_later");
    expect((await api.get("/api/setup")).body.setup_required).toBe(true);
  });

  test("with ARGUS_SUBNETS set, setup proposes its subnets, takes them back, and refuses others with a 409 naming the variable, creating nothing", async () => {
    // New-user finding: other subnets used to be dropped without a word while the account was made.
    const server = await appliance({}, { ARGUS_SUBNETS: SUBNET });
    const api = server.client();
    expect((await api.get("/api/setup")).body).toEqual({ setup_required: true, suggested_subnets: [SUBNET] });
    const refused = await api.post("/api/setup", { ...ADMIN, subnets: ["10.78.0.0/24"] });
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({ detail: "'subnets' is set by the environment variable ARGUS_SUBNETS, which wins over the configuration file; change or unset it there" });
    expect((await api.get("/api/setup")).body.setup_required).toBe(true);
    expect((await api.post("/api/setup", { ...ADMIN, subnets: [SUBNET], schedule_later: true })).status).toBe(201);
    const config = (await api.get("/api/config")).body;
    expect(config.subnets).toEqual([SUBNET]);
    expect(config.env_overrides).toEqual({ subnets: "ARGUS_SUBNETS" });
    expect(config.schedule).toEqual([]);
  });

  test("with ARGUS_SUBNETS written loosely (a host address, a repeat), setup compares subnets, not text (red-team finding)", async () => {
    const server = await appliance({}, { ARGUS_SUBNETS: "10.9.1.1/28, 10.9.2.0/28,10.9.1.0/28" });
    const api = server.client();
    expect((await api.get("/api/setup")).body).toEqual({ setup_required: true, suggested_subnets: ["10.9.1.0/28", "10.9.2.0/28"] });
    // A list that leaves one out, even repeating the other, is refused; nothing is created.
    expect((await api.post("/api/setup", { ...ADMIN, subnets: ["10.9.2.0/28", "10.9.2.0/28"] })).status).toBe(409);
    expect((await api.get("/api/setup")).body.setup_required).toBe(true);
    // The same subnets in another order and spelling are the same choice.
    expect((await api.post("/api/setup", { ...ADMIN, subnets: ["10.9.2.0/28", "10.9.1.7/28"] })).status).toBe(201);
  });

  test("a hub's wizard is done with the account: no networks step, no nag", async () => {
    const server = await appliance({ role: "hub", hub: { url: "mqtt://127.0.0.1:1883" } });
    const api = server.client();
    expect((await api.post("/api/setup", { ...ADMIN, subnets: [] })).status).toBe(201);
    expect((await api.get("/api/config")).body.subnets).toEqual([]);
    expect((await api.get("/api/setup")).body).toEqual({ setup_required: false, wizard_step: "done" });
    // The wizard's page goes on to the dashboard.
    const page = await api.get("/setup");
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe("/");
  });
});
