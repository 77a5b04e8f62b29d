/** @jsxImportSource preact */
// A segmented setup on the dashboard (README "Several segments"): a sensor's link to the broker and
// its outbox; a hub's sensors, each with its last message, lag, queue and a button that asks it to
// scan its segment. Nothing when standalone. Follows the live `status` event (a sensor heard first,
// gone silent or back).
import { get, post } from "./api.ts";
import { useLiveReload } from "./live.ts";
import { toast } from "./toast.ts";
import { DataTable, StatusDot, Time, useLoad } from "./ui.tsx";

type SegmentStatus = { role: "standalone" | "sensor" | "hub"; site: string | null; segment: string | null; connected: boolean; buffered: number; dropped: number; last_error: string | null };
type Sensor = { site: string; segment: string; last_heard_at: string; lag_seconds: number | null; buffered: number; dropped: number; status: "online" | "offline" };

async function load(): Promise<{ self: SegmentStatus; sensors: Sensor[] }> {
  const self = await get<SegmentStatus>("/api/segment", { quiet: true });
  return { self, sensors: self.role === "hub" ? await get<Sensor[]>("/api/sensors", { quiet: true }) : [] };
}

const scan = (s: Sensor) =>
  post<{ command_id: string }>(`/api/sensors/${encodeURIComponent(s.site)}/${encodeURIComponent(s.segment)}/scan?profile=quick`).then(
    () => toast(`Scan requested on ${s.site}/${s.segment}: it shows in that sensor's scans`),
    () => {},
  );

export function SegmentsCard() {
  const [data, reload] = useLoad(load, []);
  useLiveReload((e) => e.type === "status", reload);
  if (!data || data.self.role === "standalone") return null;
  const { self, sensors } = data;
  const link = self.connected ? "connected to the broker" : `not connected to the broker${self.last_error ? `: ${self.last_error}` : ""}`;
  return (
    <section class="card" aria-labelledby="segments-h">
      <h2 id="segments-h">{self.role === "hub" ? "Sensors" : "Sensor"}</h2>
      {self.role === "sensor" ? (
        <p data-testid="sensor-status">
          <StatusDot status={self.connected ? "online" : "offline"} beside /> {self.site}/{self.segment}: {link} · {self.buffered.toLocaleString()} waiting to be sent
          {self.dropped > 0 && <span class="hint warn">{self.dropped.toLocaleString()} dropped</span>}
        </p>
      ) : (
        <>
          {!self.connected && <p class="muted">The hub is {link}.</p>}
          <DataTable
            class="sensors"
            caption="Sensors"
            rows={sensors}
            rowKey={(s) => `${s.site}/${s.segment}`}
            empty="No sensor heard yet: start one with role sensor and this broker (README, Several segments)."
            columns={[
              { header: "Status", label: null, hideHeader: true, class: "c-status", cell: (s) => <StatusDot status={s.status} /> },
              { header: "Segment", cell: (s) => `${s.site}/${s.segment}` },
              { header: "Last heard", cell: (s) => <Time iso={s.last_heard_at} /> },
              { header: "Lag", cell: (s) => (s.lag_seconds === null ? "—" : `${s.lag_seconds.toFixed(1)} s`) },
              { header: "Queued", cell: (s) => `${s.buffered.toLocaleString()}${s.dropped > 0 ? ` (${s.dropped.toLocaleString()} lost)` : ""}` },
              {
                header: "Actions",
                label: null,
                class: "c-actions",
                cell: (s) => (
                  <button type="button" class="small secondary" aria-label={`Scan segment ${s.site}/${s.segment} now`} onClick={() => void scan(s)}>
                    Scan
                  </button>
                ),
              },
            ]}
          />
        </>
      )}
    </section>
  );
}
