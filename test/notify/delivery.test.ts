// Notification delivery end to end inside one process, with a stand-in scan pipeline (no network):
// the real scan manager commits changes and queues their messages in one transaction, the real worker
// sends them to real local receivers (HTTP: webhook, ntfy, Gotify; SMTP), retries on a short injected
// schedule, times out, and records every outcome.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SMTPServer } from "smtp-server";
import { DEFAULT_CONFIG, type AppConfig } from "../../src/config/app-config.ts";
import { openDatabase } from "../../src/db/database.ts";
import { setLogLevel } from "../../src/log.ts";
import type { Observation } from "../../src/inventory/observation.ts";
import { validateNotifications, type NotificationsConfig } from "../../src/notify/config.ts";
import { Notifier } from "../../src/notify/notifier.ts";
import { enqueueChanges, listDeliveries } from "../../src/notify/queue.ts";
import { planScan } from "../../src/scans/plan.ts";
import { ScanManager } from "../../src/scans/manager.ts";
import { EventFeed } from "../../src/events.ts";
import type { PipelineOutput } from "../../src/scans/pipeline.ts";
import { Scratch } from "../helpers/scratch.ts";
import { startReceivers, type Receivers } from "./fixtures/receivers.ts";
import { completedNetworkScan } from "../helpers/known-inventory.ts";

const scratch = new Scratch();
let rx: Receivers;
beforeAll(async () => {
  rx = await startReceivers();
});
afterAll(async () => {
  await rx.close();
  scratch.clear();
});

const host = (n: number, more: Partial<Observation> = {}): Observation => ({
  ip: `10.0.0.${n}`, mac: `02:00:00:00:00:${n.toString(16).padStart(2, "0")}`, method: "arp", rtt_ms: 1, mac_randomized: false, vendor: "Acme", hostname: `host${n}`,
  hostname_source: "dns", device_type: null, os_name: null, ports: null, ...more,
});
const output = (observations: Observation[]): PipelineOutput => ({ observations, hostsTotal: 16, portsScanned: 0, complete: true, degraded: false });

type Rig = { db: Database; notifier: Notifier; feed: EventFeed; scan: (hosts: Observation[]) => Promise<number>; cfg: AppConfig; close: () => Promise<void> };

const running: Rig[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.close();
  rx.received.length = 0;
});

/** A database, a notifier (retries 150 ms apart) and a scan manager whose scans "find" the given hosts. */
function rig(notifications: unknown, schedule = [0, 150, 150, 150, 150]): Rig {
  // The receivers listen on loopback, which a channel may reach only when allowed (issue 16).
  const checked = validateNotifications({ allow_loopback_destinations: true, ...(notifications as object) });
  if (!checked.ok) throw new Error(`${checked.field}: ${checked.reason}`);
  const db = openDatabase(scratch.dir("argus-notify-"));
  // Not the first run: these scans' new devices are warnings, one message each (the baseline has its own test).
  completedNetworkScan(db);
  const cfg: AppConfig = { ...DEFAULT_CONFIG, notifications: checked.value };
  const notifier = new Notifier(db, () => cfg.notifications, { schedule, pollMs: 50 });
  // The notifier follows the feed the scan manager publishes to once a scan committed.
  const feed = new EventFeed();
  notifier.start(feed);
  let next: Observation[] = [];
  const manager = new ScanManager(db, () => cfg, notifier, async () => output(next), feed);
  const r: Rig = {
    db,
    notifier,
    feed,
    cfg,
    async scan(hosts) {
      next = hosts;
      const { scan_id } = manager.start(planScan({ kind: "network", subnet: "10.0.0.0/28", profile: "quick" }, cfg));
      await manager.idle();
      return scan_id;
    },
    async close() {
      await notifier.stop();
      db.close(false);
    },
  };
  running.push(r);
  return r;
}

const base = () => `http://127.0.0.1:${rx.httpPort}`;
const httpHits = (prefix: string) => rx.received.filter((r) => r.kind === "http" && r.path.startsWith(prefix));

async function until<T>(what: string, fn: () => T | undefined | null | false, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const v = fn();
    if (v && !(Array.isArray(v) && v.length === 0)) return v;
    await Bun.sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The Subject header, RFC 2047 Q-encoding undone. */
function subjectOf(message: string): string {
  // Unfolded; white space between two adjacent encoded words is not part of the text (RFC 2047 §6.2).
  const raw = message.match(/^Subject: (.*(?:\r\n[ \t].*)*)/m)![1].replace(/\r\n[ \t]/g, " ").replace(/\?=\s+=\?UTF-8\?Q\?/gi, "");
  return raw.replace(/=\?UTF-8\?Q\?(.*?)\?=/gi, (_, q: string) => {
    const bytes = q.replace(/_/g, " ").replace(/=([0-9A-F]{2})/gi, (_m, h) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(bytes, "latin1").toString("utf8");
  });
}

const rows = (db: Database) => listDeliveries(db, { limit: 1000, offset: 0 }).items;

/**
 * Every line the appliance logs while `fn` runs (log.ts writes to stdout and stderr): a failure's cause
 * is logged for the owner, while the delivery record only says the destination did not accept it.
 */
async function logged<T>(fn: () => Promise<T>): Promise<{ value: T; lines: string[] }> {
  const lines: string[] = [];
  const writes = [process.stdout.write, process.stderr.write];
  const capture = (orig: typeof process.stdout.write) => ((chunk: any, ...rest: any[]) => (lines.push(String(chunk)), orig.call(process.stdout, chunk, ...rest))) as typeof process.stdout.write;
  process.stdout.write = capture(writes[0]);
  process.stderr.write = capture(writes[1]);
  setLogLevel("info");
  try {
    return { value: await fn(), lines };
  } finally {
    [process.stdout.write, process.stderr.write] = writes;
    setLogLevel("error");
  }
}
const NOT_ACCEPTED = "the destination did not accept the message";
const causeOf = (lines: string[], channel: string) => lines.filter((l) => l.includes(`channel="${channel}"`) && l.includes("cause=")).join("\n");

describe("channels and formats", () => {
  test("webhook: SPEC body {event, change, device}, HMAC-SHA256 signature of the body; then sent", async () => {
    const r = rig({
      channels: [{ name: "hooks", type: "webhook", url: `${base()}/hook/a`, secret: "hmac-key-123" }],
      rules: [{ change_types: ["device_added"], channels: ["hooks"] }],
    });
    const scanId = await r.scan([host(5)]);
    const [hit] = await until("the webhook", () => (httpHits("/hook/a").length === 1 ? httpHits("/hook/a") : null));
    const body = JSON.parse(hit.body);
    expect(body.event).toBe("change");
    expect(body.change).toMatchObject({ change_type: "device_added", severity: "warning", device_ip: "10.0.0.5", device_mac: "02:00:00:00:00:05", acknowledged: false, scan_id: scanId });
    // The change record's fields, `segment` among them (SPEC §7 "Segments": changes carry it, null when standalone).
    expect(Object.keys(body.change).sort()).toEqual(["acknowledged", "change_type", "description", "detected_at", "device_id", "device_ip", "device_mac", "id", "new_value", "old_value", "scan_id", "segment", "severity"]);
    expect(body.change.segment).toBeNull();
    expect(body.device).toMatchObject({ id: body.change.device_id, ip_address: "10.0.0.5", mac_address: "02:00:00:00:00:05", vendor: "Acme", hostname: "host5", status: "online", is_trusted: false, open_ports: [] });
    expect(body.device.notes).toBeUndefined();
    expect(hit.headers["content-type"]).toBe("application/json");
    const expected = `sha256=${createHmac("sha256", "hmac-key-123").update(hit.body).digest("hex")}`;
    expect(hit.headers["x-argus-signature"]).toBe(expected);
    const [row] = await until("sent", () => rows(r.db).filter((d) => d.status === "sent"));
    expect(row).toMatchObject({ channel: "hooks", kind: "change", change_id: body.change.id, status: "sent", attempts: 1, error: null });
    expect(row.sent_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  test("webhook without a secret carries no signature", async () => {
    const r = rig({ channels: [{ name: "plain", type: "webhook", url: `${base()}/hook/plain` }], rules: [{ channels: ["plain"] }] });
    await r.scan([host(6)]);
    const [hit] = await until("the webhook", () => httpHits("/hook/plain").length > 0 && httpHits("/hook/plain"));
    expect(hit.headers["x-argus-signature"]).toBeUndefined();
  });

  test("ntfy: topic, title, priority and tags by severity, bearer token; Gotify: app token, title, priority", async () => {
    const r = rig({
      channels: [
        { name: "phone", type: "ntfy", url: `${base()}/ntfy/argus-alerts`, token: "tk_ntfy_secret" },
        { name: "gotify", type: "gotify", url: `${base()}/gotify`, token: "gotify-app-token" },
      ],
      rules: [{ channels: ["phone", "gotify"] }],
    });
    await r.scan([host(7)]);
    const [n] = await until("ntfy", () => httpHits("/ntfy").length > 0 && httpHits("/ntfy"));
    expect(n.path).toBe("/ntfy");
    expect(n.headers.authorization).toBe("Bearer tk_ntfy_secret");
    const nb = JSON.parse(n.body);
    expect(nb).toMatchObject({ topic: "argus-alerts", priority: 4 });
    expect(nb.title).toBe("Argus: New device — “host7”");
    expect(nb.message).toContain("New device “host7” at 10.0.0.7");
    expect(nb.tags).toContain("warning");
    const [g] = await until("gotify", () => httpHits("/gotify").length > 0 && httpHits("/gotify"));
    expect(g.path).toBe("/gotify/message");
    expect(g.headers["x-gotify-key"]).toBe("gotify-app-token");
    expect(JSON.parse(g.body)).toMatchObject({ title: "Argus: New device — “host7”", priority: 6 });
  });

  test("e-mail: one message over SMTP with the title as subject, a plain-text and an HTML part", async () => {
    const r = rig({
      channels: [{ name: "mail", type: "email", host: "127.0.0.1", port: rx.smtpPort, starttls: false, from: "argus@lan.test", to: ["me@lan.test", "you@lan.test"] }],
      rules: [{ channels: ["mail"] }],
    });
    await r.scan([host(8)]);
    const mail = await until("the e-mail", () => rx.received.find((x) => x.kind === "smtp"));
    expect(mail.path).toBe("me@lan.test,you@lan.test");
    expect(mail.headers.from).toBe("argus@lan.test");
    expect(subjectOf(mail.body)).toBe("Argus: New device — “host8”");
    expect(mail.body).toContain("Content-Type: text/plain");
    expect(mail.body).toContain("Content-Type: text/html");
    await until("sent", () => rows(r.db).some((d) => d.status === "sent"));
  });
});

describe("e-mail over TLS", () => {
  // A self-signed certificate for 127.0.0.1, made with openssl for this run.
  let tlsDir: string;
  let key: string;
  let cert: string;
  const servers: SMTPServer[] = [];
  const mails: { secure: boolean; to: string }[] = [];
  beforeAll(() => {
    tlsDir = scratch.dir("argus-smtp-tls-");
    const r = Bun.spawnSync(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", join(tlsDir, "key.pem"), "-out", join(tlsDir, "cert.pem"), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`openssl: ${r.stderr.toString()}`);
    key = readFileSync(join(tlsDir, "key.pem"), "utf8");
    cert = readFileSync(join(tlsDir, "cert.pem"), "utf8");
  });
  afterAll(async () => {
    for (const s of servers) await new Promise<void>((resolve) => s.close(() => resolve()));
  });
  async function smtp(secure: boolean): Promise<number> {
    const server = new SMTPServer({
      secure,
      key,
      cert,
      authOptional: true,
      logger: false,
      onData(stream, session, callback) {
        stream.resume();
        stream.on("end", () => {
          mails.push({ secure: session.secure, to: session.envelope.rcptTo.map((a) => a.address).join(",") });
          callback();
        });
      },
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    return (server.server.address() as { port: number }).port;
  }

  test("STARTTLS (required by default) and implicit TLS, with the server's certificate trusted through `ca`", async () => {
    const starttls = await smtp(false);
    const implicit = await smtp(true);
    const r = rig({
      channels: [
        { name: "starttls", type: "email", host: "127.0.0.1", port: starttls, ca: cert, from: "argus@lan.test", to: ["a@lan.test"] },
        { name: "tls", type: "email", host: "127.0.0.1", port: implicit, tls: true, ca: cert, from: "argus@lan.test", to: ["b@lan.test"] },
      ],
      rules: [{ channels: ["starttls", "tls"] }],
    });
    await r.scan([host(13)]);
    await until("both e-mails", () => mails.length === 2);
    expect(mails.map((m) => [m.to, m.secure]).sort()).toEqual([["a@lan.test", true], ["b@lan.test", true]]);
  });

  test("an untrusted certificate fails the delivery (TLS is verified), and a server without STARTTLS is refused (the cause in the log)", async () => {
    const port = await smtp(false);
    const plainOnly = rx.smtpPort; // the sink of the other tests offers no STARTTLS
    const r = rig({
      channels: [
        { name: "untrusted", type: "email", host: "127.0.0.1", port, from: "argus@lan.test", to: ["c@lan.test"] },
        { name: "cleartext", type: "email", host: "127.0.0.1", port: plainOnly, from: "argus@lan.test", to: ["d@lan.test"] },
      ],
      rules: [{ channels: ["untrusted", "cleartext"] }],
    }, [0]);
    // Issue 16: the record says only that the destination did not accept it; the log names the cause.
    const { value: failed, lines } = await logged(async () => {
      await r.scan([host(14)]);
      return until("both failed", () => rows(r.db).filter((d) => d.status === "failed").length === 2 && rows(r.db));
    });
    expect(failed.find((d) => d.channel === "untrusted")!.error).toBe(NOT_ACCEPTED);
    expect(failed.find((d) => d.channel === "cleartext")!.error).toBe(NOT_ACCEPTED);
    expect(causeOf(lines, "untrusted")).toMatch(/certificate/i);
    expect(causeOf(lines, "cleartext")).toMatch(/STARTTLS/i);
    expect(mails.some((m) => m.to === "c@lan.test" || m.to === "d@lan.test")).toBe(false);
    expect(rx.received.some((x) => x.kind === "smtp" && x.path === "d@lan.test")).toBe(false);
  });
});

describe("retries, timeouts, failures", () => {
  test("a receiver that fails twice gets a third try, and the delivery ends `sent` after 3 attempts", async () => {
    const r = rig({ channels: [{ name: "flaky", type: "webhook", url: `${base()}/flaky/one` }], rules: [{ channels: ["flaky"] }] });
    await r.scan([host(9)]);
    const [row] = await until("sent", () => rows(r.db).filter((d) => d.status === "sent"));
    expect(row.attempts).toBe(3);
    expect(httpHits("/flaky/one").length).toBe(3);
    // The hits were spaced by the schedule, not fired back to back.
    const [a, b, c] = httpHits("/flaky/one").map((h) => h.at);
    expect(b - a).toBeGreaterThanOrEqual(140);
    expect(c - b).toBeGreaterThanOrEqual(140);
  });

  test("a receiver that never answers: each try times out; after 5 the delivery is `failed`, the timeout in the log", async () => {
    const r = rig({ channels: [{ name: "dead", type: "webhook", url: `${base()}/hang/x`, timeout_seconds: 1 }], rules: [{ channels: ["dead"] }] });
    const { value: row, lines } = await logged(async () => {
      await r.scan([host(10)]);
      const pending = await until("the first timeout", () => rows(r.db).find((d) => d.attempts === 1));
      expect(pending.status).toBe("pending");
      expect(pending.error).toBe(NOT_ACCEPTED);
      return (await until("failed", () => rows(r.db).filter((d) => d.status === "failed"), 20_000))[0];
    });
    expect(row).toMatchObject({ status: "failed", attempts: 5, error: NOT_ACCEPTED, sent_at: null, next_attempt_at: null });
    expect(causeOf(lines, "dead")).toContain('cause="timed out after 1 s"');
    expect(httpHits("/hang/x").length).toBe(5);
  }, 30_000);

  test("a redirect is not followed: the try fails; the status is logged, the Location kept nowhere", async () => {
    const r = rig({ channels: [{ name: "moved", type: "webhook", url: `${base()}/redirect/x` }], rules: [{ channels: ["moved"] }] }, [0, 100]);
    const { value: row, lines } = await logged(async () => {
      await r.scan([host(11)]);
      return (await until("failed", () => rows(r.db).filter((d) => d.status === "failed")))[0];
    });
    // Neither the record nor the log keeps where the receiver pointed (issue 16).
    expect(row.error).toBe(NOT_ACCEPTED);
    expect(causeOf(lines, "moved")).toContain('cause="HTTP 302: redirect not followed"');
    expect(lines.join("")).not.toContain("/hook/redirected");
    expect(httpHits("/hook/redirected").length).toBe(0);
  });

  test("errors are stored and logged without the URL's userinfo or the token", async () => {
    // Everything the appliance logs while this channel fails (log.ts writes to stdout and stderr).
    const logged: string[] = [];
    const writes = [process.stdout.write, process.stderr.write];
    const capture = (orig: typeof process.stdout.write) => ((chunk: any, ...rest: any[]) => (logged.push(String(chunk)), orig.call(process.stdout, chunk, ...rest))) as typeof process.stdout.write;
    process.stdout.write = capture(writes[0]);
    process.stderr.write = capture(writes[1]);
    // Other test files in this process may have lowered the level; warnings are what this test reads.
    setLogLevel("warn");
    try {
      // Port 9 on loopback: nothing listens, the connection is refused at once.
      const r = rig({ channels: [{ name: "ntfy", type: "ntfy", url: "http://alice:pa55word@127.0.0.1:9/topic", token: "tok-sekrit" }], rules: [{ channels: ["ntfy"] }] }, [0, 50]);
      await r.scan([host(12)]);
      const [row] = await until("failed", () => rows(r.db).filter((d) => d.status === "failed"));
      expect(row.error).toBeTruthy();
      for (const secret of ["pa55word", "tok-sekrit", "alice:"]) expect(row.error!).not.toContain(secret);
    } finally {
      [process.stdout.write, process.stderr.write] = writes;
      setLogLevel("error");
    }
    expect(logged.some((l) => l.includes("notification failed"))).toBe(true);
    for (const secret of ["pa55word", "tok-sekrit"]) expect(logged.join("")).not.toContain(secret);
  });

  test("a dead channel does not delay another: the healthy one is delivered while the dead one hangs", async () => {
    const r = rig({
      channels: [
        { name: "dead", type: "webhook", url: `${base()}/hang/slow`, timeout_seconds: 10 },
        { name: "fine", type: "webhook", url: `${base()}/hook/fine` },
      ],
      rules: [{ channels: ["dead", "fine"] }],
    });
    // Ten new devices: ten messages per channel, more than one channel's lane holds.
    await r.scan(Array.from({ length: 10 }, (_, i) => host(20 + i)));
    await until("all of fine's messages", () => httpHits("/hook/fine").length === 10, 5000);
    expect(rows(r.db).filter((d) => d.channel === "dead" && d.status === "pending").length).toBe(10);
  });
});

describe("rules", () => {
  test("digest: one message per scan listing its changes, instead of one per change", async () => {
    const r = rig({ channels: [{ name: "d", type: "webhook", url: `${base()}/hook/digest` }], rules: [{ channels: ["d"], digest: true }] });
    const scanId = await r.scan([host(2), host(3), host(4)]);
    const [hit] = await until("the digest", () => httpHits("/hook/digest").length > 0 && httpHits("/hook/digest"));
    const body = JSON.parse(hit.body);
    expect(body.event).toBe("digest");
    expect(body.scan).toEqual({ id: scanId, profile: "quick", subnet: "10.0.0.0/28" });
    expect(body.changes.map((c: any) => c.change.device_ip)).toEqual(["10.0.0.2", "10.0.0.3", "10.0.0.4"]);
    await Bun.sleep(200);
    expect(httpHits("/hook/digest").length).toBe(1);
    expect(rows(r.db)).toMatchObject([{ kind: "digest", change_id: null, scan_id: scanId, severity: "warning" }]);
  });

  test("change types, minimum severity, trusted/untrusted, zones and muted devices select what goes where", async () => {
    const r = rig({
      channels: [
        { name: "all", type: "webhook", url: `${base()}/hook/all` },
        { name: "untrusted-iot", type: "webhook", url: `${base()}/hook/iot` },
        { name: "critical", type: "webhook", url: `${base()}/hook/critical` },
        { name: "off", type: "webhook", url: `${base()}/hook/off`, enabled: false },
      ],
      rules: [
        { channels: ["all", "off"] },
        { change_types: ["device_removed", "device_returned"], trusted: false, zones: ["IoT"], channels: ["untrusted-iot"] },
        { min_severity: "critical", channels: ["critical"] },
      ],
      muted_devices: ["02:00:00:00:00:03"],
    });
    await r.scan([host(1), host(2), host(3)]);
    // Device 2 goes into the IoT zone; device 1 is IoT too but trusted.
    r.db.query("UPDATE devices SET zone = 'IoT' WHERE ip_address IN ('10.0.0.1', '10.0.0.2')").run();
    r.db.query("UPDATE devices SET is_trusted = 1 WHERE ip_address = '10.0.0.1'").run();
    await r.scan([host(3)]);
    await r.scan([host(3)]); // second miss: 1 and 2 go offline
    await until("all's messages", () => httpHits("/hook/all").length === 4);
    const all = httpHits("/hook/all").map((h) => JSON.parse(h.body).change);
    expect(all.map((c: any) => `${c.change_type} ${c.device_ip}`).sort()).toEqual(["device_added 10.0.0.1", "device_added 10.0.0.2", "device_removed 10.0.0.1", "device_removed 10.0.0.2"]);
    const iot = await until("iot", () => httpHits("/hook/iot").length > 0 && httpHits("/hook/iot"));
    expect(iot.map((h) => JSON.parse(h.body).change.device_ip)).toEqual(["10.0.0.2"]);
    await Bun.sleep(200);
    expect(httpHits("/hook/critical")).toEqual([]);
    expect(httpHits("/hook/off")).toEqual([]);
    expect(rows(r.db).some((d) => d.channel === "off")).toBe(false);
  });

  test("quiet hours hold back messages below their severity until they end; named severities pass", async () => {
    const now = new Date();
    const hhmm = (d: Date) => `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
    const start = hhmm(new Date(now.getTime() - 60 * 60_000));
    const end = hhmm(new Date(now.getTime() + 2 * 60 * 60_000));
    const r = rig({
      channels: [{ name: "q", type: "webhook", url: `${base()}/hook/quiet` }],
      rules: [{ channels: ["q"] }],
      quiet_hours: { start, end, min_severity: "warning" },
    });
    await r.scan([host(1)]); // device_added: warning, passes
    await until("the warning", () => httpHits("/hook/quiet").length === 1);
    r.cfg.notifications = { ...r.cfg.notifications, quiet_hours: { start, end, min_severity: "critical" } };
    await r.scan([]);
    await r.scan([]); // device_removed: info, held back
    const held = await until("a held row", () => rows(r.db).find((d) => d.kind === "change" && d.status === "pending"));
    const release = Date.parse(held.next_attempt_at!);
    expect(release).toBeGreaterThan(Date.now() + 60 * 60_000);
    expect(release).toBeLessThanOrEqual(Date.now() + 2 * 60 * 60_000 + 60_000);
    await Bun.sleep(300);
    expect(httpHits("/hook/quiet").length).toBe(1);
  });

  test("queued in the caller's transaction: a rolled-back transaction leaves no message", async () => {
    const r = rig({ channels: [{ name: "hooks", type: "webhook", url: `${base()}/hook/tx` }], rules: [{ channels: ["hooks"] }] });
    const change = { scan_id: null, device_id: null, device_ip: "10.0.0.77", device_mac: null, change_type: "device_added" as const, severity: "warning" as const, old_value: null, new_value: "10.0.0.77", description: "New device 10.0.0.77", detected_at: "2026-01-01T00:00:00Z" };
    expect(() =>
      r.db.transaction(() => {
        const id = Number(r.db.query("INSERT INTO changes (device_ip, change_type, severity, new_value, description, detected_at) VALUES ('10.0.0.77', 'device_added', 'warning', '10.0.0.77', 'x', ?)").run(change.detected_at).lastInsertRowid);
        expect(enqueueChanges(r.db, [{ ...change, id }], r.cfg.notifications, null)).toBe(1);
        throw new Error("the write after it failed");
      })(),
    ).toThrow("the write after it failed");
    expect(rows(r.db)).toEqual([]);
    // The same in a transaction that commits: a passive sighting (scan_id null) is sent by itself.
    const committed = r.db.transaction(() => {
      const id = Number(r.db.query("INSERT INTO changes (device_ip, change_type, severity, new_value, description, detected_at) VALUES ('10.0.0.77', 'device_added', 'warning', '10.0.0.77', 'x', ?)").run(change.detected_at).lastInsertRowid);
      r.notifier.enqueue([{ ...change, id }], null);
      return [{ ...change, id }];
    })();
    r.feed.publish({ type: "changes", scan_id: null, changes: committed });
    const [hit] = await until("the sighting's message", () => httpHits("/hook/tx").length > 0 && httpHits("/hook/tx"));
    expect(JSON.parse(hit.body).change).toMatchObject({ scan_id: null, device_ip: "10.0.0.77" });
  });
});

describe("test messages", () => {
  test("test(channel) sends now and reports sent, or failed with the error; both are listed", async () => {
    const r = rig({
      channels: [
        { name: "ok", type: "webhook", url: `${base()}/hook/test` },
        { name: "down", type: "gotify", url: "http://127.0.0.1:9", token: "tok" },
      ],
      rules: [],
    });
    const ok = await r.notifier.test("ok");
    expect(ok).toMatchObject({ status: "sent", attempts: 1, error: null });
    expect(JSON.parse(httpHits("/hook/test")[0].body)).toMatchObject({ event: "test" });
    const down = await r.notifier.test("down");
    expect(down.status).toBe("failed");
    expect(down.error).toBeTruthy();
    expect(rows(r.db).map((d) => [d.channel, d.kind, d.status])).toEqual([["down", "test", "failed"], ["ok", "test", "sent"]]);
  });
});

describe("quiet hours (issue 16)", () => {
  test("a message in quiet hours is held, not sent and not dropped, and goes out when they end", async () => {
    // Quiet hours from the last minute to the end of the next one (local time, minute granularity).
    const hhmm = (d: Date) => `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
    const now = new Date();
    const end = new Date(now);
    end.setSeconds(0, 0);
    end.setMinutes(end.getMinutes() + (now.getSeconds() > 40 ? 2 : 1));
    const r = rig({
      channels: [{ name: "quiet", type: "webhook", url: `${base()}/hook/quiet` }],
      rules: [{ channels: ["quiet"] }],
      quiet_hours: { start: hhmm(new Date(now.getTime() - 60_000)), end: hhmm(end), min_severity: "critical" },
    });
    await r.scan([host(40)]);
    const [held] = rows(r.db);
    expect(held).toMatchObject({ channel: "quiet", status: "pending", attempts: 0, error: null });
    expect(Date.parse(held.next_attempt_at!)).toBe(end.getTime());
    // Held: nothing sent while the poll runs, and the row stays.
    await Bun.sleep(1500);
    expect(httpHits("/hook/quiet")).toEqual([]);
    expect(rows(r.db)).toMatchObject([{ id: held.id, status: "pending", attempts: 0 }]);
    // Released when the quiet hours end: sent once, on the first try.
    const [hit] = await until("the held message", () => httpHits("/hook/quiet").length > 0 && httpHits("/hook/quiet"), 150_000);
    expect(hit.at).toBeGreaterThanOrEqual(end.getTime());
    expect(JSON.parse(hit.body).change).toMatchObject({ change_type: "device_added", device_ip: "10.0.0.40" });
    const [sent] = await until("sent", () => rows(r.db).filter((d) => d.status === "sent"));
    expect(sent).toMatchObject({ id: held.id, attempts: 1, error: null });
    expect(httpHits("/hook/quiet").length).toBe(1);
  }, 180_000);
});

describe("records of an older version (issue 16)", () => {
  test("an error stored with the receiver's reply is shown only as the coarse reason", () => {
    const r = rig({ channels: [{ name: "old", type: "webhook", url: `${base()}/hook/old` }], rules: [] });
    r.db.run(
      "INSERT INTO notifications (channel, kind, payload, severity, status, attempts, error, created_at, next_attempt_ms) VALUES ('old', 'test', '{}', 'info', 'failed', 1, 'HTTP 401: SECRET-BODY admin:hunter2', '2026-01-01T00:00:00Z', 0)",
    );
    r.db.run(
      "INSERT INTO notifications (channel, kind, payload, severity, status, attempts, error, created_at, next_attempt_ms) VALUES ('old', 'test', '{}', 'info', 'failed', 1, 'channel \"old\" is disabled', '2026-01-01T00:00:00Z', 0)",
    );
    expect(rows(r.db).map((d) => d.error)).toEqual(['channel "old" is disabled', NOT_ACCEPTED]);
  });
});
