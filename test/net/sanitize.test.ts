// Memory safety of frame parsing (ARP/ICMP for sweeps, ARP/DHCP/mDNS/NDP/DHCPv6 for the passive listener), checked by the compiler's sanitizers: the
// decoders and the sweep's receive path are built with AddressSanitizer and
// UBSan and fed every captured frame, each of its truncations and random
// mutations, each in a heap buffer of exactly its length (test/net/fuzz-decode.c): the shared ARP
// captures, the project's odd frames, real DHCP/mDNS captures (test/net/fixtures/captured/) and the
// passive corpus.
import { expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ARP_TESTDATA, haveSharedCaptures, OWN_FRAMES } from "../helpers/testdata.ts";
import { readPcap } from "../helpers/pcap.ts";
import { passiveCorpus } from "../passive/corpus.ts";
import { dhcp6Frame, duidLl, echo6ReplyFrame, mdns6Response, ndpFrame, rr, udp6Frame, withVlanTag } from "../helpers/frames.ts";

function ip6SweepAnswers(): Uint8Array[] {
  const us = "02:00:00:00:00:01";
  const h = "02:11:22:33:44:55";
  return [
    echo6ReplyFrame({ srcMac: h, dstMac: us, srcIp: "fe80::5", dstIp: "fe80::1", id: 0x4142 }),
    echo6ReplyFrame({ srcMac: h, dstMac: us, srcIp: "fd00:51::5", dstIp: "fd00:51::1", id: 0x4142 }),
    echo6ReplyFrame({ srcMac: h, dstMac: us, srcIp: "fe80::5", dstIp: "fe80::1", id: 0x4142, magic: [1, 2, 3, 4] }),
    ndpFrame({ type: 136, srcMac: h, dstMac: us, srcIp: "fe80::5", dstIp: "fe80::1", target: "fd00:51::5", lla: h, naFlags: 0x60 }),
    ndpFrame({ type: 136, srcMac: h, dstMac: us, srcIp: "fe80::5", dstIp: "fe80::1", target: "fd00:51::5", lla: "02:66:66:66:66:66", naFlags: 0x60 }),
    ndpFrame({ type: 136, srcMac: h, dstMac: us, srcIp: "fe80::5", dstIp: "fe80::1", target: "fd00:51::5", naFlags: 0x40 }),
  ];
}

/** Neighbour discovery behind IPv6 extension headers (native/sighting.c ip6_skip_ext): valid chains, a Fragment, lying lengths. */
function ndpExtFrames(): Uint8Array[] {
  const ra = { type: 134, srcMac: "06:66:00:00:00:01", srcIp: "fe80::66", lla: "06:66:00:00:00:01" } as const;
  const chain = (...types: number[]) => types.map((type) => ({ type }));
  const lying = Uint8Array.from(ndpFrame({ ...ra, extHeaders: chain(60, 60) }));
  lying[14 + 40 + 8 + 1] = 0xff; // the second header claims 2 KiB
  return [
    ndpFrame({ ...ra, extHeaders: chain(60) }),
    ndpFrame({ ...ra, extHeaders: chain(0, 43, 60) }),
    ndpFrame({ ...ra, extHeaders: [{ type: 43, len: 3 }, { type: 60, len: 1 }] }),
    ndpFrame({ ...ra, extHeaders: chain(...new Array(12).fill(60)) }),
    ndpFrame({ ...ra, extHeaders: chain(60, 44) }),
    ndpFrame({ type: 136, srcMac: "02:11:22:33:44:55", srcIp: "fe80::5", target: "fd00:51::5", lla: "02:66:66:66:66:66", naFlags: 0x60, extHeaders: chain(60) }),
    lying,
  ];
}

/** DHCPv6 client messages and mDNS over IPv6 (native/sighting.c decode_udp6): valid, hostile and odd. */
function ip6PassiveFrames(): Uint8Array[] {
  const h = "02:11:22:33:44:55";
  const ll = "fe80::11:22ff:fe33:4455";
  const nasty = [...new TextEncoder().encode("a\u202eb\u0000c\u200bd")];
  const dhcp = (o: Partial<Parameters<typeof dhcp6Frame>[0]>) => dhcp6Frame({ srcMac: h, srcIp: ll, ...o });
  const mdns = (payload: number[]) => udp6Frame({ srcMac: h, dstMac: "33:33:00:00:00:fb", srcIp: ll, dstIp: "ff02::fb", sport: 5353, dport: 5353, payload });
  return [
    dhcp({ fqdn: "kitchen-pad.home.arpa" }),
    dhcp({ type: 11, duid: duidLl("02:66:66:66:66:66"), fqdn: "spoof" }),
    dhcp({ type: 3, extra: [0, 39, 0, 3 + nasty.length, 0, nasty.length, ...nasty, 0] }),
    dhcp({ extra: [0, 39, 0, 5, 0, 63, 0x61, 0x62, 0x63] }), // a label longer than its option
    dhcp({ extra: [0, 39, 0xff, 0xff, 0] }), // an option past the end
    dhcp({ duid: [0, 4, ...new Array(140).fill(9)] }),
    dhcp({ duid: null }),
    withVlanTag(dhcp({ fqdn: "tagged" }), 7),
    udp6Frame({ srcMac: h, dstMac: "33:33:00:01:00:02", srcIp: ll, dstIp: "ff02::1:2", sport: 546, dport: 547, payload: [1, 0, 0, 0], udpLength: 0xffff }),
    mdns6Response(h, ll, [rr.aaaa("printer-6.local", ll), rr.ptr("_ipp._tcp.local", "P._ipp._tcp.local"), rr.srv("P._ipp._tcp.local", 631, "printer-6.local"), rr.txt("printer-6._device-info._tcp.local", ["model=X"])]),
    mdns6Response(h, "fd00:51::5", [{ name: [4, 0x62, 0xe2, 0x80, 0xae, 5, 0x6c, 0x6f, 0x63, 0x61, 0x6c, 0], type: 28, rdata: new Array(16).fill(1) }]),
    mdns([0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0xc0, 12, 0, 28, 0, 1, 0, 0, 0, 1, 0, 16, ...new Array(16).fill(2)]), // a pointer to itself
    mdns([0, 0, 0x84, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 1, 0x61, 0, 0, 28, 0, 1, 0, 0, 0, 1, 0xff, 0xff]), // rdlength past the end
  ];
}

const NATIVE = resolve(import.meta.dir, "../../native");

test("decoders are clean under AddressSanitizer and UBSan", () => {
  const cc = process.env.CC ?? "cc";
  const dir = mkdtempSync(join(tmpdir(), "argus-asan-"));
  try {
    const exe = join(dir, "fuzz-decode");
    const sources = readdirSync(NATIVE).filter((f) => f.endsWith(".c")).map((f) => join(NATIVE, f));
    const build = spawnSync(cc, ["-O1", "-g", "-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wextra", "-Werror", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-o", exe, join(import.meta.dir, "fuzz-decode.c"), ...sources], { encoding: "utf8" });
    expect(build.stderr).toBe("");
    expect(build.status).toBe(0);

    // The shared captures where present, and always the project's own odd frames.
    const frames: Uint8Array[] = [];
    for (const f of haveSharedCaptures() ? readdirSync(ARP_TESTDATA).sort() : []) {
      if (f.endsWith(".pcap")) frames.push(...readPcap(join(ARP_TESTDATA, f)).map((r) => r.frame));
      if (f.endsWith(".dat")) frames.push(new Uint8Array(readFileSync(join(ARP_TESTDATA, f))));
    }
    for (const f of readdirSync(OWN_FRAMES).sort()) if (f.endsWith(".pcap")) frames.push(...readPcap(join(OWN_FRAMES, f)).map((r) => r.frame));
    // Real DHCP and mDNS frames of Android, iOS, Windows and macOS devices, and two of them behind a VLAN tag.
    const CAPTURED = join(OWN_FRAMES, "captured");
    for (const f of readdirSync(CAPTURED).sort()) if (f.endsWith(".pcap")) frames.push(...readPcap(join(CAPTURED, f)).map((r) => r.frame));
    // The passive decoders' corpus: DHCP and mDNS, well-formed and hostile (truncated options,
    // lengths past the end, compression loops).
    const passive = passiveCorpus().map((c) => c.frame);
    frames.push(...passive);
    // Answers to the IPv6 sweep (native/probe6.c): echo replies carrying the harness's identifier
    // 0x4142, neighbour advertisements, and their hostile shapes.
    frames.push(...ip6SweepAnswers());
    // DHCPv6 and mDNS over IPv6, heard by the passive listener.
    const v6 = ip6PassiveFrames();
    frames.push(...v6);
    // NDP behind extension headers.
    frames.push(...ndpExtFrames());
    const input = frames.map((f) => Buffer.from(f).toString("hex")).join("\n") + "\n";
    const run = spawnSync(exe, [], { input, encoding: "utf8", env: { ...process.env, ASAN_OPTIONS: "detect_leaks=1:abort_on_error=0", UBSAN_OPTIONS: "print_stacktrace=1" } });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const [word, decoded, rejected, answered, sighted, queued, servers, spoofHints, nd6Answers, dhcp6, mdns6, ndpExt] = run.stdout.trim().split(" ");
    expect(word).toBe("ok");
    expect(Number(decoded)).toBeGreaterThan(frames.length);
    expect(Number(rejected)).toBeGreaterThan(0);
    // Replies for the targets were matched through the same path as the socket's.
    expect(Number(answered)).toBeGreaterThan(0);
    // DHCP, mDNS and ARP sightings were decoded and went through the listener's queue.
    expect(Number(sighted)).toBeGreaterThan(passive.length);
    expect(Number(queued)).toBeGreaterThan(0);
    // Servers' replies with option 54, and DHCP whose chaddr is not the sender, reached the new fields.
    expect(Number(servers)).toBeGreaterThan(0);
    expect(Number(spoofHints)).toBeGreaterThan(0);
    // IPv6 answers decoded, each for its Ethernet source alone (the harness aborts otherwise).
    expect(Number(nd6Answers)).toBeGreaterThan(0);
    // DHCPv6 and IPv6 mDNS sightings decoded, each for its Ethernet source alone (the harness aborts otherwise).
    expect(Number(dhcp6)).toBeGreaterThan(0);
    expect(Number(mdns6)).toBeGreaterThan(0);
    // NDP behind extension headers decoded, flagged, from a unicast IPv6 source (the harness aborts otherwise).
    expect(Number(ndpExt)).toBeGreaterThan(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
