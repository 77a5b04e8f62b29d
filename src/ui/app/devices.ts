// The device record as the API answers it, and the actions the device pages share.
import { deviceDisplayName } from "../../inventory/display-name.ts";
import type { DeviceIcon, DeviceStatus, PresenceMode, TrustLevel } from "../../inventory/enums.ts";
import type { RiskLevel } from "../../risk/levels.ts";
import { post, put } from "./api.ts";
import { toast } from "./toast.ts";

export type Device = {
  id: number;
  ip_address: string;
  mac_address: string | null;
  mac_randomized: boolean;
  hostname: string | null;
  hostname_source?: string | null;
  vendor: string | null;
  device_type: string;
  device_type_source?: string | null;
  /** What decided the automatic type ("RTSP port 554 open"); null when the owner set it. */
  device_type_evidence?: string | null;
  /** The owner's icon; null: the type's own. */
  icon?: DeviceIcon | null;
  os_name: string | null;
  os_source?: string | null;
  model?: string | null;
  mdns_services?: string[];
  status: DeviceStatus;
  /** How its departure is noticed (departure probes). */
  presence_mode?: PresenceMode;
  first_seen: string;
  last_seen: string;
  times_seen: number;
  label: string | null;
  zone: string | null;
  is_trusted: boolean;
  /** "pending": re-identified under a new MAC by one piece of evidence, until the owner confirms. */
  trust?: TrustLevel;
  notes: string | null;
  risk_level: RiskLevel;
  risk_score: number;
  threat_summary: string | null;
  open_ports: number[];
  /** The segment it was last seen on (a hub's inventory); null when standalone. */
  segment?: string | null;
  /** Every MAC it is known by (several interfaces the owner merged); the primary first. */
  macs?: DeviceMac[];
};

export type DeviceMac = { mac: string; randomized: boolean; first_seen: string; last_seen: string };

export async function scanDevice(ip: string): Promise<void> {
  const r = await post<{ scan_id: number }>(`/api/scan/device/${encodeURIComponent(ip)}?profile=normal`);
  toast(`Scan ${r.scan_id} of ${ip} started`);
}

export async function setTrusted(d: Device, trusted: boolean): Promise<Device> {
  const updated = await put<Device>(`/api/devices/${d.id}`, { is_trusted: trusted });
  toast(trusted ? `${deviceDisplayName(d)} is trusted now` : `${deviceDisplayName(d)} is no longer trusted`);
  return updated;
}

/** How a name, type or OS was learned, as an owner reads it ("DHCP", "mDNS model", …). */
const EVIDENCE: Record<string, string> = {
  dhcp: "DHCP",
  mdns: "mDNS",
  dns: "reverse DNS",
  netbios: "NetBIOS",
  "mdns-model": "the model announced over mDNS",
  "mdns-service": "services announced over mDNS",
  "dhcp-fingerprint": "the DHCP fingerprint",
  scan: "a scan",
};
export const evidence = (source: string | null | undefined): string | null => (source ? (EVIDENCE[source] ?? source) : null);
