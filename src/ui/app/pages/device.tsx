/** @jsxImportSource preact */
// /devices/:id: what Argus knows about one device, when it was online, its ports, threats, addresses
// and changes; the owner's label, zone, trust, notes, type and icon edited in place; Scan now, Approve,
// Wake and Forget; its interfaces, merged and split (interfaces.tsx).
import { useEffect, useState } from "preact/hooks";
import { DEVICE_ICONS, DEVICE_TYPES, NOTIFY_ON_EVENTS, PRESENCE_MODES, type NotifyOnEvent, type PresenceMode } from "../../../inventory/enums.ts";
import { apiRoutes, del, get, list, post, put } from "../api.ts";
import { type Device, evidence, scanDevice, setTrusted } from "../devices.ts";
import { humanize } from "../format.ts";
import { Interfaces } from "../interfaces.tsx";
import { onLive, useLiveReload } from "../live.ts";
import { PresenceTimeline } from "../presence.tsx";
import { lastFinished, watchScans } from "../scan.tsx";
import { toast } from "../toast.ts";
import { type Column, DataTable, displayName, Empty, Loading, Page, RandomMacHint, RiskBadge, SeverityBadge, StatusDot, Time, TypeIcon, useLoad, ChangeType, NotSeenYet } from "../ui.tsx";

type Port = { port: number; protocol: string; service: string | null; product: string | null; version: string | null; tls: boolean; banner: string | null; first_seen: string; last_seen: string };
type Threat = { port: number; level: string; description: string; recommendation: string; cve_ids: string[] };
type Address = { address: string; family: 4 | 6; scope: "global" | "ula" | "link" | "private"; first_seen: string; last_seen: string; source: string };
type Name = { name: string; source: string; last_seen: string };
type Detail = Device & { ports: Port[]; threats: Threat[]; addresses: Address[]; names?: Name[]; mac_source?: string | null; attached_to?: string | null; attached_source?: string | null; attached_at?: string | null; notify_on?: NotifyOnEvent[]; ports_known: boolean; ports_scanned_at: string | null };
type Change = { id: number; change_type: string; severity: string; description: string; detected_at: string; acknowledged: boolean };

const id = Number(location.pathname.split("/")[2]);

/** Where a detail came from, e.g. "from DHCP". */
const PORT_COLUMNS: Column<Port>[] = [
  { header: "Port", class: "mono", cell: (p) => `${p.port}/${p.protocol}` },
  {
    header: "Service",
    cell: (p) => (
      <>
        {p.service ?? <span class="muted">unknown</span>}
        {p.tls && <span class="hint ok">TLS</span>}
      </>
    ),
  },
  { header: "Product", cell: (p) => [p.product, p.version].filter(Boolean).join(" ") || <span class="muted">—</span> },
  { header: "Since", cell: (p) => <Time iso={p.first_seen} /> },
];

const SCOPES: Record<Address["scope"], string> = { global: "global", ula: "unique local", link: "link-local", private: "private" };
/** How an IPv6 address was learnt last. */
const HOW: Record<string, string> = { ndp: " (heard by neighbour discovery)", dhcpv6: " (heard asking DHCPv6)", mdns: " (heard announcing over mDNS)", sweep: " (answered a scan's IPv6 probe)" };
const HISTORY_COLUMNS: Column<Address>[] = [
  { header: "Address", class: "mono", cell: (h) => h.address },
  { header: "Kind", cell: (h) => `IPv${h.family}, ${SCOPES[h.scope]}${HOW[h.source] ?? ""}` },
  { header: "First seen", cell: (h) => <Time iso={h.first_seen} /> },
  { header: "Last seen", cell: (h) => <Time iso={h.last_seen} /> },
];

/** Where a detail came from ("from DHCP"), with what decided it when known; the owner's own: "set by you". */
function Source({ from, why }: { from: string | null | undefined; why?: string | null }) {
  if (from === "owner") return <span class="muted small evidence"> set by you</span>;
  const what = evidence(from);
  if (!what) return null;
  return (
    <span class="muted small evidence">
      {" "}
      from {what}
      {why ? `: ${why}` : ""}
    </span>
  );
}

export function DeviceDetail() {
  const [device, setDevice] = useState<Detail | null | undefined>(undefined);
  const [, reload] = useLoad(() => get<Detail>(`/api/devices/${id}`).then(setDevice, (e) => (setDevice(null), Promise.reject(e))), []);
  const [changes, reloadChanges] = useLoad(() => list<Change>(`/api/changes?device_id=${id}&limit=100`), []);
  // "Scan now" finishes while the page is open: show what it found.
  useEffect(watchScans, []);
  useEffect(() => {
    if (!lastFinished.value) return;
    reload();
    reloadChanges();
  }, [lastFinished.value]);
  // Its record and its changes, live: a sighting, a scan or an edit elsewhere shows here at once.
  useLiveReload((e) => e.type === "device" && e.data.id === id && e.data.device !== null, reload);
  // Forgotten elsewhere: say so, rather than ask for a record that is gone.
  useEffect(() => onLive((e) => e.type === "device" && e.data.id === id && e.data.device === null && setDevice(null)), []);
  useLiveReload((e) => e.type === "changes" && e.data.changes.some((c) => c.device_id === id), reloadChanges);

  if (device === undefined) return <Page title="Device"><Loading /></Page>;
  if (device === null)
    return (
      <Page title="Device not found">
        <Empty title={`There is no device ${id}`}>
          It may have been forgotten. Back to <a href="/devices">all devices</a>.
        </Empty>
      </Page>
    );

  const wake = async () => {
    const sent = await post<{ mac_address: string; interface: string; broadcast: string }>(`/api/devices/${device.id}/wake`);
    toast(`Magic packet sent to ${sent.mac_address} on ${sent.interface} (${sent.broadcast})`);
  };
  const forget = async () => {
    if (!confirm(`Forget ${displayName(device)}? Its record is deleted; its past changes stay in the history. If it answers again it comes back as a new device.`)) return;
    await del(`/api/devices/${device.id}`);
    location.assign("/devices");
  };

  return (
    <Page
      title={displayName(device)}
      actions={
        <>
          <button type="button" onClick={() => void scanDevice(device.ip_address).catch(() => {})}>
            Scan now
          </button>
          {!device.is_trusted && (
            <button type="button" class="secondary" onClick={() => void setTrusted(device, true).then((d) => setDevice({ ...device, ...d }), () => {})}>
              Approve
            </button>
          )}
          <button
            type="button"
            class="secondary"
            disabled={!device.mac_address}
            title={device.mac_address ? "Send a Wake-on-LAN magic packet on its subnet" : "No MAC address is known: Wake-on-LAN needs one"}
            onClick={() => void wake().catch(() => {})}
          >
            Wake
          </button>
          <button type="button" class="danger" onClick={() => void forget().catch(() => {})}>
            Forget
          </button>
        </>
      }
    >
      <p class="subtitle">
        <StatusDot status={device.status} beside /> {device.status} · <TypeIcon type={device.device_type} icon={device.icon} /> {humanize(device.device_type)} · <RiskBadge level={device.risk_level} score={device.risk_score} />
        {device.threat_summary && <span class="muted"> {device.threat_summary}</span>}
      </p>
      <div class="grid2">
        <section class="card" aria-labelledby="details-h">
          <h2 id="details-h">Details</h2>
          <dl class="details">
            <dt>IP address</dt>
            <dd class="mono">{device.ip_address}</dd>
            <dt>MAC address</dt>
            <dd class="mono">
              {device.mac_address ?? <span class="muted">unknown (beyond a router)</span>} {device.mac_randomized && <RandomMacHint />}
              {device.mac_address && device.mac_source && <span class="muted small evidence"> from {evidence(device.mac_source)}</span>}
            </dd>
            {device.segment && (
              <>
                <dt>Segment</dt>
                <dd>{device.segment}</dd>
              </>
            )}
            {device.attached_to && (
              <>
                {/* Where a source (UniFi, the router over SNMP) last said the device is attached. */}
                <dt>Connected to</dt>
                <dd id="device-attached">
                  <span class="wrap-anywhere">{device.attached_to}</span>
                  <span class="muted small evidence">
                    {" "}
                    ({device.attached_source}){device.attached_at && <>, <Time iso={device.attached_at} /></>}
                  </span>
                </dd>
              </>
            )}
            <dt>Vendor</dt>
            <dd>{device.vendor ?? <span class="muted">unknown</span>}</dd>
            <dt>Hostname</dt>
            <dd>
              {device.hostname ?? <span class="muted">none found</span>}
              <Source from={device.hostname ? device.hostname_source : null} />
            </dd>
            {(device.names?.length ?? 0) > 0 && (
              <>
                {/* Every name with where it came from: the hostname above is the one the evidence ranking chose. */}
                <dt>Names</dt>
                <dd>
                  <ul class="plain" id="device-names">
                    {device.names!.map((n) => (
                      <li>
                        <span class="wrap-anywhere">{n.name}</span>
                        <span class="muted small evidence">
                          {" "}
                          from {evidence(n.source)}, <Time iso={n.last_seen} />
                        </span>
                      </li>
                    ))}
                  </ul>
                </dd>
              </>
            )}
            <dt>Type</dt>
            <dd>
              {humanize(device.device_type)}
              <Source from={device.device_type_source} why={device.device_type_evidence} />
            </dd>
            {device.model && (
              <>
                <dt>Model</dt>
                <dd>{device.model}</dd>
              </>
            )}
            <dt>Operating system</dt>
            <dd>
              {device.os_name ?? <span class="muted">unknown</span>}
              <Source from={device.os_name ? device.os_source : null} />
            </dd>
            {(device.mdns_services?.length ?? 0) > 0 && (
              <>
                <dt>mDNS services</dt>
                <dd>
                  {device.mdns_services!.map((s) => (
                    <code class="chip">{s}</code>
                  ))}
                </dd>
              </>
            )}
            <dt>First seen</dt>
            <dd>
              <Time iso={device.first_seen} />
            </dd>
            <dt>Last seen</dt>
            <dd>{device.times_seen === 0 ? <NotSeenYet /> : <Time iso={device.last_seen} />}</dd>
            <dt>Times seen</dt>
            <dd>{device.times_seen.toLocaleString()}</dd>
          </dl>
        </section>
        <EditForm key={device.trust} device={device} onSaved={(d) => setDevice({ ...device, ...d })} />
      </div>
      {device.trust === "pending" && <PendingTrust device={device} onSaved={(d) => setDevice({ ...device, ...d })} />}
      {device.notify_on && <Alerts device={device} onSaved={(d) => setDevice({ ...device, ...d })} />}

      <PresenceTimeline deviceId={device.id} />

      <section class="card" aria-labelledby="ports-h">
        <h2 id="ports-h">Open ports</h2>
        <DataTable
          columns={PORT_COLUMNS}
          rows={device.ports}
          empty={
            device.ports_known ? (
              <Empty title="No open ports found">
                {device.ports_scanned_at ? (
                  <>
                    Last port scan: <Time iso={device.ports_scanned_at} />.
                  </>
                ) : (
                  "A port scan looked at this device and found none open."
                )}
              </Empty>
            ) : (
              <Empty title="No open ports known">A quick scan only finds devices; run a normal scan (Scan now) to look at their ports.</Empty>
            )
          }
        />
      </section>

      <section class="card" aria-labelledby="threats-h">
        <h2 id="threats-h">Threats</h2>
        {device.threats.length === 0 ? (
          <Empty title="No known threats">{device.ports.length ? "None of its open ports is on the risky list." : "Threats come from open ports; none are known yet."}</Empty>
        ) : (
          <ul class="threats">
            {device.threats.map((t) => (
              <li>
                <div>
                  <RiskBadge level={t.level} /> <strong>Port {t.port}</strong>: {t.description}
                </div>
                <div class="muted">Recommendation: {t.recommendation}</div>
                {t.cve_ids.length > 0 && <div class="mono small">{t.cve_ids.join(", ")}</div>}
              </li>
            ))}
          </ul>
        )}
      </section>

      <Interfaces device={device} onChanged={(d) => setDevice({ ...device, ...d })} />

      <div class="grid2">
        <section class="card" aria-labelledby="iph-h">
          <h2 id="iph-h">Addresses</h2>
          <DataTable columns={HISTORY_COLUMNS} rows={device.addresses} empty={<Empty title="No addresses recorded" />} />
        </section>
        <section class="card" aria-labelledby="tl-h">
          <h2 id="tl-h">Changes</h2>
          {!changes ? (
            <Loading />
          ) : changes.items.length === 0 ? (
            <Empty title="No changes for this device" />
          ) : (
            <ul class="timeline">
              {changes.items.map((c) => (
                <li class={c.acknowledged ? "acked" : ""}>
                  <SeverityBadge severity={c.severity} />
                  <span class="tl-text">
                    <ChangeType c={c} />
                    {c.description}
                  </span>
                  <Time iso={c.detected_at} />
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
    </Page>
  );
}

/** A trusted device re-identified under a new MAC by one piece of evidence: the owner decides. */
function PendingTrust({ device, onSaved }: { device: Detail; onSaved: (d: Device) => void }) {
  const [busy, setBusy] = useState(false);
  const decide = async (trusted: boolean) => {
    setBusy(true);
    try {
      onSaved(await put<Device>(`/api/devices/${device.id}`, { is_trusted: trusted }));
      toast(trusted ? "Trust confirmed" : "Trust declined");
    } catch {
      // shown as a toast
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card" role="alert" aria-labelledby="pending-h">
      <h2 id="pending-h">Trust pending</h2>
      <p>
        This trusted device now answers from the MAC {device.mac_address}, and only one piece of evidence (such as its DHCP host name) says that it is the same device. Anyone on
        the network can send that name. Confirm only if you know it is your device; see its changes below.
      </p>
      <div class="row-actions">
        <button type="button" disabled={busy} onClick={() => void decide(true)}>
          Confirm trust
        </button>
        <button type="button" class="secondary" disabled={busy} onClick={() => void decide(false)}>
          Not my device
        </button>
      </div>
    </section>
  );
}

/** The presence modes as the owner chooses them (SPEC §7; the README's Departures table). */
const PRESENCE_LABELS: Record<PresenceMode, string> = {
  normal: "Normal: offline about 2 minutes after it leaves",
  always_on: "Always on: offline within 30 s, as a warning",
  can_sleep: "Can sleep: offline only after about 12 minutes of silence",
};

function EditForm({ device, onSaved }: { device: Detail; onSaved: (d: Device) => void }) {
  const [zones] = useLoad(() => get<string[]>("/api/zones"), []);
  const [busy, setBusy] = useState(false);
  // The owner's type, if they set one (the select then starts on it, else on "Automatic").
  const ownType = device.device_type_source === "owner" ? device.device_type : null;
  const submit = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget as HTMLFormElement);
    setBusy(true);
    try {
      const trusted = f.get("is_trusted") === "on";
      // An untouched box on a pending device leaves the decision open (is_trusted settles it either way).
      const trust = device.trust === "pending" && !trusted ? {} : { is_trusted: trusted };
      // "" is the select's "Automatic": null hands type and icon back to Argus's guess.
      const choice = (name: string) => String(f.get(name) ?? "") || null;
      const d = await put<Device>(`/api/devices/${device.id}`, {
        label: String(f.get("label")).trim(),
        zone: String(f.get("zone")).trim(),
        ...trust,
        notes: String(f.get("notes")),
        device_type: choice("device_type"),
        icon: choice("icon"),
        presence_mode: String(f.get("presence_mode")) as PresenceMode,
      });
      onSaved(d);
      toast("Saved");
    } catch {
      // shown as a toast
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card" aria-labelledby="edit-h">
      <h2 id="edit-h">Your notes</h2>
      <form id="device-form" onSubmit={submit}>
        <label for="d-label">Label</label>
        <input id="d-label" name="label" type="text" maxLength={64} defaultValue={device.label ?? ""} placeholder="e.g. Living-room TV" />
        <label for="d-zone">Zone</label>
        <input id="d-zone" name="zone" type="text" maxLength={64} list="zone-list" defaultValue={device.zone ?? ""} placeholder="e.g. IoT" />
        <datalist id="zone-list">{(zones ?? []).map((z) => <option value={z} />)}</datalist>
        <label class="check">
          <input id="d-trusted" name="is_trusted" type="checkbox" defaultChecked={device.is_trusted} /> Trusted (known and accepted; not counted as at risk)
        </label>
        <label for="d-type">Type</label>
        <select id="d-type" name="device_type">
          <option value="">Automatic{ownType ? "" : ` (${humanize(device.device_type)})`}</option>
          {DEVICE_TYPES.map((t) => (
            <option value={t} selected={ownType === t}>
              {humanize(t)}
            </option>
          ))}
        </select>
        <label for="d-icon">Icon</label>
        <select id="d-icon" name="icon">
          <option value="">The type's own</option>
          {DEVICE_ICONS.map((t) => (
            <option value={t} selected={device.icon === t}>
              {humanize(t)}
            </option>
          ))}
        </select>
        <label for="d-presence">Presence mode</label>
        <select id="d-presence" name="presence_mode" defaultValue={device.presence_mode ?? "normal"}>
          {PRESENCE_MODES.map((m) => (
            <option value={m}>{PRESENCE_LABELS[m]}</option>
          ))}
        </select>
        <label for="d-notes">Notes</label>
        <textarea id="d-notes" name="notes" rows={3} maxLength={2000} defaultValue={device.notes ?? ""} />
        <button type="submit" disabled={busy}>
          Save
        </button>
      </form>
    </section>
  );
}

const ALERT_LABELS: Record<NotifyOnEvent, string> = { left: "When it leaves (goes offline)", returned: "When it comes back", port_opened: "When a new port opens" };

/**
 * The device's own alerts (notify_on: sent to every channel, whatever the rules' severities) and its
 * mute. Muting edits notifications.muted_devices of the configuration, where the owner also sees and
 * edits the whole list (Settings), by the device's MAC (its address when no MAC is known).
 */
function Alerts({ device, onSaved }: { device: Detail; onSaved: (d: Device) => void }) {
  const [config, reloadConfig] = useLoad(async () => ((await apiRoutes()).has("PUT /api/config") ? get<Record<string, any>>("/api/config") : null), []);
  const [busy, setBusy] = useState(false);
  // Ticked at once; the saved record (or a refusal, which puts it back) follows.
  const [chosen, setChosen] = useState<NotifyOnEvent[]>(device.notify_on ?? []);
  useEffect(() => setChosen(device.notify_on ?? []), [(device.notify_on ?? []).join()]);
  const muted: string[] = config?.notifications?.muted_devices ?? [];
  const isMuted = muted.some((m) => m === device.mac_address || m === device.ip_address);
  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    try {
      await work();
    } catch {
      // shown as a toast
    } finally {
      setBusy(false);
    }
  };
  const setAlert = (event: NotifyOnEvent, on: boolean) =>
    run(async () => {
      const before = chosen;
      const next = on ? [...chosen, event] : chosen.filter((e) => e !== event);
      setChosen(next);
      try {
        onSaved(await put<Device>(`/api/devices/${device.id}`, { notify_on: next }));
      } catch (e) {
        setChosen(before);
        throw e;
      }
      toast("Alerts saved");
    });
  const toggleMute = () =>
    run(async () => {
      const own = device.mac_address ?? device.ip_address;
      const next = isMuted ? muted.filter((m) => m !== device.mac_address && m !== device.ip_address) : [...muted, own];
      // The section goes back as GET showed it: stored secrets are kept (their *_set markers).
      await put("/api/config", { notifications: { ...config!.notifications, muted_devices: next } });
      toast(isMuted ? "Unmuted" : "Muted");
      reloadConfig();
    });
  return (
    <section class="card alerts" aria-labelledby="alerts-h">
      <h2 id="alerts-h">Alerts</h2>
      <p class="muted small">Sent to every notification channel, whatever the rules say about severities.</p>
      {NOTIFY_ON_EVENTS.map((e) => (
        <label class="check">
          <input type="checkbox" name={`notify_${e}`} checked={chosen.includes(e)} onChange={(ev) => void setAlert(e, ev.currentTarget.checked)} /> {ALERT_LABELS[e]}
        </label>
      ))}
      {config && (
        <p class="inline wrap">
          <button id="mute-toggle" type="button" class="secondary small" aria-pressed={isMuted} disabled={busy} onClick={() => void toggleMute()}>
            {isMuted ? "Unmute" : "Mute"}
          </button>
          <span class="muted small">{isMuted ? "Muted: nothing about this device is sent, its alerts included." : "Mute to send nothing about this device."}</span>
        </p>
      )}
    </section>
  );
}
