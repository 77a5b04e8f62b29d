// Device exports (SPEC §5 "Export"): CSV per RFC 4180 (CRLF records, quoted where needed) with cells
// that a spreadsheet would run as a formula (= + - @, tab, CR first) escaped by a leading
// apostrophe, and JSON. Both are streamed page by page, so a large inventory never sits in memory.
import { stringify } from "csv-stringify/sync";
import type { Device, DeviceFilter, DeviceInventory } from "../inventory/devices.ts";

const PAGE = 500;

export const CSV_COLUMNS = [
  "id",
  "ip_address",
  "mac_address",
  "mac_randomized",
  "hostname",
  "vendor",
  "device_type",
  "os_name",
  "status",
  "first_seen",
  "last_seen",
  "times_seen",
  "label",
  "zone",
  "is_trusted",
  "notes",
  "risk_level",
  "risk_score",
  "threat_summary",
  "open_ports",
  "addresses",
] as const satisfies readonly (keyof Device)[];

export type ExportFilter = Omit<DeviceFilter, "limit" | "offset">;

function csvCells(d: Device): (string | number)[] {
  return CSV_COLUMNS.map((c) => {
    const v = d[c];
    if (v === null) return "";
    if (typeof v === "boolean") return v ? "true" : "false";
    // One cell of space-separated addresses (IPv4 and IPv6, newest first); the JSON export has their details.
    if (c === "addresses") return d.addresses.map((a) => a.address).join(" ");
    if (Array.isArray(v)) return v.join(" ");
    return v;
  });
}

/** Yields the matching devices page by page, in the listing's order. */
function* pages(inventory: DeviceInventory, filter: ExportFilter): Generator<Device[]> {
  for (let offset = 0; ; offset += PAGE) {
    const { items } = inventory.list({ ...filter, limit: PAGE, offset });
    if (items.length > 0) yield items;
    if (items.length < PAGE) return;
  }
}

function streamOf(chunks: Generator<string>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    pull(controller) {
      const next = chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    cancel() {
      chunks.return(undefined);
    },
  });
}

export function devicesCsv(inventory: DeviceInventory, filter: ExportFilter): ReadableStream<Uint8Array> {
  const options = { record_delimiter: "windows", escape_formulas: true, quoted_match: /^\s|\s$/ } as const;
  return streamOf(
    (function* () {
      yield stringify([[...CSV_COLUMNS]], options);
      for (const page of pages(inventory, filter)) yield stringify(page.map(csvCells), options);
    })(),
  );
}

export function devicesJson(inventory: DeviceInventory, filter: ExportFilter): ReadableStream<Uint8Array> {
  return streamOf(
    (function* () {
      let first = true;
      yield "[";
      for (const page of pages(inventory, filter)) {
        for (const d of page) {
          yield (first ? "" : ",") + JSON.stringify(d);
          first = false;
        }
      }
      yield "]";
    })(),
  );
}

/** `argus-devices-20250115-103000.csv` (UTC). */
export function exportFilename(ext: string, now = new Date()): string {
  return `argus-devices-${stamp(now)}.${ext}`;
}

export function stamp(now = new Date()): string {
  return now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}
