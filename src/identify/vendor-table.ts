// The packed form of vendors.tsv that the appliance carries and holds (vendors.bin): the same
// "PREFIX<TAB>Name\n" lines, in the same order, cut into blocks of BLOCK_LINES lines, each block
// deflated on its own, with the first prefix of every block in front. A lookup binary-searches the
// block's first prefixes, inflates that one block (~4 KB, ~20 µs) and binary-searches its lines.
//
// Why: the plain table was 1.8 MB read out of the binary (its pages stay resident) and 1.8 MB more as
// the copy in memory, plus its line offsets: ~3.8 MiB of RSS. Packed it is ~0.8 MB, read the same way
// (~1.6 MiB). vendors.tsv stays the reviewed source (scripts/vendor-import.ts writes both;
// test/identify/vendor.test.ts checks that they agree).
//
// Layout (little-endian):  "AVT1" | u32 blocks | u32 offsets[blocks + 1] (into the data) |
//                          first prefix of each block, KEY_BYTES ASCII, NUL-padded | deflated data
const MAGIC = "AVT1";
const BLOCK_LINES = 128;
const KEY_BYTES = 12;
const TAB = 0x09;
const NEWLINE = 0x0a;

/** Packs the text of vendors.tsv (sorted lines, each ending in a newline). */
export function packVendorTable(tsv: Uint8Array): Uint8Array {
  const starts: number[] = [];
  for (let at = 0; at < tsv.length; at = tsv.indexOf(NEWLINE, at) + 1) {
    starts.push(at);
    if (tsv.indexOf(NEWLINE, at) < 0) throw new Error("vendor table: the last line has no newline");
  }
  const blocks: Uint8Array[] = [];
  const keys: string[] = [];
  for (let i = 0; i < starts.length; i += BLOCK_LINES) {
    const end = i + BLOCK_LINES < starts.length ? starts[i + BLOCK_LINES] : tsv.length;
    const text = tsv.subarray(starts[i], end);
    const key = new TextDecoder().decode(text.subarray(0, text.indexOf(TAB)));
    if (key.length === 0 || key.length > KEY_BYTES) throw new Error(`vendor table: bad prefix at line ${i + 1}`);
    keys.push(key);
    blocks.push(Bun.deflateSync(text, { level: 9 }));
  }
  const header = 4 + 4 + 4 * (blocks.length + 1) + KEY_BYTES * blocks.length;
  const out = new Uint8Array(header + blocks.reduce((n, b) => n + b.length, 0));
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MAGIC), 0);
  view.setUint32(4, blocks.length, true);
  let offset = 0;
  blocks.forEach((b, i) => {
    view.setUint32(8 + 4 * i, offset, true);
    out.set(b, header + offset);
    offset += b.length;
  });
  view.setUint32(8 + 4 * blocks.length, offset, true);
  keys.forEach((k, i) => out.set(new TextEncoder().encode(k), 8 + 4 * (blocks.length + 1) + KEY_BYTES * i));
  return out;
}

export type VendorTable = {
  /** The name registered for exactly this prefix ("" when the registry has none), or undefined. */
  get(prefix: string): string | undefined;
  /** All lines, inflated (for the test that compares the packed table with vendors.tsv). */
  text(): string;
};

type Block = { index: number; bytes: Uint8Array; lineStarts: number[] };

/** Reads the header of a packed table; blocks are inflated when a lookup needs them. */
export function openVendorTable(packed: Uint8Array): VendorTable {
  if (new TextDecoder().decode(packed.subarray(0, 4)) !== MAGIC) throw new Error("vendor table: not a packed table");
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  const count = view.getUint32(4, true);
  const keysAt = 8 + 4 * (count + 1);
  const dataAt = keysAt + KEY_BYTES * count;
  const decoder = new TextDecoder();
  const firstKeys: string[] = [];
  for (let i = 0; i < count; i++) {
    const raw = packed.subarray(keysAt + KEY_BYTES * i, keysAt + KEY_BYTES * (i + 1));
    const nul = raw.indexOf(0);
    firstKeys.push(decoder.decode(nul < 0 ? raw : raw.subarray(0, nul)));
  }
  // The block looked at last: the next lookup (the shorter prefixes of the same MAC) mostly needs it again.
  let last: Block | null = null;

  const block = (index: number): Block => {
    if (last?.index === index) return last;
    const from = dataAt + view.getUint32(8 + 4 * index, true);
    const to = dataAt + view.getUint32(8 + 4 * (index + 1), true);
    const bytes = Bun.inflateSync(packed.subarray(from, to));
    const lineStarts: number[] = [];
    for (let at = 0; at < bytes.length; at = bytes.indexOf(NEWLINE, at) + 1) lineStarts.push(at);
    last = { index, bytes, lineStarts };
    return last;
  };

  /** The last block whose first prefix is <= prefix (the only one that can hold it), or -1. */
  const blockOf = (prefix: string): number => {
    let lo = 0;
    let hi = count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (firstKeys[mid] <= prefix) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };

  return {
    get(prefix) {
      const b = blockOf(prefix);
      if (b < 0) return undefined;
      const { bytes, lineStarts } = block(b);
      let lo = 0;
      let hi = lineStarts.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const c = compareKey(prefix, bytes, lineStarts[mid]);
        if (c === 0) {
          const start = lineStarts[mid] + prefix.length + 1;
          return decoder.decode(bytes.subarray(start, bytes.indexOf(NEWLINE, start)));
        }
        if (c < 0) hi = mid - 1;
        else lo = mid + 1;
      }
      return undefined;
    },
    text() {
      let s = "";
      for (let i = 0; i < count; i++) s += decoder.decode(block(i).bytes);
      return s;
    },
  };
}

/** Compares `key` (ASCII hex) with the prefix of the line at `start` (up to its tab). */
function compareKey(key: string, bytes: Uint8Array, start: number): number {
  for (let i = 0; ; i++) {
    const b = bytes[start + i];
    const lineEnded = b === TAB;
    if (i === key.length) return lineEnded ? 0 : -1;
    if (lineEnded) return 1;
    const d = key.charCodeAt(i) - b;
    if (d !== 0) return d;
  }
}
