import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { matchResponse } from "../../src/portscan/services.ts";
import { requireRoot } from "../helpers/require.ts";
import { createTopology, type Topology } from "../helpers/topology.ts";

describe("probe rules (pure)", () => {
  const ctx = (probe: string, port: number, tls = false) => ({ probe, port, tls });
  test("SSH banners", () => {
    expect(matchResponse("SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5\r\n", ctx("banner", 22))).toMatchObject({ service: "ssh", product: "OpenSSH", version: "9.6p1" });
    expect(matchResponse("SSH-2.0-dropbear_2022.83\r\n", ctx("banner", 22))).toMatchObject({ product: "Dropbear", version: "2022.83" });
    expect(matchResponse("SSH-2.0-Cisco-1.25\r\n", ctx("banner", 22))).toMatchObject({ service: "ssh", product: "Cisco", version: "1.25" });
    expect(matchResponse("SSH-1.99-RomSShell_4.62\r\n", ctx("banner", 22))).toMatchObject({ product: "RomSShell", version: "4.62" });
  });
  test("220 greetings are told apart", () => {
    expect(matchResponse("220 ProFTPD 1.3.5 Server (Debian) [::ffff:10.0.0.1]\r\n", ctx("banner", 21))).toMatchObject({ service: "ftp", product: "ProFTPD", version: "1.3.5" });
    expect(matchResponse("220 mx.example.com ESMTP Exim 4.96 Tue, 01 Jan 2025\r\n", ctx("banner", 25))).toMatchObject({ service: "smtp", product: "Exim", version: "4.96" });
    expect(matchResponse("220 Welcome\r\n", ctx("banner", 21))?.service).toBe("ftp");
    expect(matchResponse("220 Welcome\r\n", ctx("banner", 587))?.service).toBe("smtp");
  });
  test("HTTP server header and title; TLS makes it https; Server without version", () => {
    const resp = "HTTP/1.1 200 OK\r\nServer: lighttpd/1.4.59\r\n\r\n<html><head><title>  Caf&eacute; &amp; &#x4e2d; Admin\n</title>";
    const m = matchResponse(resp, ctx("http-get", 80))!;
    expect(m).toMatchObject({ service: "http", product: "lighttpd", version: "1.4.59" });
    expect(m.extra.title).toBe("Caf&eacute; & 中 Admin");
    expect(matchResponse(resp, ctx("http-get", 443, true))?.service).toBe("https");
    expect(matchResponse("HTTP/1.0 401 Unauthorized\r\nServer: Boa\r\n\r\n", ctx("http-get", 80))).toMatchObject({ product: "Boa", version: null });
    expect(matchResponse("HTTP/1.1 200 OK\r\nServer: Microsoft-IIS/10.0\r\n\r\n", ctx("http-get", 80))).toMatchObject({ product: "Microsoft-IIS", version: "10.0" });
    expect(matchResponse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", ctx("http-get", 80))).toMatchObject({ service: "http", product: null });
    // An HTTP-looking banner does not count when the rule is tied to the http-get probe's answer.
    expect(matchResponse("HTTP/1.1 400 Bad Request\r\n\r\n", ctx("banner", 80))).toBeNull();
  });
  test("a title loses invisible and direction characters (raw or as entities); invalid UTF-8 is U+FFFD (issue 16)", () => {
    const bytes = Buffer.concat([Buffer.from("<title>Ro\u200euter&#x2028; Lo\ufeffgin&#x200F;&#8233;", "utf8"), Buffer.from([0xff]), Buffer.from("</title>")]);
    const m = matchResponse(`HTTP/1.1 200 OK\r\nServer: Boa\r\n\r\n${bytes.toString("latin1")}`, ctx("http-get", 80))!;
    expect(m.extra.title).toBe("Router Login\ufffd");
  });
  test("binary protocols", () => {
    expect(matchResponse("\x20\x02\x00\x00", ctx("mqtt-connect", 1883))).toMatchObject({ service: "mqtt", extra: { auth_required: "false" } });
    expect(matchResponse("\x20\x02\x00\x05", ctx("mqtt-connect", 1883))).toMatchObject({ service: "mqtt", extra: { auth_required: "true" } });
    expect(matchResponse("N", ctx("pg-sslrequest", 5432))?.service).toBe("postgresql");
    expect(matchResponse("N", ctx("banner", 5432))).toBeNull();
    expect(matchResponse("VERSION 1.6.21\r\n", ctx("memcached-version", 11211))).toMatchObject({ product: "memcached", version: "1.6.21" });
    expect(matchResponse("RFB 003.008\n", ctx("banner", 5900))).toMatchObject({ service: "vnc", extra: { protocol_version: "003.008" } });
    const maria = "\x5b\x00\x00\x00\x0a5.5.5-10.6.12-MariaDB-0ubuntu0.22.04.1\x00";
    expect(matchResponse(maria, ctx("banner", 3306))).toMatchObject({ product: "MariaDB", version: "10.6.12" });
  });
  test("hostile 16 KiB answers are matched in bounded time", () => {
    const probes = ["banner", "http-get", "redis", "mqtt-connect", "rdp-x224", "smb2-negotiate", "pg-sslrequest", "mongodb-ismaster", "memcached-version"];
    const n = 16 * 1024;
    const hostile = [
      "SSH-2.0-a" + "-1".repeat(n / 2),
      "SSH-2.0-" + "a".repeat(n),
      "HTTP/1.1 200 OK" + "\r\nServer: ".repeat(n / 10),
      "HTTP/1.1 200 OK\r\n" + "\r\n".repeat(n / 2),
      "220 " + "FTP ".repeat(n / 4),
      "\x00\x00\x00\x0a" + "1.".repeat(n / 2),
      "<title>".repeat(n / 7),
      "login".repeat(n / 5) + " ",
      "x".repeat(n),
    ];
    const t0 = performance.now();
    for (const h of hostile) for (const probe of probes) for (const port of [21, 23, 25, 80]) matchResponse(h, { probe, port, tls: false });
    expect(performance.now() - t0).toBeLessThan(500);
  });

  test("nothing to match", () => {
    expect(matchResponse("", ctx("banner", 22))).toBeNull();
    expect(matchResponse("\x00\x01garbage", ctx("http-get", 8008))).toBeNull();
  });
});

describe("service detection against real listeners in a namespace", () => {
  const root = requireRoot("runs TCP services in a namespace behind a veth pair");
  let topo: Topology | undefined;
  beforeAll(async () => {
    if (!root) return;
    topo = await createTopology("sv");
    await topo.startListeners();
  }, 30_000);
  afterAll(() => topo?.destroy());

  test.skipIf(!root)("names service, product and version of every fixture service", async () => {
    const t0 = performance.now();
    const { result, services } = await topo!.scan({ hosts: ["10.241.0.2"], ports: "1-1000,1883,1900,2222,3306,3389,5432,5900,6379,6380,8008,27017", services: true });
    const elapsed = performance.now() - t0;
    const open = result.hosts[0].open.map((o: { port: number }) => o.port);
    const byPort = Object.fromEntries(services["10.241.0.2"].map((s: { port: number }) => [s.port, s]));
    expect(Object.keys(byPort).map(Number)).toEqual(open);
    const brief = (p: number) => {
      const s = byPort[p];
      return [s.service, s.product, s.version, s.method, s.tls];
    };
    expect(brief(21)).toEqual(["ftp", "vsFTPd", "3.0.3", "banner", false]);
    expect(brief(22)).toEqual(["ssh", "OpenSSH", "8.9p1", "banner", false]);
    expect(byPort[22].os_hint).toBe("Linux (Ubuntu)");
    expect(byPort[22].banner).toBe("SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6");
    expect(brief(23)).toEqual(["telnet", null, null, "banner", false]);
    expect(brief(25)).toEqual(["smtp", "Postfix", null, "banner", false]);
    expect(brief(80)).toEqual(["http", "Apache", "2.4.49", "probe", false]);
    expect(byPort[80].extra).toEqual({ title: "Router Login", server: "Apache/2.4.49 (Unix)" });
    expect(brief(443)).toEqual(["https", "nginx", "1.18.0", "probe", true]);
    expect(byPort[443].extra).toEqual({ title: "NAS & Storage", server: "nginx/1.18.0", tls_subject: "nas.example.test" });
    expect(brief(445)).toEqual(["smb", null, null, "probe", false]);
    expect(byPort[445].extra.dialect).toBe("2.1");
    expect(brief(1883)).toEqual(["mqtt", null, null, "probe", false]);
    expect(byPort[1883].extra.auth_required).toBe("true");
    expect(brief(1900)).toEqual(["upnp", "MiniUPnPd", "1.9", "probe", false]);
    expect(brief(2222)).toEqual(["ssh", "Dropbear", "2019.78", "banner", false]);
    expect(brief(3306)).toEqual(["mysql", "MySQL", "5.7.42", "banner", false]);
    expect(brief(3389)).toEqual(["rdp", null, null, "probe", false]);
    expect(brief(5432)).toEqual(["postgresql", null, null, "probe", false]);
    expect(brief(5900)).toEqual(["vnc", null, null, "port", false]);
    expect(brief(6379)).toEqual(["redis", null, null, "probe", false]);
    expect(byPort[6379].extra.auth_required).toBe("true");
    expect(brief(6380)).toEqual(["redis", "Redis", "6.0.5", "probe", false]);
    expect(brief(8008)).toEqual(["http", null, null, "port", false]);
    expect(byPort[8008].banner).toBe("garbage that is no protocol");
    expect(brief(27017)).toEqual(["mongodb", null, null, "probe", false]);
    console.log(`scan + service detection of ${open.length} open ports: ${elapsed.toFixed(0)} ms`);
  }, 30_000);

  test.skipIf(!root)("deep mode: every probe on every port, and TLS tried on ports not known for it", async () => {
    // 8444 serves HTTPS but is not a TLS port: normal mode cannot name it, deep mode finds it by a handshake.
    // The silent 5900 falls back to its port name after every probe went unanswered. time_scale shortens the
    // waits to keep the test quick.
    const normal = await topo!.scan({ hosts: ["10.241.0.2"], ports: "8444", services: true, time_scale: 0.2 });
    expect(normal.services["10.241.0.2"][0]).toMatchObject({ port: 8444, service: null, method: "none", tls: false });
    const { services, services_ms } = await topo!.scan({ hosts: ["10.241.0.2"], ports: "443,5900,6380,8444", services: true, deep: true, time_scale: 0.2 });
    const byPort = Object.fromEntries(services["10.241.0.2"].map((s: { port: number }) => [s.port, s]));
    expect(byPort[8444]).toMatchObject({ service: "https", tls: true, product: "nginx", method: "probe", extra: { title: "Admin on an odd port" } });
    expect([byPort[443].service, byPort[443].tls, byPort[443].product]).toEqual(["https", true, "nginx"]);
    expect([byPort[6380].service, byPort[6380].version]).toEqual(["redis", "6.0.5"]);
    expect([byPort[5900].service, byPort[5900].method]).toEqual(["vnc", "port"]);
    expect(services_ms).toBeLessThan(15_000);
  }, 30_000);

  test.skipIf(!root)("reads are bounded: a service that never stops sending is cut off at the read limit", async () => {
    // Port 8010 streams data without end. Only the read limit can end the banner read before the 600 ms wait.
    const { services, services_ms } = await topo!.scan({ hosts: ["10.241.0.2"], ports: "8010", services: true });
    const s = services["10.241.0.2"][0];
    expect(s).toMatchObject({ port: 8010, service: null, method: "none", banner: "A".repeat(200) });
    expect(services_ms).toBeLessThan(400);
  }, 30_000);
});
