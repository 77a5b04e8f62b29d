// GET /api/events (SPEC §7 "Live events") against the real appliance in a test network: a scan and a
// passive sighting (a raw frame from a LAN host) each reach a connected client as `changes` and
// `device` events within a second of their commit; a reconnecting client catches up by Last-Event-ID;
// a client that stops reading is disconnected and never makes the appliance hold more for it; the
// stream needs a credential like every /api route.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { checkedFetch } from "../helpers/contract.ts";
import { startNetServer, waitForScan, type NetServer } from "../helpers/netserver.ts";
import { adminWithKey, type Client } from "../helpers/server.ts";
import { requireRoot, startTestnet, type Testnet } from "../helpers/testnet.ts";
import { gratuitousArp, SEND_FRAMES as SEND } from "../helpers/frames.ts";

/** Bytes the appliance may buffer for one client (src/api/events.ts CLIENT_BUFFER_BYTES). */
const CLIENT_BUFFER_BYTES = 1 << 20;

const runnable = requireRoot("runs the appliance and LAN hosts in namespaces") && Bun.which("python3") !== null;

type Received = { id: string | null; event: string; data: any; at: number };

/** An open /api/events stream, parsed as it arrives. */
async function openEvents(server: NetServer, headers: Record<string, string>) {
  const res = await checkedFetch("http://argus/api/events", { headers, unix: server.socket } as RequestInit);
  const events: Received[] = [];
  let ended = false;
  if (res.status === 200) {
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buf = "";
    void (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buf += decoder.decode(value, { stream: true });
        for (let i = buf.indexOf("\n\n"); i >= 0; i = buf.indexOf("\n\n")) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const field = (name: string) => block.split("\n").find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2) ?? null;
          const event = field("event");
          if (event) events.push({ id: field("id"), event, data: JSON.parse(field("data")!), at: Date.now() });
        }
      }
    })()
      .catch(() => {})
      .finally(() => (ended = true));
    return {
      res,
      events,
      get ended() {
        return ended;
      },
      async until<T>(what: string, find: () => T | undefined, ms = 10_000): Promise<T> {
        const deadline = Date.now() + ms;
        for (;;) {
          const v = find();
          if (v !== undefined) return v;
          if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms; got ${events.map((e) => e.event).join(",")}`);
          await Bun.sleep(20);
        }
      },
      close: () => reader.cancel().catch(() => {}),
    };
  }
  return { res, events, ended: true, until: async () => undefined as never, close: async () => {} };
}

describe.skipIf(!runnable)("live events (GET /api/events)", () => {
  let net: Testnet;
  let server: NetServer;
  let api: Client;
  let key = "";
  let session: Client;

  beforeAll(async () => {
    net = await startTestnet({ hosts: 2 });
    server = await startNetServer(net, { ARGUS_SUBNETS: net.truth.lan_subnet });
    ({ key, session } = await adminWithKey(server));
    api = server.client({ "X-API-Key": key });
  }, 120_000);

  /** A device of its own for a test, recorded from one gratuitous ARP sent by a LAN host. */
  const deviceHeard = async (mac: string, lastOctet: number): Promise<{ id: number }> => {
    const ip = net.truth.lan_subnet.replace(/\.0\/\d+$/, `.${lastOctet}`);
    const host = net.truth.hosts.find((h) => h.behaviour === "normal")!;
    const sent = await net.nsExec(host.ns, ["python3", SEND, "--iface", "eth0"], { stdin: `${Buffer.from(gratuitousArp(mac, ip)).toString("hex")}\n`, timeoutMs: 30_000 });
    expect(sent.exitCode).toBe(0);
    const deadline = Date.now() + 5000;
    for (;;) {
      const found = ((await api.get(`/api/devices?q=${mac}&limit=10`)).body as any[]).find((d) => d.mac_address === mac);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`${mac} was not recorded`);
      await Bun.sleep(50);
    }
  };

  afterAll(async () => {
    await server?.close();
    await net?.down();
  });

  test("without credentials the stream is 401 like every /api route", async () => {
    const res = await checkedFetch("http://argus/api/events", { unix: server.socket } as RequestInit);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ detail: "Not authenticated" });
  });

  test("a scan's committed changes and the devices it saw arrive as `changes` and `device` events within 1 s of the commit", async () => {
    const live = await openEvents(server, { "X-API-Key": key });
    try {
      expect(live.res.headers.get("content-type")).toBe("text/event-stream");
      const first = await live.until("status", () => live.events.find((e) => e.event === "status"));
      expect(first.data).toMatchObject({ passive: { listening: true }, resync: false });
      expect(Array.isArray(first.data.schedule)).toBe(true);

      const started = await api.request("POST", `/api/scan/trigger?profile=quick&subnet=${encodeURIComponent(net.truth.lan_subnet)}`);
      expect(started.status).toBe(202);
      const scan = await waitForScan(api, started.body.scan_id);
      expect(scan.status).toBe("completed");
      const committed = Date.parse(scan.finished_at);
      const host = net.truth.hosts.find((h) => h.behaviour === "normal" && h.mac)!;

      const changes = await live.until("changes", () => live.events.find((e) => e.event === "changes" && e.data.scan_id === scan.id));
      expect(changes.data.changes.length).toBeGreaterThan(0);
      expect(changes.data.changes.some((c: any) => c.change_type === "device_added" && c.device_mac === host.mac)).toBe(true);
      expect(changes.at - committed).toBeLessThan(1000);

      const device = await live.until("device", () => live.events.find((e) => e.event === "device" && e.data.device?.mac_address === host.mac));
      expect(device.data.device).toMatchObject({ ip_address: host.ip, status: "online" });
      expect(device.data.id).toBe(device.data.device.id);
      expect(device.at - committed).toBeLessThan(1000);

      const finished = live.events.find((e) => e.event === "scan" && e.data.type === "finished");
      expect(finished?.data).toMatchObject({ type: "finished", scan_id: scan.id, status: "completed" });
      // Every event but the first status carries an id.
      expect(live.events.filter((e) => e.event !== "status").every((e) => e.id !== null)).toBe(true);
      // The metrics follow the same feed.
      const metrics = (await api.get("/metrics")).text;
      expect(Number(/^argus_events_total\{type="changes"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
      expect(Number(/^argus_events_total\{type="device"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
    } finally {
      await live.close();
    }
  }, 120_000);

  test("a passive sighting (a gratuitous ARP from a LAN host) arrives as `changes` and `device` events within 1 s of the commit", async () => {
    const live = await openEvents(server, { "X-API-Key": key });
    try {
      await live.until("status", () => live.events.find((e) => e.event === "status"));
      const mac = "3c:07:54:00:00:77";
      const ip = net.truth.lan_subnet.replace(/\.0\/\d+$/, ".77");
      const host = net.truth.hosts.find((h) => h.behaviour === "normal")!;
      const frame = Buffer.from(gratuitousArp(mac, ip)).toString("hex");
      const sent = await net.nsExec(host.ns, ["python3", SEND, "--iface", "eth0"], { stdin: `${frame}\n`, timeoutMs: 30_000 });
      expect(sent.exitCode).toBe(0);

      const changes = await live.until("changes", () => live.events.find((e) => e.event === "changes" && e.data.changes.some((c: any) => c.device_mac === mac)));
      const added = changes.data.changes.find((c: any) => c.device_mac === mac);
      expect(added).toMatchObject({ change_type: "device_added", scan_id: null, device_ip: ip });
      expect(changes.data.scan_id).toBeNull();
      // detected_at is taken as the sighting's transaction begins: the commit is later still.
      expect(changes.at - Date.parse(added.detected_at)).toBeLessThan(1000);

      const device = await live.until("device", () => live.events.find((e) => e.event === "device" && e.data.device?.mac_address === mac));
      expect(device.data.device).toMatchObject({ id: added.device_id, ip_address: ip, status: "online" });
      expect(device.at - Date.parse(added.detected_at)).toBeLessThan(1000);
    } finally {
      await live.close();
    }
  }, 60_000);

  test("a client reconnecting with Last-Event-ID receives what it missed; an id it cannot catch up from says resync", async () => {
    const target = await deviceHeard("3c:07:54:00:00:78", 78);
    const live = await openEvents(server, { "X-API-Key": key });
    const label = async (text: string) => expect((await api.request("PUT", `/api/devices/${target.id}`, { json: { label: text } })).status).toBe(200);
    let lastId: string;
    try {
      await label("before the drop");
      const seen = await live.until("device", () => live.events.find((e) => e.event === "device" && e.data.device?.label === "before the drop"));
      lastId = seen.id!;
    } finally {
      await live.close();
    }
    // Missed while disconnected.
    await label("while away");
    const again = await openEvents(server, { "X-API-Key": key, "Last-Event-ID": lastId });
    try {
      const status = await again.until("status", () => again.events.find((e) => e.event === "status"));
      expect(status.data.resync).toBe(false);
      const missed = await again.until("missed device", () => again.events.find((e) => e.event === "device" && e.data.device?.label === "while away"));
      expect(missed.data.id).toBe(target.id);
      expect(again.events.some((e) => e.id === lastId)).toBe(false);
    } finally {
      await again.close();
    }
    const stranger = await openEvents(server, { "X-API-Key": key, "Last-Event-ID": "zzzz-12" });
    try {
      const status = await stranger.until("status", () => stranger.events.find((e) => e.event === "status"));
      expect(status.data.resync).toBe(true);
    } finally {
      await stranger.close();
    }
  }, 60_000);

  test("a key revoked while its stream is open receives nothing more: the stream ends", async () => {
    const target = await deviceHeard("3c:07:54:00:00:7a", 80);
    const other = (await session.post("/api/keys", { name: "short-lived" })).body;
    const live = await openEvents(server, { "X-API-Key": other.key });
    try {
      await live.until("status", () => live.events.find((e) => e.event === "status"));
      expect((await session.delete(`/api/keys/${other.id}`)).status).toBe(204);
      expect((await api.request("PUT", `/api/devices/${target.id}`, { json: { label: "after the revocation" } })).status).toBe(200);
      const deadline = Date.now() + 5000;
      while (!live.ended && Date.now() < deadline) await Bun.sleep(20);
      expect(live.ended).toBe(true);
      expect(live.events.filter((e) => e.event !== "status")).toEqual([]);
    } finally {
      await live.close();
    }
  });

  test("a client that stops reading is disconnected; what the appliance holds for it stays bounded", async () => {
    const target = await deviceHeard("3c:07:54:00:00:79", 79);
    const metric = async (name: string) => {
      const text = (await api.get("/metrics")).text;
      return Number(text.split("\n").find((l) => l.startsWith(`${name} `))?.split(" ")[1] ?? "NaN");
    };
    const droppedBefore = await metric("argus_live_clients_dropped_total");
    // A client with a tiny receive buffer that reads nothing until told to.
    const slow = Bun.spawn(
      [
        "python3",
        "-c",
        `import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(sys.argv[1])
s.sendall(("GET /api/events HTTP/1.1\\r\\nHost: argus\\r\\nX-API-Key: " + sys.argv[2] + "\\r\\n\\r\\n").encode())
print("connected", flush=True)
sys.stdin.readline()
s.settimeout(10)
total, eof = 0, False
try:
    while True:
        b = s.recv(65536)
        if not b:
            eof = True
            break
        total += len(b)
except (socket.timeout, ConnectionResetError):
    pass
print(json.dumps({"bytes": total, "eof": eof}), flush=True)`,
        server.socket,
        key,
      ],
      { stdin: "pipe", stdout: "pipe", stderr: "inherit" },
    );
    const out = slow.stdout.getReader();
    const line = async () => new TextDecoder().decode((await out.read()).value).trim();
    try {
      expect(await line()).toBe("connected");
      await Bun.sleep(200);
      expect(await metric("argus_live_clients")).toBeGreaterThanOrEqual(1);
      // Device events of ~2.5 kB each (the notes travel in the record), 8 MiB of them at most.
      const notes = (n: number) => `${n % 2 === 0 ? "a" : "b"}`.repeat(2000);
      // Plain requests for the load (the contract of this PUT is checked by the devices suite).
      const edit = async (n: number) => {
        const res = await fetch(`http://argus/api/devices/${target.id}`, {
          method: "PUT",
          headers: { "X-API-Key": key, "content-type": "application/json" },
          body: JSON.stringify({ notes: notes(n) }),
          unix: server.socket,
        } as RequestInit);
        expect(res.status).toBe(200);
        await res.arrayBuffer();
      };
      let published = 0;
      let dropped = false;
      for (let n = 0; published < 8 * CLIENT_BUFFER_BYTES && !dropped; n++) {
        await edit(n);
        published += 2500;
        if (n % 100 === 99) dropped = (await metric("argus_live_clients_dropped_total")) > droppedBefore;
      }
      expect(dropped).toBe(true);
      // Another 2 MiB published after the drop: none of it is kept for the dropped client.
      for (let n = 0; n < 800; n++) await edit(n);
      slow.stdin.write("read\n");
      slow.stdin.end();
      let rest = "";
      for (let r = await out.read(); !r.done; r = await out.read()) rest += new TextDecoder().decode(r.value);
      const result = JSON.parse(rest.trim());
      // It gets what the socket held and its bounded buffer at most, then the end of the stream.
      expect(result.eof).toBe(true);
      expect(result.bytes).toBeLessThan(CLIENT_BUFFER_BYTES + 1024 * 1024);
      expect(result.bytes).toBeLessThan(published);
    } finally {
      slow.kill("SIGKILL");
    }
  }, 120_000);
});
