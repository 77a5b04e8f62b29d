// Memory safety of frame parsing (ARP/ICMP for sweeps, ARP/DHCP/mDNS for the passive listener), checked by the compiler's sanitizers: the
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
import { echo6ReplyFrame, ndpFrame } from "../helpers/frames.ts";

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
    const input = frames.map((f) => Buffer.from(f).toString("hex")).join("\n") + "\n";
    const run = spawnSync(exe, [], { input, encoding: "utf8", env: { ...process.env, ASAN_OPTIONS: "detect_leaks=1:abort_on_error=0", UBSAN_OPTIONS: "print_stacktrace=1" } });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const [word, decoded, rejected, answered, sighted, queued, servers, spoofHints, nd6Answers] = run.stdout.trim().split(" ");
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
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
