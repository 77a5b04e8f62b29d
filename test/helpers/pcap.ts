// The test kit's one reader and writer of classic libpcap files (the arp-scan test vectors, the
// project's own odd frames, the real DHCP/mDNS captures in test/net/fixtures): a 24-byte global
// header, then 16-byte record headers each followed by the captured bytes. Either byte order,
// micro- or nanosecond timestamps; Ethernet link type only. Written from the libpcap file format,
// independently of the appliance (which never reads pcap files).
import { readFileSync } from "node:fs";

export interface PcapRecord {
  tsSec: number;
  tsFrac: number;
  frame: Uint8Array;
}

const LINKTYPE_ETHERNET = 1;

export function readPcap(path: string): PcapRecord[] {
  const buf = new Uint8Array(readFileSync(path));
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < 24) throw new Error(`${path}: too short for a pcap header`);
  const magic = (le: boolean) => dv.getUint32(0, le);
  const le = magic(true) === 0xa1b2c3d4 || magic(true) === 0xa1b23c4d;
  if (!le && magic(false) !== 0xa1b2c3d4 && magic(false) !== 0xa1b23c4d) throw new Error(`${path}: not a classic pcap file`);
  const linkType = dv.getUint32(20, le);
  if (linkType !== LINKTYPE_ETHERNET) throw new Error(`${path}: link type ${linkType}, expected Ethernet`);
  const records: PcapRecord[] = [];
  let off = 24;
  while (off + 16 <= buf.length) {
    const incl = dv.getUint32(off + 8, le);
    const start = off + 16;
    if (start + incl > buf.length) throw new Error(`${path}: record at ${off} runs past the end`);
    records.push({ tsSec: dv.getUint32(off, le), tsFrac: dv.getUint32(off + 4, le), frame: buf.slice(start, start + incl) });
    off = start + incl;
  }
  return records;
}

/** The frames of a capture, in order. */
export const readFrames = (path: string): Uint8Array[] => readPcap(path).map((r) => r.frame);

/**
 * A little-endian, microsecond pcap file of Ethernet frames. Records keep the timestamps given,
 * or get fixed ones a second apart so that the files are reproducible.
 */
export function writePcap(records: (Uint8Array | PcapRecord)[]): Uint8Array {
  const head = new DataView(new ArrayBuffer(24));
  head.setUint32(0, 0xa1b2c3d4, true);
  head.setUint16(4, 2, true);
  head.setUint16(6, 4, true);
  head.setUint32(16, 65535, true);
  head.setUint32(20, LINKTYPE_ETHERNET, true);
  const parts: Uint8Array[] = [new Uint8Array(head.buffer)];
  records.forEach((r, i) => {
    const rec = r instanceof Uint8Array ? { tsSec: 1767225600 + i, tsFrac: 0, frame: r } : r;
    const h = new DataView(new ArrayBuffer(16));
    h.setUint32(0, rec.tsSec, true);
    h.setUint32(4, rec.tsFrac, true);
    h.setUint32(8, rec.frame.length, true);
    h.setUint32(12, rec.frame.length, true);
    parts.push(new Uint8Array(h.buffer), rec.frame);
  });
  return Buffer.concat(parts);
}
