// A minimal classic-libpcap reader for tests: yields each record's bytes (Ethernet link type only),
// and pulls the ARP sender MAC/IP out of a frame by hand (plain, 802.1Q-tagged and 802.2 LLC/SNAP framing).
// Test-only: the appliance's real frame decoder lives in native/.
import { readFileSync } from "node:fs";

export function readPcap(path: string): Uint8Array[] {
  const buf = readFileSync(path);
  if (buf.length < 24) throw new Error(`${path}: shorter than a pcap global header`);
  const magic = buf.readUInt32LE(0);
  let le: boolean;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) le = true;
  else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) le = false;
  else throw new Error(`${path}: not a classic pcap file`);
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linkType = u32(20);
  if (linkType !== 1) throw new Error(`${path}: link type ${linkType}, expected Ethernet (1)`);
  const frames: Uint8Array[] = [];
  let off = 24;
  while (off + 16 <= buf.length) {
    const inclLen = u32(off + 8);
    off += 16;
    if (off + inclLen > buf.length) break; // truncated last record
    frames.push(new Uint8Array(buf.subarray(off, off + inclLen)));
    off += inclLen;
  }
  return frames;
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(":");

/** ARP sender hardware/protocol address of an Ethernet frame, or null if it is not a well-formed ARP packet. */
export function arpSender(frame: Uint8Array): { mac: string; ip: string } | null {
  if (frame.length < 14) return null;
  let off = 12;
  let type = (frame[off] << 8) | frame[off + 1];
  off += 2;
  if (type === 0x8100) {
    if (frame.length < off + 4) return null;
    type = (frame[off + 2] << 8) | frame[off + 3];
    off += 4;
  }
  if (type <= 1500) {
    // 802.3 length field: expect LLC AA-AA-03 + SNAP OUI 000000 + type
    if (frame.length < off + 8 || frame[off] !== 0xaa || frame[off + 1] !== 0xaa || frame[off + 2] !== 0x03) return null;
    type = (frame[off + 6] << 8) | frame[off + 7];
    off += 8;
  }
  if (type !== 0x0806) return null;
  if (frame.length < off + 28) return null;
  const hlen = frame[off + 4];
  const plen = frame[off + 5];
  if (hlen !== 6 || plen !== 4) return null;
  const mac = hex(frame.subarray(off + 8, off + 14));
  const ip = Array.from(frame.subarray(off + 14, off + 18)).join(".");
  return { mac, ip };
}
