// The frame decoder on the project's own odd frames (test/net/fixtures/*.pcap, written by
// make-odd-frames.ts and checked against tcpdump's reading when they were made). These need
// nothing beside the repository, so the decoder is tested on every machine.
import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { decodeArp, NativeSweep, SweepFlag } from "../../src/net/native.ts";
import { OWN_FRAMES } from "../helpers/testdata.ts";
import { readPcap } from "../helpers/pcap.ts";

const frame = (name: string) => {
  const frames = readPcap(join(OWN_FRAMES, `${name}.pcap`)).map((r) => r.frame);
  expect(frames).toHaveLength(1);
  return frames[0];
};

describe("ARP decoder on the project's odd frames", () => {
  test("802.1ad + 802.1Q (QinQ): decoded, the inner VLAN reported", () => {
    const d = decodeArp(frame("qinq-reply"));
    expect(d).toMatchObject({ status: "ok", op: 2, senderIp: "10.231.0.10", senderMac: "02:a7:01:00:00:0a", targetIp: "10.231.0.1", vlanId: 200 });
    expect(d.flags).toContain("vlan");
  });

  test("three VLAN tags are refused, not guessed", () => {
    expect(decodeArp(frame("triple-tag")).status).toBe("notArp");
  });

  test("a gratuitous ARP decodes as the request it is (sender = target address)", () => {
    const d = decodeArp(frame("gratuitous"));
    expect(d).toMatchObject({ status: "ok", op: 1, senderIp: "10.231.0.12", targetIp: "10.231.0.12", ethDst: "ff:ff:ff:ff:ff:ff" });
  });

  test("hardware type 6 (IEEE 802) decodes like Ethernet", () => {
    expect(decodeArp(frame("ieee802-hwtype"))).toMatchObject({ status: "ok", op: 2, senderIp: "10.231.0.13", senderMac: "00:1b:21:00:00:0d" });
  });

  test("a multicast sender MAC is flagged", () => {
    const d = decodeArp(frame("multicast-sender"));
    expect(d.status).toBe("ok");
    expect(d.flags).toContain("multicastSender");
  });

  test("802.3 + LLC/SNAP framing, padded: decoded, the length field bounds the payload", () => {
    const d = decodeArp(frame("llc-reply"));
    expect(d).toMatchObject({ status: "ok", senderIp: "10.231.0.18", senderMac: "02:a7:01:00:00:12" });
    expect(d.flags).toEqual(expect.arrayContaining(["llc", "padded"]));
    const lying = frame("llc-reply").slice();
    lying[12] = 0;
    lying[13] = 20; // claims 20 bytes of LLC + ARP: the ARP part is cut short
    expect(decodeArp(lying).status).toBe("tooShort");
  });

  test("an 802.3 length shorter than the LLC header, a frame cut inside the ARP addresses, and a 16-byte protocol address are refused", () => {
    expect(decodeArp(frame("llc-short-length")).status).toBe("malformed");
    expect(decodeArp(frame("cut-in-arp")).status).toBe("tooShort");
    expect(decodeArp(frame("pln-16")).status).toBe("malformed");
    const hln = frame("ieee802-hwtype").slice();
    hln[18] = 8; // hardware address length
    expect(decodeArp(hln).status).toBe("malformed");
  });

  test("every truncation of every odd frame is rejected or decodes identically", () => {
    const files = readdirSync(OWN_FRAMES).filter((f) => f.endsWith(".pcap"));
    expect(files.length).toBe(9);
    for (const f of files) {
      for (const { frame: whole } of readPcap(join(OWN_FRAMES, f))) {
        const full = decodeArp(whole);
        for (let len = 0; len < whole.length; len++) {
          const d = decodeArp(whole.slice(0, len));
          if (d.status === "ok") expect([d.senderIp, d.senderMac, d.op, full.status]).toEqual([full.senderIp, full.senderMac, full.op, "ok"]);
          else expect(["tooShort", "notArp", "malformed"]).toContain(d.status);
        }
      }
    }
  });
});

describe("sweep reply matching on the odd frames (offline engine)", () => {
  const toU32 = (ip: string) => ip.split(".").reduce((a, o) => a * 256 + Number(o), 0);
  function offlineSweep(targets: string[]) {
    const s = NativeSweep.open("", Uint32Array.from(targets.map(toU32)), new Uint8Array(targets.length), {
      ratePps: 1_000_000, retries: 0, timeoutMs: 60_000, floorMs: 60_000, lingerMs: 60_000, srcIp: toU32("10.231.0.1"), flags: SweepFlag.offline, icmpId: 0,
    });
    s.step(5);
    return s;
  }

  test("a QinQ reply from a target answers it (VLAN flag kept); a multicast sender and a gratuitous request do not", () => {
    const s = offlineSweep(["10.231.0.10", "10.231.0.12", "10.231.0.14"]);
    try {
      expect(s.inject("arp", frame("multicast-sender"))).toBe(false);
      expect(s.inject("arp", frame("gratuitous"))).toBe(false);
      expect(s.inject("arp", frame("qinq-reply"))).toBe(true);
      expect(s.results().map((r) => [r.ip, r.mac, r.flags.includes("vlan")])).toEqual([["10.231.0.10", "02:a7:01:00:00:0a", true]]);
    } finally {
      s.close();
    }
  });
});
