import { describe, expect, test } from "bun:test";
import { assessDevice, assessPort, matchCves } from "../../src/risk/score.ts";
import risky from "../../src/risk/risky-ports.json";
import cves from "../../src/risk/cves.json";

const ids = (product: string, version: string) => matchCves(product, version).map((c) => c.id);

describe("CVE table", () => {
  test("well-known matches", () => {
    expect(ids("OpenSSH", "8.9p1")).toEqual(["CVE-2024-6387", "CVE-2023-48795"]);
    expect(ids("OpenSSH", "9.8p1")).toEqual([]);
    expect(ids("OpenSSH", "7.4p1")).toEqual(["CVE-2023-48795", "CVE-2018-15473"]);
    expect(ids("openssh", "4.3p2")).toContain("CVE-2024-6387"); // the pre-4.4p1 range, product case-insensitive
    expect(ids("vsFTPd", "2.3.4")).toEqual(["CVE-2011-2523"]);
    expect(ids("Apache", "2.4.49")).toEqual(["CVE-2021-41773", "CVE-2021-42013"]);
    expect(ids("Apache", "2.4.50")).toEqual(["CVE-2021-42013"]);
    expect(ids("Apache", "2.4.51")).toEqual([]);
    expect(ids("ProFTPD", "1.3.5")).toEqual(["CVE-2015-3306", "CVE-2019-12815"]);
    expect(ids("ProFTPD", "1.3.5a")).toEqual(["CVE-2019-12815"]);
    expect(ids("Dropbear", "2016.72")).toEqual(["CVE-2016-7406", "CVE-2017-9078", "CVE-2023-48795"]);
    expect(ids("Redis", "6.0.5")).toEqual(["CVE-2022-24834"]);
    expect(ids("Redis", "7.2.4")).toEqual([]);
    expect(ids("MiniUPnPd", "1.0")).toEqual(["CVE-2013-0230", "CVE-2013-0229", "CVE-2017-1000494"]);
    expect(ids("nginx", "1.18.0")).toEqual(["CVE-2021-23017"]);
    expect(ids("lighttpd", "1.4.59")).toEqual(["CVE-2022-22707"]);
    expect(ids("Exim", "4.89")).toEqual(["CVE-2019-10149"]);
  });
  test("no product or version, no match", () => {
    expect(matchCves(null, "2.3.4")).toEqual([]);
    expect(matchCves("vsFTPd", null)).toEqual([]);
    expect(matchCves("vsFTPd", "")).toEqual([]);
  });
  test("table is well-formed", () => {
    const levelFor = (cvss: number) => (cvss >= 9 ? "critical" : cvss >= 7 ? "high" : cvss >= 4 ? "medium" : "low");
    for (const c of cves.cves) {
      expect(c.id).toMatch(/^CVE-\d{4}-\d{4,}$/);
      expect(c.level).toBe(levelFor(c.cvss));
      expect(c.versions.length).toBeGreaterThan(0);
      expect(c.recommendation.length).toBeGreaterThan(10);
    }
    for (const e of risky.entries) {
      expect(["low", "medium", "high", "critical"]).toContain(e.level);
      expect(e.description.length).toBeGreaterThan(20);
      expect(e.recommendation.length).toBeGreaterThan(20);
    }
  });
});

describe("assessPort", () => {
  test("levels from the table as the spec lists them", () => {
    const level = (p: Parameters<typeof assessPort>[0]) => assessPort(p)?.level ?? "none";
    for (const s of ["telnet", "rsh", "rexec", "rlogin"]) expect(level({ port: 1, service: s })).toBe("critical");
    for (const s of ["ftp", "smb", "rdp", "vnc", "mysql", "postgresql", "mssql", "mongodb", "elasticsearch", "couchdb", "memcached", "redis"]) {
      expect(level({ port: 1, service: s })).toBe("high");
    }
    for (const s of ["http", "dns", "snmp", "upnp"]) expect(level({ port: 1, service: s })).toBe("medium");
    expect(level({ port: 443, service: "https" })).toBe("none");
    expect(level({ port: 8080, service: "http", tls: true })).toBe("none");
    expect(level({ port: 22, service: "ssh" })).toBe("low");
    expect(level({ port: 12345, service: null })).toBe("none");
  });
  test("port fallback only when no service was named", () => {
    expect(assessPort({ port: 23 })?.service_id).toBe("telnet");
    expect(assessPort({ port: 161, protocol: "udp" })?.service_id).toBe("snmp");
    expect(assessPort({ port: 23, service: "ssh" })?.service_id).toBe("ssh");
  });
  test("authentication evidence adjusts Redis and MQTT", () => {
    expect(assessPort({ port: 6379, service: "redis", extra: { auth_required: "false" } })?.level).toBe("critical");
    expect(assessPort({ port: 6379, service: "redis", extra: { auth_required: "true" } })?.level).toBe("high");
    expect(assessPort({ port: 1883, service: "mqtt", extra: { auth_required: "false" } })?.level).toBe("high");
    expect(assessPort({ port: 1883, service: "mqtt", extra: { auth_required: "true" } })?.level).toBe("medium");
  });
  test("a CVE raises the port above its service level and is named", () => {
    const t = assessPort({ port: 21, service: "ftp", product: "vsFTPd", version: "2.3.4" })!;
    expect(t.level).toBe("critical");
    expect(t.cve_ids).toEqual(["CVE-2011-2523"]);
    expect(t.description).toContain("CVE-2011-2523");
    expect(t.recommendation).toContain("Replace this vsftpd build");
    // A CVE on a port without a risky service still makes a threat.
    const h = assessPort({ port: 8443, service: "https", product: "nginx", version: "1.18.0" })!;
    expect(h).toMatchObject({ level: "high", service_id: null, cve_ids: ["CVE-2021-23017"] });
  });
});

describe("assessDevice", () => {
  test("no ports, no risk", () => {
    expect(assessDevice({ ports: [] })).toEqual({
      risk_level: "none", risk_score: 0, threat_summary: "No risky services or known vulnerabilities found.",
      threats: [], counts: { low: 0, medium: 0, high: 0, critical: 0 }, counts_as_at_risk: false,
    });
    expect(assessDevice({ ports: [{ port: 443, service: "https" }] }).risk_score).toBe(0);
  });
  test("score: band of the worst finding, raised by the others, never past the band", () => {
    expect(assessDevice({ ports: [{ port: 22, service: "ssh" }] })).toMatchObject({ risk_level: "low", risk_score: 10, counts_as_at_risk: false });
    expect(assessDevice({ ports: [{ port: 80, service: "http" }] })).toMatchObject({ risk_level: "medium", risk_score: 40, counts_as_at_risk: true });
    expect(assessDevice({ ports: [{ port: 80, service: "http" }, { port: 22, service: "ssh" }] }).risk_score).toBe(41);
    expect(assessDevice({ ports: [{ port: 21, service: "ftp" }] }).risk_score).toBe(65);
    expect(assessDevice({ ports: [{ port: 21, service: "ftp" }, { port: 3306, service: "mysql" }, { port: 80, service: "http" }] }).risk_score).toBe(65 + 4 + 2);
    expect(assessDevice({ ports: [{ port: 23, service: "telnet" }] }).risk_score).toBe(85);
    const many = Array.from({ length: 30 }, (_, i) => ({ port: 8000 + i, service: "http" }));
    const m = assessDevice({ ports: many });
    expect(m).toMatchObject({ risk_level: "medium", risk_score: 64 });
    // Any number of mediums stays below a single high.
    expect(m.risk_score).toBeLessThan(assessDevice({ ports: [{ port: 21, service: "ftp" }] }).risk_score);
  });
  test("threats sorted worst first with a one-line summary", () => {
    const r = assessDevice({ ports: [
      { port: 22, service: "ssh", product: "OpenSSH", version: "9.9p1" },
      { port: 80, service: "http", product: "Apache", version: "2.4.49" },
      { port: 23, service: "telnet" },
    ] });
    expect(r.threats.map((t) => [t.port, t.level])).toEqual([[23, "critical"], [80, "critical"], [22, "low"]]);
    expect(r.risk_level).toBe("critical");
    expect(r.risk_score).toBe(85 + 5 + 4 + 2 + 1); // telnet; 42013 critical, 41773 high, http medium, ssh low
    expect(r.threat_summary).toBe("Critical: Telnet on port 23; 5 findings on 3 ports (2 critical, 1 high, 1 medium, 1 low).");
    expect(r.threat_summary).not.toContain("\n");
  });
  test("the summary's finding count says on how many ports, matching the threats listed", () => {
    // Two threats (Apache with its CVEs on 80, ssh on 22) but four findings: the owner saw
    // "4 findings (...)" next to 2 threats listed.
    const r = assessDevice({ ports: [
      { port: 22, service: "ssh" },
      { port: 80, service: "http", product: "Apache", version: "2.4.49" },
    ] });
    expect(r.threats).toHaveLength(2);
    const total = r.counts.critical + r.counts.high + r.counts.medium + r.counts.low;
    expect(total).toBe(4);
    expect(r.threat_summary).toContain(`; ${total} findings on ${r.threats.length} ports (`);
    const one = assessDevice({ ports: [{ port: 80, service: "http", product: "Apache", version: "2.4.49" }] });
    expect(one.threats).toHaveLength(1);
    expect(one.threat_summary).toContain("findings on one port (");
  });
  test("trusted devices keep findings but are not at risk", () => {
    const ports = [{ port: 23, service: "telnet" }];
    const t = assessDevice({ ports, is_trusted: true });
    const u = assessDevice({ ports, is_trusted: false });
    expect(t.threats).toEqual(u.threats);
    expect(t.risk_level).toBe("critical");
    expect(t.risk_score).toBe(u.risk_score);
    expect(t.counts_as_at_risk).toBe(false);
    expect(u.counts_as_at_risk).toBe(true);
    expect(t.threat_summary).toContain("trusted device, not counted as at risk");
  });
});

describe("services the detector names that the risk table must know", () => {
  test("modbus is critical; finger, socks, rsync and AJP are high", () => {
    const level = (service: string, port: number) => assessDevice({ ports: [{ port, service }] }).risk_level;
    expect(level("modbus", 502)).toBe("critical");
    for (const [s, p] of [["finger", 79], ["socks5", 1080], ["rsync", 873], ["ajp13", 8009]] as const) expect(level(s, p)).toBe("high");
  });
});
