import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { encodeMdnsQuery, encodeNbstatQuery, parseDnsPtrAnswer, parseNbstatResponse } from "../../src/identify/hostnames.ts";
import { requireRoot } from "../helpers/require.ts";
import { createTopology, type Topology } from "../helpers/topology.ts";

describe("codecs", () => {
  test("mDNS query: reverse name, PTR, QU bit", () => {
    const q = encodeMdnsQuery("192.168.1.20");
    expect(q.subarray(12, -4).toString("latin1")).toBe("\x0220\x011\x03168\x03192\x07in-addr\x04arpa\x00");
    expect(q.readUInt16BE(q.length - 4)).toBe(12);
    expect(q.readUInt16BE(q.length - 2)).toBe(0x8001);
  });
  test("NBSTAT query encodes '*'", () => {
    const q = encodeNbstatQuery(0x1234);
    expect(q.readUInt16BE(0)).toBe(0x1234);
    expect(q.subarray(13, 45).toString("latin1")).toBe("CK" + "A".repeat(30));
    expect(q.readUInt16BE(46)).toBe(0x21);
  });
  test("malformed replies are rejected, never thrown on", () => {
    const qn = "1.0.0.10.in-addr.arpa";
    const header = (flags: number, qd: number, an: number) => {
      const h = Buffer.alloc(12);
      h.writeUInt16BE(flags, 2);
      h.writeUInt16BE(qd, 4);
      h.writeUInt16BE(an, 6);
      return h;
    };
    // A compression pointer to itself: must stop, not loop.
    const loop = Buffer.concat([header(0x8400, 0, 1), Buffer.from([0xc0, 0x0c]), Buffer.from("000c0001000000780002c00c", "hex")]);
    expect(parseDnsPtrAnswer(loop, qn)).toBeNull();
    // Truncated everywhere.
    const good = Buffer.concat([header(0x8400, 0, 1), Buffer.from("\x011\x010\x010\x0210\x07in-addr\x04arpa\x00", "latin1"),
      Buffer.from("000c000100000078000a", "hex"), Buffer.from("\x04host\x03lan\x00", "latin1")]);
    expect(parseDnsPtrAnswer(good, qn)).toBe("host.lan");
    for (let n = 0; n < good.length; n++) expect(parseDnsPtrAnswer(good.subarray(0, n), qn)).toBeNull();
    expect(parseDnsPtrAnswer(Buffer.from([0x00, 0x00, 0x04]), qn)).toBeNull();
    // Queries (QR=0) and errors are not answers.
    expect(parseDnsPtrAnswer(Buffer.concat([header(0x0000, 0, 1), good.subarray(12)]), qn)).toBeNull();
    expect(parseDnsPtrAnswer(Buffer.concat([header(0x8403, 0, 1), good.subarray(12)]), qn)).toBeNull();
    // NBSTAT: claims 200 names in a short packet.
    const nb = Buffer.concat([header(0x8400, 0, 1), Buffer.from([32]), Buffer.from("CK" + "A".repeat(30)), Buffer.from([0]),
      Buffer.from("00210001000000000013c8", "hex"), Buffer.alloc(18, 0x41)]);
    expect(parseNbstatResponse(nb)).toBeNull();
    for (let n = 0; n < nb.length; n++) expect(parseNbstatResponse(nb.subarray(0, n))).toBeNull();
  });
});

describe("name resolution against responders in a namespace", () => {
  const root = requireRoot("runs DNS, mDNS and NetBIOS responders in a namespace behind a veth pair");
  let topo: Topology | undefined;
  beforeAll(async () => {
    if (!root) return;
    topo = await createTopology("hn", { extra_addrs: ["10.241.0.4", "10.241.0.5", "10.241.0.6", "10.241.0.7"], resolver: "10.241.0.2" });
    await topo.startFixture(new URL("./fixtures/name-responders.ts", import.meta.url).pathname, {});
  }, 30_000);
  afterAll(() => topo?.destroy());

  test.skipIf(!root)("each source names its host; the combined lookup says which answered", async () => {
    const r = await topo!.runClient(new URL("./fixtures/run-names.ts", import.meta.url).pathname,
      { ips: ["10.241.0.2", "10.241.0.3", "10.241.0.4", "10.241.0.5", "10.241.0.6", "10.241.0.7"] });

    expect(r["10.241.0.2"].combined).toEqual({ hostname: "host-a.home.lan", source: "dns", fqdn: "host-a.home.lan" });
    expect(r["10.241.0.2"].dns).toBe("host-a.home.lan");
    expect(r["10.241.0.2"].mdns).toBeNull();

    expect(r["10.241.0.3"].combined).toEqual({ hostname: "Annas-iPhone", source: "mdns", fqdn: "Annas-iPhone.local" });
    expect(r["10.241.0.3"].dns).toBeNull(); // NXDOMAIN

    expect(r["10.241.0.4"].combined).toMatchObject({ hostname: "DESKTOP-4F1A2B", source: "netbios", fqdn: "DESKTOP-4F1A2B" });
    expect(r["10.241.0.4"].netbios).toEqual({
      name: "DESKTOP-4F1A2B", group: "WORKGROUP", mac: "00:11:22:33:44:55",
      names: [{ name: "DESKTOP-4F1A2B", suffix: 0, group: false }, { name: "WORKGROUP", suffix: 0, group: true }, { name: "DESKTOP-4F1A2B", suffix: 32, group: false }],
    });

    // .7's responder hears only the multicast group.
    expect(r["10.241.0.7"].combined).toEqual({ hostname: "living-room-tv", source: "mdns", fqdn: "living-room-tv.local" });

    // Nobody answers for .5, and .6 answers too late: both give up within the timeouts.
    for (const ip of ["10.241.0.5", "10.241.0.6"]) {
      expect(r[ip].combined).toEqual({ hostname: null, source: null, fqdn: null });
      expect(r[ip].ms).toBeLessThan(1500 + 300); // the longest (DNS) timeout, not the sum of all three
    }
    // The first answer wins without waiting for the slower sources' timeouts.
    expect(r["10.241.0.3"].ms).toBeLessThan(500);
    expect(r["10.241.0.4"].ms).toBeLessThan(500);
  }, 30_000);
});
