/** @jsxImportSource preact */
// The overview: counts, charts, who was online, trends, the latest changes, the last and next scan, and Scan now.
import { useEffect } from "preact/hooks";
import { FINDING_LEVELS } from "../../../risk/levels.ts";
import { get, hasRoute, list } from "../api.ts";
import { useLiveReload } from "../live.ts";
import { BarChart, TrendChart } from "../chart.tsx";
import { humanize } from "../format.ts";
import { PresenceHeatStrip } from "../presence.tsx";
import { lastFinished, ScanControl } from "../scan.tsx";
import { SegmentsCard } from "../segments.tsx";
import { Empty, Loading, Page, SeverityBadge, Time, useLoad, ChangeText, ChangeType } from "../ui.tsx";

type Stats = { total_devices: number; online_devices: number; new_devices_24h: number; devices_at_risk: number; critical: number; high: number; medium: number; low: number; open_ports: number; last_scan: { id: number; status: string; profile: string; started_at: string; finished_at: string | null } | null };
type Trend = { scan_id: number; started_at: string; devices: number; at_risk: number; open_ports: number; changes: number };
type Change = { id: number; device_id: number | null; device_ip: string | null; change_type: string; severity: string; description: string; detected_at: string; acknowledged: boolean; device_name?: string };
type Schedule = { profile: string; cron: string; enabled: boolean; next_run_at: string | null; last_run_at: string | null; state?: string };

async function loadAll() {
  const [stats, trends, changes, types, schedule, config, setup] = await Promise.all([
    get<Stats>("/api/stats"),
    get<Trend[]>("/api/trends?days=30"),
    list<Change>("/api/changes?limit=10"),
    get<{ device_type: string; count: number }[]>("/api/stats/device-types"),
    hasRoute("GET /api/schedule").then((has) => (has ? get<Schedule[]>("/api/schedule", { quiet: true }).catch(() => null) : null)),
    // Custom profiles from the configuration join the built-in ones in "Scan now".
    hasRoute("GET /api/config").then((has) => (has ? get<{ profiles?: { name: string }[] }>("/api/config", { quiet: true }).catch(() => null) : null)),
    // An owner who left the setup wizard after the account step is led back to what is left of it.
    get<{ wizard_step?: string }>("/api/setup", { quiet: true }).catch(() => null),
  ]);
  const profiles = ["quick", "normal", "intensive", ...(config?.profiles ?? []).map((p) => p.name).filter((n) => !["quick", "normal", "intensive"].includes(n))];
  return { stats, trends, changes, types, schedule, profiles, wizardStep: setup?.wizard_step ?? "done" };
}

function FinishSetup({ step }: { step: string }) {
  return (
    <section class="card" aria-labelledby="finish-setup-h" data-testid="finish-setup">
      <h2 id="finish-setup-h">Finish setting up Argus</h2>
      <p>
        {step === "networks"
          ? "No network is confirmed yet, so Argus scans nothing. Choose the networks it may watch and run the first scan."
          : "Your networks are confirmed but nothing has been scanned yet. Run the first quick scan to see what is on them."}
      </p>
      <a class="button" href="/setup">
        {step === "networks" ? "Choose networks" : "Run the first scan"}
      </a>
    </section>
  );
}

function Count({ label, value, href, tone }: { label: string; value: number; href: string; tone?: string }) {
  return (
    <a class={`stat ${tone ?? ""}`} href={href}>
      <span class="stat-value">{value.toLocaleString()}</span>
      <span class="stat-label">{label}</span>
    </a>
  );
}

export function Dashboard() {
  const [data, reload] = useLoad(loadAll, []);
  // A finished scan changes every number on this page.
  useEffect(() => {
    if (lastFinished.value) reload();
  }, [lastFinished.value]);
  // So does every committed change or device record, from a scan, the passive watch or an edit.
  useLiveReload((e) => e.type === "changes" || e.type === "device", reload);
  if (data === undefined) return <Page title="Dashboard"><Loading /></Page>;
  if (data === null) return <Page title="Dashboard"><Empty title="The dashboard could not be loaded">Reload the page to try again.</Empty></Page>;
  const { stats, trends, changes, types, schedule, profiles, wizardStep } = data;
  const next = schedule?.filter((s) => s.enabled && s.next_run_at).sort((a, b) => Date.parse(a.next_run_at!) - Date.parse(b.next_run_at!))[0];
  // Worst first; "none" is not at risk and has no count.
  const levels = [...FINDING_LEVELS].reverse();
  return (
    <Page title="Dashboard">
      {wizardStep !== "done" && <FinishSetup step={wizardStep} />}
      <section class="stats" aria-label="Counts">
        <Count label="Devices" value={stats.total_devices} href="/devices" />
        <Count label="Online" value={stats.online_devices} href="/devices?status=online" tone="ok" />
        <Count label="New in 24 h" value={stats.new_devices_24h} href="/devices?sort=-first_seen" />
        <Count label="At risk" value={stats.devices_at_risk} href="/devices?sort=-risk_score" tone={stats.devices_at_risk > 0 ? "warn" : "ok"} />
        <Count label="Open ports" value={stats.open_ports} href="/devices?sort=-risk_score" />
      </section>

      <section class="card" aria-labelledby="scan-h">
        <h2 id="scan-h">Scanning</h2>
        <div class="scan-meta">
          <p>
            Last scan:{" "}
            {stats.last_scan ? (
              <>
                <Time iso={stats.last_scan.finished_at ?? stats.last_scan.started_at} /> ({stats.last_scan.profile}, {stats.last_scan.status}) · <a href="/scans">history</a>
              </>
            ) : (
              <span class="muted">none yet</span>
            )}
          </p>
          <p>
            Next scan:{" "}
            {next ? (
              <>
                <Time iso={next.next_run_at} /> ({next.profile})
              </>
            ) : schedule?.some((s) => s.state === "waiting_for_subnet") ? (
              // An owner who left the wizard after the account step has a schedule waiting for a network.
              <span data-testid="waiting-for-subnet">
                waiting for a network: <a href="/settings#networks">confirm yours in Settings</a>
              </span>
            ) : (
              <span class="muted">{schedule ? "none scheduled" : "only when you start one"}</span>
            )}
          </p>
        </div>
        <ScanControl profiles={profiles} />
      </section>

      <SegmentsCard />

      {stats.total_devices === 0 ? (
        <section class="card">
          <Empty title="No devices yet">Run a quick scan above to find what is on your network; devices, risks and changes show up here afterwards.</Empty>
        </section>
      ) : (
        <div class="grid2">
          <section class="card" aria-labelledby="risk-h">
            <h2 id="risk-h">At risk by level</h2>
            <ul class="levels">
              {levels.map((l) => (
                <li>
                  <a href={`/devices?risk_level=${l}&is_trusted=false`}>
                    <span class={`badge ${l}`}>{l}</span> <strong>{stats[l]}</strong>
                  </a>
                </li>
              ))}
            </ul>
            <BarChart title="Untrusted devices by risk level" labels={[...levels]} values={levels.map((l) => stats[l])} colors={["--critical", "--high", "--medium", "--low"]} />
          </section>
          <section class="card" aria-labelledby="types-h">
            <h2 id="types-h">Devices by type</h2>
            <BarChart title="Devices by type" labels={types.map((t) => t.device_type)} values={types.map((t) => t.count)} />
          </section>
        </div>
      )}

      {stats.total_devices > 0 && <PresenceHeatStrip />}

      <section class="card" aria-labelledby="trend-h">
        <h2 id="trend-h">Last 30 days</h2>
        {trends.length < 2 ? (
          <Empty title="Not enough scans for a trend yet">The device and at-risk counts are charted once two network scans have completed.</Empty>
        ) : (
          <TrendChart
            title="Devices and devices at risk per scan"
            times={trends.map((t) => t.started_at)}
            series={[
              { label: "Devices", values: trends.map((t) => t.devices), color: "--accent" },
              { label: "At risk", values: trends.map((t) => t.at_risk), color: "--high" },
            ]}
          />
        )}
      </section>

      <section class="card" aria-labelledby="changes-h">
        <div class="section-head">
          <h2 id="changes-h">Latest changes</h2>
          <a href="/changes">All changes</a>
        </div>
        {changes.items.length === 0 ? (
          <Empty title="No changes recorded">Changes appear after scans: new devices, devices going offline, ports opening or closing.</Empty>
        ) : (
          <ul class="timeline">
            {changes.items.map((c) => (
              <li class={c.acknowledged ? "acked" : ""}>
                <SeverityBadge severity={c.severity} />
                <span class="tl-text">
                  <ChangeType c={c} />
                  <ChangeText c={c} />
                </span>
                <Time iso={c.detected_at} />
              </li>
            ))}
          </ul>
        )}
      </section>
    </Page>
  );
}
