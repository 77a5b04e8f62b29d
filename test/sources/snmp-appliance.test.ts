// The SNMP source end to end on a running appliance (issue 20): the appliance in the scanner namespace
// on LAN A, Debian's snmpd on the router that forwards to LAN B (test/helpers/snmp-router.ts), the
// source configured through PUT /api/config and run through the runner. LAN B is first suggested
// (never confirmed by the source), then confirmed by the owner: its hosts become devices with their
// real MACs from the router's ARP table and the router interface they sit behind, and a scan of LAN B
// (ICMP/TCP, no MAC from the wire) keeps those MACs. Each run is a live `status` event.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { checkedFetch } from "../helpers/contract.ts";
import { startNetServer, waitForScan, type NetServer } from "../helpers/netserver.ts";
import { requireRoot, requireTools } from "../helpers/require.ts";
import { adminWithKey, type Client } from "../helpers/server.ts";
import { startSnmpRouter, type SnmpRouter } from "../helpers/snmp-router.ts";

const ready = requireRoot("builds a router namespace with snmpd") && requireTools([["snmpd", "snmpd"], ["busybox", "busybox"]]);

type Dev = { id: number; ip_address: string; mac_address: string | null; hostname: string | null; hostname_source: string | null };

describe.skipIf(!ready)("an snmp source on a running appliance, between two LANs", () => {
  let rtr: SnmpRouter;
  let server: NetServer;
  let api: Client;
  let key = "";
  let lanB = "";
  beforeAll(async () => {
    rtr = await startSnmpRouter({ routed: 3 });
    try {
      lanB = rtr.net.truth.routed_subnet!;
      server = await startNetServer(rtr.net);
      key = (await adminWithKey(server)).key;
      api = server.client({ "X-API-Key": key });
    } catch (e) {
      await server?.close();
      await rtr.down();
      throw e;
    }
  }, 90_000);
  afterAll(async () => {
    await server?.close();
    await rtr?.down();
  });

  const devices = async () => (await api.get("/api/devices?limit=100")).body as Dev[];

  test("LAN B unconfirmed: the run adds none of its hosts, and suggests LAN B labelled with the source", async () => {
    const saved = await api.request("PUT", "/api/config", {
      json: { subnets: [rtr.net.truth.lan_subnet], sources: [{ name: "router", type: "snmp", ...rtr.v2c, interval_s: 3600 }] },
    });
    expect(saved.status).toBe(200);
    const run = await api.post("/api/sources/router/run");
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ name: "router", type: "snmp", status: "ok" });
    const lanBIps = new Set(rtr.routed.map((h) => h.ip));
    expect((await devices()).filter((d) => lanBIps.has(d.ip_address))).toEqual([]);
    const detect = await api.get("/api/network/detect");
    expect(detect.status).toBe(200);
    expect(detect.body.source_suggestions).toEqual([{ subnet: lanB, sources: [{ name: "router", type: "snmp" }] }]);
    // Suggested only: the confirmed subnets are the owner's.
    expect(detect.body.confirmed_subnets).toEqual([rtr.net.truth.lan_subnet]);
  }, 60_000);

  test("LAN B confirmed: a run makes its hosts devices with their real MACs and the router interface; a scan of LAN B keeps the MACs", async () => {
    expect((await api.request("PUT", "/api/config", { json: { subnets: [rtr.net.truth.lan_subnet, lanB] } })).status).toBe(200);
    const run = await api.post("/api/sources/router/run");
    expect(run.body).toMatchObject({ status: "ok" });
    const before = await devices();
    for (const h of rtr.routed) {
      const d = before.find((x) => x.ip_address === h.ip);
      expect(d, `device for ${h.ip}`).toBeDefined();
      expect(d!.mac_address).toBe(h.mac);
      expect(d!.hostname_source).toBeNull();
      // Known from the router's table, not seen: offline until a scan or the wire sees it.
      expect(d!.status).toBe("offline");
      const detail = (await api.get(`/api/devices/${d!.id}`)).body;
      expect(detail).toMatchObject({ mac_address: h.mac, mac_source: "snmp", attached_to: rtr.routedIface, attached_source: "snmp" });
      expect(Date.parse(detail.attached_at)).toBeGreaterThan(0);
    }
    // Confirmed now: no longer a suggestion.
    expect((await api.get("/api/network/detect")).body.source_suggestions).toEqual([]);

    const started = await api.request("POST", `/api/scan/trigger?profile=quick&subnet=${encodeURIComponent(lanB)}`);
    expect(started.status).toBe(202);
    const scan = await waitForScan(api, started.body.scan_id);
    expect(scan.status).toBe("completed");
    // The scan saw every LAN B host (by echo, without a MAC) and matched each to its device by address.
    const seen = (await api.get(`/api/scans/${scan.id}/devices?limit=100`)).body as { ip_address: string; mac_address: string | null }[];
    for (const h of rtr.routed) expect(seen.some((x) => x.ip_address === h.ip)).toBe(true);
    const after = await devices();
    for (const h of rtr.routed) {
      const at = after.filter((x) => x.ip_address === h.ip);
      expect(at.map((d) => [d.id, d.mac_address])).toEqual([[before.find((x) => x.ip_address === h.ip)!.id, h.mac]]);
      // Seen by the scan: online now, without a `device_returned` (it never was online).
      expect(at[0].status).toBe("online");
    }
    const returned = (await api.get("/api/changes?change_type=device_returned&limit=1000")).body as { device_ip: string }[];
    expect(returned.filter((c) => rtr.routed.some((h) => h.ip === c.device_ip))).toEqual([]);
  }, 180_000);

  test("each run ends with a live status event carrying the sources' state", async () => {
    const res = await checkedFetch("http://argus/api/events", { headers: { "X-API-Key": key }, unix: server.socket } as RequestInit);
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const statuses: any[] = [];
    let buf = "";
    const reading = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buf += decoder.decode(value, { stream: true });
        for (let i = buf.indexOf("\n\n"); i >= 0; i = buf.indexOf("\n\n")) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const line = (name: string) => block.split("\n").find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
          if (line("event") === "status") statuses.push(JSON.parse(line("data")!));
        }
      }
    })().catch(() => {});
    try {
      const deadline = Date.now() + 5000;
      while (statuses.length === 0 && Date.now() < deadline) await Bun.sleep(20);
      expect(statuses.length).toBe(1);
      const run = await api.post("/api/sources/router/run");
      expect(run.body.status).toBe("ok");
      // Other parts may say something meanwhile (the passive watch): the run's own event is the one with its state.
      const ofRun = () => statuses.find((s, i) => i > 0 && s.sources?.[0]?.last_run_at === run.body.last_run_at);
      while (!ofRun() && Date.now() < deadline + 10_000) await Bun.sleep(20);
      expect(ofRun()?.sources).toEqual([run.body]);
    } finally {
      await reader.cancel().catch(() => {});
      await reading;
    }
  }, 60_000);
});
