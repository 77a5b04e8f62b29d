/** @jsxImportSource preact */
// Presence history drawn in plain SVG (no chart library, so the device page stays light): a device's
// online intervals as a strip over 24 h, 7 d or 30 d, and the network's hours as a heat strip
// (devices × hours). Colours are classes (styles.css), so both follow light and dark; geometry is in
// the SVG's own units, stretched to the width, so both fit 360 px. Both reload when a device event
// names what they show (live.ts).
import { useState } from "preact/hooks";
import { list } from "./api.ts";
import type { Device } from "./devices.ts";
import { absolute, duration, sharePercent } from "./format.ts";
import { deviceName, useLiveReload } from "./live.ts";
import { Empty, Loading, useLoad } from "./ui.tsx";

export type Interval = { from: string; to: string | null; source: "scan" | "passive" | "probe" };
type DevicePresence = { device_id: number; buckets: { at: string; online_seconds: number }[] };

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SPANS = { "24 h": DAY, "7 d": 7 * DAY, "30 d": 30 * DAY } as const;
type Span = keyof typeof SPANS;
const SOURCE: Record<Interval["source"], string> = { scan: "a scan", passive: "the passive watch", probe: "a presence probe" };

/** The SVG's width in its own units: bars are placed in thousandths of the span. */
const W = 1000;

function SpanChoice<S extends string>({ spans, value, onChange, label }: { spans: readonly S[]; value: S; onChange: (s: S) => void; label: string }) {
  return (
    <div class="span-choice" role="group" aria-label={label}>
      {spans.map((s) => (
        <button type="button" class="small secondary" aria-pressed={s === value} onClick={() => onChange(s)}>
          {s}
        </button>
      ))}
    </div>
  );
}

/** The online intervals of one device over the chosen span, newest at the right. */
export function PresenceTimeline({ deviceId }: { deviceId: number }) {
  const [span, setSpan] = useState<Span>("24 h");
  const [data, reload] = useLoad(async () => {
    const until = Date.now();
    const since = until - SPANS[span];
    const { items } = await list<Interval>(`/api/devices/${deviceId}/presence?since=${new Date(since).toISOString()}&limit=1000`, { quiet: true });
    return { items, since, until };
  }, [span]);
  // A sighting, a scan or a departure of this device: its record changed, and so may its presence.
  useLiveReload((e) => e.type === "device" && e.data.id === deviceId && e.data.device !== null, reload);

  const head = (
    <div class="section-head">
      <h2 id="presence-h">Presence</h2>
      <SpanChoice spans={Object.keys(SPANS) as Span[]} value={span} onChange={setSpan} label="Time span" />
    </div>
  );
  if (data === undefined) return <section class="card" aria-labelledby="presence-h">{head}<Loading /></section>;
  if (data === null) return <section class="card" aria-labelledby="presence-h">{head}<Empty title="Presence could not be loaded" /></section>;
  const { items, since, until } = data;
  const range = until - since;
  const bars = items.map((s) => {
    const from = Math.max(since, Date.parse(s.from));
    const to = Math.min(until, s.to === null ? until : Date.parse(s.to));
    return { s, from, to };
  });
  const online = bars.reduce((sum, b) => sum + Math.max(0, b.to - b.from), 0);
  const summary = `Online ${sharePercent(online, range)}% of the last ${span} (${items.length} ${items.length === 1 ? "interval" : "intervals"})`;
  return (
    <section class="card presence" aria-labelledby="presence-h">
      {head}
      {items.length === 0 ? (
        <Empty title={`Not seen online in the last ${span}`} />
      ) : (
        <>
          <svg class="presence-strip" viewBox={`0 0 ${W} 20`} preserveAspectRatio="none" role="img" aria-label={summary}>
            <rect class="pr-track" x="0" y="0" width={W} height="20" />
            {bars.map(({ s, from, to }) => {
              const x = ((from - since) / range) * W;
              // A sighting with no length (one scan saw it) still shows as a sliver.
              const width = Math.max(2, ((to - from) / range) * W);
              const text = `Online ${absolute(s.from)} – ${s.to ? absolute(s.to) : "now"}${s.to ? ` (${duration((Date.parse(s.to) - Date.parse(s.from)) / 1000)})` : ""}, seen by ${SOURCE[s.source]}`;
              return (
                <rect class={`pr-on${s.to === null ? " pr-open" : ""}`} x={Math.min(x, W - width)} y="0" width={width} height="20">
                  <title>{text}</title>
                </rect>
              );
            })}
          </svg>
          <div class="strip-axis muted small">
            {/* Said as the dashboard's strip says it ("24 h ago"); the exact time is the hover text. */}
            <span title={absolute(new Date(since).toISOString())}>{span} ago</span>
            <span>now</span>
          </div>
          <p class="muted small">{summary}</p>
        </>
      )}
    </section>
  );
}

const HEAT_SPANS = { "24 h": DAY, "7 d": 7 * DAY } as const;
type HeatSpan = keyof typeof HEAT_SPANS;
// GET /api/presence answers at most 50000 buckets (devices × hours): 7 days of hours (169–170) allow 250 devices.
const HEAT_LIMITS: Record<HeatSpan, number> = { "24 h": 1000, "7 d": 250 };

/** Every device seen in the last 24 h or 7 d, one row each, one cell per hour shaded by its online share. */
export function PresenceHeatStrip() {
  const [span, setSpan] = useState<HeatSpan>("24 h");
  const [data, reload] = useLoad(async () => {
    const since = new Date(Date.now() - HEAT_SPANS[span]).toISOString();
    const [presence, devices] = await Promise.all([
      list<DevicePresence>(`/api/presence?bucket=hour&since=${since}&limit=${HEAT_LIMITS[span]}`, { quiet: true }),
      list<Device>("/api/devices?limit=1000", { quiet: true }),
    ]);
    const byId = new Map(presence.items.map((p) => [p.device_id, p]));
    // In the inventory's order (by IP); a device the list does not hold (just forgotten) is left out.
    const rows = devices.items.filter((d) => byId.has(d.id)).map((d) => ({ device: d, buckets: byId.get(d.id)!.buckets }));
    return { rows, more: presence.total > presence.items.length };
  }, [span]);
  useLiveReload((e) => e.type === "device", reload, 2000);

  const head = (
    <div class="section-head">
      <h2 id="heat-h">Who was online</h2>
      <SpanChoice spans={Object.keys(HEAT_SPANS) as HeatSpan[]} value={span} onChange={setSpan} label="Time span" />
    </div>
  );
  if (data === undefined) return <section class="card" aria-labelledby="heat-h">{head}<Loading /></section>;
  if (data === null) return <section class="card" aria-labelledby="heat-h">{head}<Empty title="Presence could not be loaded" /></section>;
  const { rows } = data;
  const hours = rows[0]?.buckets.length ?? 0;
  return (
    <section class="card heat" aria-labelledby="heat-h">
      {head}
      {rows.length === 0 ? (
        <Empty title={`No device was online in the last ${span}`}>Presence is recorded when a scan or the passive watch sees a device.</Empty>
      ) : (
        <>
          <ul class="heat-rows">
            {rows.map(({ device, buckets }) => {
              const name = deviceName(device);
              const total = buckets.reduce((s, b) => s + b.online_seconds, 0);
              const label = `${name}: online ${duration(total)} in the last ${span}`;
              return (
                <li>
                  <a class="heat-name" href={`/devices/${device.id}`} title={name}>
                    {name}
                  </a>
                  <svg class="heat-row" viewBox={`0 0 ${hours} 1`} preserveAspectRatio="none" role="img" aria-label={label}>
                    <rect class="pr-track" x="0" y="0" width={hours} height="1" />
                    {buckets.map((b, k) =>
                      b.online_seconds > 0 ? (
                        <rect class="pr-on" x={k} y="0" width="1.02" height="1" fill-opacity={0.25 + 0.75 * Math.min(1, b.online_seconds / 3600)}>
                          <title>{`${name}, ${absolute(b.at)}: online ${duration(b.online_seconds)}`}</title>
                        </rect>
                      ) : null,
                    )}
                  </svg>
                </li>
              );
            })}
          </ul>
          <div class="heat-axis muted small">
            <span />
            <span class="strip-axis">
              <span>{span} ago</span>
              <span>now</span>
            </span>
          </div>
          {data.more && <p class="muted small">Showing the first 1,000 devices.</p>}
        </>
      )}
    </section>
  );
}
