// Minimal reader for classic libpcap files (the arp-scan test vectors): a
// 24-byte global header, then 16-byte record headers each followed by the
// captured bytes. Either byte order, micro- or nanosecond timestamps.
import { readFileSync } from "node:fs";

export interface PcapRecord {
  tsSec: number;
  tsFrac: number;
  frame: Uint8Array;
}

export function readPcap(path: string): PcapRecord[] {
  const buf = new Uint8Array(readFileSync(path));
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < 24) throw new Error(`${path}: too short for a pcap header`);
  const magicLE = dv.getUint32(0, true);
  let le: boolean;
  if (magicLE === 0xa1b2c3d4 || magicLE === 0xa1b23c4d) le = true;
  else if (dv.getUint32(0, false) === 0xa1b2c3d4 || dv.getUint32(0, false) === 0xa1b23c4d) le = false;
  else throw new Error(`${path}: not a pcap file`);
  const linkType = dv.getUint32(20, le);
  if (linkType !== 1) throw new Error(`${path}: link type ${linkType}, expected Ethernet`);
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
