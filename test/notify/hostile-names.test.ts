// Issue 16: text from the LAN. A guest names a device to fool the owner: with invisible and direction
// characters, with bytes that are not UTF-8, or as a link (`evil.example/login`, a markdown link). The
// appliance listens passively in the test network's scanner namespace; the frames come from a LAN
// host over a raw socket; the alerts go through the real channels (ntfy, Gotify, e-mail over SMTP,
// Home Assistant over a Mosquitto broker), whose receivers run on another LAN host.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { adminWithKey, type Client } from "../helpers/server.ts";
import { startNetServer, type NetServer } from "../helpers/netserver.ts";
import { requireRoot, startTestnet, type Testnet } from "../helpers/testnet.ts";
import { dhcpFrame, SEND_FRAMES } from "../helpers/frames.ts";
import { JsonLines } from "../helpers/json-lines.ts";
import { requireTools, tool } from "../helpers/require.ts";

const root = requireRoot("sends raw frames and runs receivers and the appliance inside a test network");
const mosquitto = root && requireTools([["mosquitto", "mosquitto"]]) ? tool("mosquitto") : null;
const RECEIVERS = resolve(import.meta.dir, "fixtures/receivers.ts");
const WATCH = resolve(import.meta.dir, "fixtures/mqtt-watch.ts");

async function until<T>(what: string, f: () => T | null | undefined | false | Promise<T | null | undefined | false>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(100);
  }
}

/** A MIME message's text as a reader sees it: headers unfolded with RFC 2047 words decoded, bodies quoted-printable decoded. */
function readable(mail: string): string {
  const split = mail.indexOf("\r\n\r\n");
  const qp = (t: string) => t.replace(/=([0-9A-F]{2})/gi, (_m, h) => String.fromCharCode(parseInt(h, 16)));
  // Adjacent encoded words are one text (the white space between them is not part of it).
  const headers = mail
    .slice(0, split)
    .replace(/\r\n[ \t]/g, " ")
    .replace(/\?=\s+=\?UTF-8\?Q\?/gi, "")
    .replace(/=\?UTF-8\?Q\?(.*?)\?=/gi, (_, q: string) => qp(q.replace(/_/g, " ")));
  const body = qp(mail.slice(split).replace(/=\r?\n/g, ""));
  return Buffer.from(headers + body, "latin1").toString("utf8");
}

const INVISIBLES = ["\u200e", "\u200f", "\u2028", "\u2029", "\ufeff", "\u00ad", "\u3164", "\u034f", "\ufe0f", "\u{e0041}", "\u115f", "\uffa0", "\u17b4"];
// Hostile host names as bytes (DHCP option 12), and what the appliance must keep of each.
const enc = (s: string) => [...new TextEncoder().encode(s)];
const GUESTS = [
  { mac: "02:16:00:00:00:01", bytes: enc("ev\u200eil.exa\ufeffmple/log\u2028in\u2029\u200f"), kept: "evil.example/login" },
  { mac: "02:16:00:00:00:02", bytes: [0x63, 0x61, 0x66, 0xe9, 0x2d, 0xff, 0xfe, 0x62, 0x6f, 0x78], kept: "caf\ufffd-\ufffd\ufffdbox" },
  { mac: "02:16:00:00:00:03", bytes: enc("[Pay now](https://bank.example/verify)"), kept: "[Pay now](https://bank.example/verify)" },
  { mac: "02:16:00:00:00:04", bytes: enc("support@evil.example"), kept: "support@evil.example" },
  // Invisible too, though not zero-width by name: the soft hyphen, the Hangul fillers, the combining
  // grapheme joiner, variation selectors and tag characters (every default-ignorable code point). A
  // guest's "annas-laptop" spelled with them reads exactly like the owner's laptop in every list.
  { mac: "02:16:00:00:00:05", bytes: enc("an\u00adnas\u3164-lap\u034ftop\ufe0f\u{e0041}\u115f\uffa0\u17b4"), kept: "annas-laptop" },
];
// What would become a link (or hide) in a reader's app: none of it may appear in a message people read.
const LINKY = /evil\.example|bank\.example|https?:\/\/|\]\(|@evil/;

describe.skipIf(!root || !mosquitto)("hostile device names through the real channels", () => {
  let net: Testnet;
  let server: NetServer;
  let api: Client;
  let dir: string;
  const procs: ReturnType<typeof Bun.spawn>[] = [];
  let rx: any[];
  let mq: any[];
  const host = (n: number) => net.truth.hosts.filter((h) => h.behaviour === "normal")[n - 1];

  beforeAll(async () => {
    net = await startTestnet({ hosts: 3 });
    dir = mkdtempSync(join(tmpdir(), "argus-hostile-"));
    const svc = host(1);
    const inNs = (cmd: string[]) => {
      const p = Bun.spawn(["ip", "netns", "exec", svc.ns, ...cmd], { stdout: "pipe", stderr: "inherit" });
      procs.push(p);
      return p;
    };
    // The receivers and the broker on a LAN host's own address (no loopback involved).
    writeFileSync(join(dir, "mosquitto.conf"), `listener 1883 ${svc.ip}\nallow_anonymous true\npersistence false\n`);
    inNs([mosquitto!, "-c", join(dir, "mosquitto.conf")]);
    rx = new JsonLines(inNs([process.execPath, RECEIVERS, svc.ip])).items;
    const ready = await until("receivers", () => rx.find((x) => x.ready));
    mq = new JsonLines(inNs([process.execPath, WATCH, `mqtt://${svc.ip}:1883`])).items;
    await until("the watcher's subscription", () => mq.some((x) => x.subscribed));
    const base = `http://${svc.ip}:${ready.http_port}`;
    writeFileSync(
      join(dir, "config.json"),
      JSON.stringify({
        subnets: [net.truth.lan_subnet],
        schedule: [],
        notifications: {
          channels: [
            { name: "phone", type: "ntfy", url: `${base}/ntfy/argus` },
            { name: "gotify", type: "gotify", url: `${base}/gotify`, token: "app-token" },
            { name: "mail", type: "email", host: svc.ip, port: ready.smtp_port, starttls: false, from: "argus@lan.test", to: ["me@lan.test"] },
            { name: "ha", type: "mqtt", url: `mqtt://${svc.ip}:1883` },
          ],
          rules: [{ change_types: ["device_added"], channels: ["phone", "gotify", "mail", "ha"] }],
        },
      }),
    );
    server = await startNetServer(net, { ARGUS_CONFIG: join(dir, "config.json"), ARGUS_NOTIFY_SCHEDULE: "0,200,200" });
    const { key } = await adminWithKey(server);
    api = server.client({ "X-API-Key": key });
    await until("the MQTT bridge", () => mq.some((m) => m.topic === "argus/status" && m.payload === "online"));
    // Each guest asks for an address with its chosen name, from a LAN host's raw socket.
    const prefix = net.truth.lan_subnet.split(".").slice(0, 3).join(".");
    const frames = GUESTS.map((g, i) => dhcpFrame(g.mac, { type: 3, requested: `${prefix}.${201 + i}`, extra: [12, g.bytes.length, ...g.bytes] }));
    const r = await net.nsExec(host(2).ns, ["python3", SEND_FRAMES, "--iface", "eth0", "--rate", "20"], { stdin: frames.map((f) => Buffer.from(f).toString("hex")).join("\n") + "\n", timeoutMs: 30_000 });
    if (r.exitCode !== 0) throw new Error(`send-frames: ${r.stderr}`);
  }, 120_000);

  afterAll(async () => {
    for (const p of procs) p.kill("SIGTERM");
    await server?.close();
    await net?.down();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const devices = () => until("the guests' devices", async () => {
    const list = (await api.get("/api/devices?limit=200")).body as any[];
    const found = GUESTS.map((g) => list.find((d) => d.mac_address === g.mac));
    return found.every(Boolean) && found;
  });

  test("names keep no invisible or direction characters; bytes that are not UTF-8 become U+FFFD", async () => {
    const found = await devices();
    expect(found.map((d: any) => d.hostname)).toEqual(GUESTS.map((g) => g.kept));
    const changes = (await api.get("/api/changes?change_type=device_added&limit=100")).text;
    for (const c of INVISIBLES) expect(changes.includes(c)).toBe(false);
    expect(changes).not.toContain("caf\u00e9");
  });

  test("ntfy and Gotify: the name is quoted and cannot become a link", async () => {
    const ntfy = await until("an ntfy message per guest", () => rx.filter((x) => x.kind === "http" && x.path === "/ntfy").length >= GUESTS.length && rx.filter((x) => x.kind === "http" && x.path === "/ntfy"));
    const gotify = await until("a Gotify message per guest", () => rx.filter((x) => x.kind === "http" && x.path === "/gotify/message").length >= GUESTS.length && rx.filter((x) => x.kind === "http" && x.path === "/gotify/message"));
    const shown = [...ntfy, ...gotify].map((h) => JSON.parse(h.body));
    for (const m of shown) {
      const text = `${m.title}\n${m.message}`;
      expect({ text, linky: LINKY.test(text) }).toEqual({ text, linky: false });
      for (const c of INVISIBLES) expect(text.includes(c)).toBe(false);
      expect(m.title).toMatch(/^Argus: New device — “[^“”]+”$/);
    }
    const titles = shown.map((m) => m.title);
    expect(titles).toContain("Argus: New device — “evil[.]example/login”");
    expect(titles).toContain("Argus: New device — “support[@]evil[.]example”");
    // Gotify is told the message is plain text, so its apps render no markdown.
    for (const m of shown.filter((x) => x.extras)) expect(m.extras["client::display"]).toEqual({ contentType: "text/plain" });
    expect(ntfy.every((h) => h.headers["x-markdown"] === undefined && JSON.parse(h.body).markdown === undefined)).toBe(true);
  });

  test("e-mail: subject and both bodies quote the name and carry nothing a mail client would link", async () => {
    const mails = await until("an e-mail per guest", () => rx.filter((x) => x.kind === "smtp").length >= GUESTS.length && rx.filter((x) => x.kind === "smtp"));
    for (const m of mails) {
      const text = readable(m.body);
      expect({ text, linky: LINKY.test(text) }).toEqual({ text, linky: false });
      expect(text).toMatch(/Subject: Argus: New device — “/);
    }
    expect(mails.map((m) => readable(m.body)).join("\n")).toContain("“evil[.]example/login”");
  });

  test("Home Assistant: the entities' names are quoted and unlinkable", async () => {
    const found = await devices();
    const configs = await until("the discovery configs", () => {
      const byId = found.map((d: any) => mq.filter((m) => m.topic === `homeassistant/device_tracker/argus/device_${d.id}/config` && m.payload).pop());
      return byId.every(Boolean) && byId.map((m: any) => JSON.parse(m.payload));
    });
    for (const c of configs) {
      expect({ name: c.name, linky: LINKY.test(c.name) }).toEqual({ name: c.name, linky: false });
      expect(c.name).toMatch(/^“.+”$/);
      expect(c.device.name).toBe(c.name);
    }
  });
});
