/** @jsxImportSource preact */
// /changes: the timeline of what the scans noticed, filtered by type, severity and acknowledged;
// acknowledge one, or every change shown.
import { useEffect, useState } from "preact/hooks";
import { CHANGE_TYPES, SEVERITIES } from "../../../inventory/enums.ts";
import { list, post, query } from "../api.ts";
import { useLiveReload } from "../live.ts";
import { changeLabel, humanize, plural } from "../format.ts";
import { toast } from "../toast.ts";
import { Empty, Loading, Page, Pager, SeverityBadge, Time, useLoad, ChangeText, ChangeType } from "../ui.tsx";

type Change = { id: number; scan_id: number | null; device_id: number | null; device_ip: string | null; device_mac: string | null; change_type: string; severity: string; old_value: string | null; new_value: string | null; description: string; detected_at: string; acknowledged: boolean; device_name?: string; segment?: string | null };

// The inventory's own enumerations (also the API's ChangeType and Severity): a new type is a filter here at once.
const TYPES: readonly string[] = CHANGE_TYPES;
/** Worst first. */
const SEVERITY_FILTERS = [...SEVERITIES].reverse();
/**
 * Changes carry two kinds of severity, both filterable: events are critical, warning or info (a new
 * device, a possible spoof is a warning); an opened port carries its risk, low to critical. Say which
 * is which, so that "medium" and "warning" do not read as the same thing twice.
 */
const SEVERITY_HINTS: Partial<Record<string, string>> = {
  high: "risky port opened",
  medium: "risky port opened",
  low: "port opened, minor risk",
  warning: "new device, possible spoofing",
  info: "seen, gone, moved",
};
const LIMIT = 50;

export function Changes() {
  const initial = new URLSearchParams(location.search);
  const [f, setF] = useState({ change_type: initial.get("change_type") ?? "", severity: initial.get("severity") ?? "", acknowledged: initial.get("acknowledged") ?? "false", offset: 0 });
  const [data, reload] = useLoad(() => list<Change>(`/api/changes${query({ change_type: f.change_type, severity: f.severity, acknowledged: f.acknowledged, limit: LIMIT, offset: f.offset })}`), [f]);
  const [busy, setBusy] = useState(false);
  // Newly committed changes join the list at once.
  useLiveReload((e) => e.type === "changes", reload);
  useEffect(() => history.replaceState(null, "", `/changes${query({ change_type: f.change_type, severity: f.severity, acknowledged: f.acknowledged === "false" ? undefined : f.acknowledged || "all" })}`), [f]);
  useEffect(() => {
    if (initial.get("acknowledged") === "all") setF((x) => ({ ...x, acknowledged: "" }));
  }, []);

  const set = (k: "change_type" | "severity" | "acknowledged", v: string) => setF((x) => ({ ...x, [k]: v, offset: 0 }));
  const ack = async (ids: number[]) => {
    setBusy(true);
    try {
      for (const id of ids) await post(`/api/changes/${id}/acknowledge`);
      toast(ids.length === 1 ? "Change acknowledged" : `${plural(ids.length, "change")} acknowledged`);
    } finally {
      setBusy(false);
      reload();
    }
  };
  const open = data?.items.filter((c) => !c.acknowledged) ?? [];

  return (
    <Page title="Changes">
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="c-type">Type</label>
          <select id="c-type" value={f.change_type} onChange={(e) => set("change_type", e.currentTarget.value)}>
            <option value="">any</option>
            {TYPES.map((t) => (
              <option value={t}>{changeLabel(t)}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="c-sev">Severity</label>
          <select id="c-sev" value={f.severity} onChange={(e) => set("severity", e.currentTarget.value)}>
            <option value="">any</option>
            {SEVERITY_FILTERS.map((s) => (
              <option value={s}>{SEVERITY_HINTS[s] ? `${s} — ${SEVERITY_HINTS[s]}` : s}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="c-ack">Acknowledged</label>
          <select id="c-ack" value={f.acknowledged} onChange={(e) => set("acknowledged", e.currentTarget.value)}>
            <option value="false">not yet</option>
            <option value="true">acknowledged</option>
            <option value="">all</option>
          </select>
        </div>
        <button type="button" class="secondary" disabled={busy || open.length === 0} onClick={() => void ack(open.map((c) => c.id)).catch(() => {})}>
          Acknowledge all shown{open.length ? ` (${open.length})` : ""}
        </button>
      </form>
      {data === undefined ? (
        <Loading what="Loading changes" />
      ) : data === null ? (
        <Empty title="The changes could not be loaded" />
      ) : data.items.length === 0 ? (
        f.acknowledged === "false" && !f.change_type && !f.severity ? (
          <Empty title="Nothing new to look at">Every change has been acknowledged. New ones appear here after each scan.</Empty>
        ) : (
          <Empty title="No change matches these filters" />
        )
      ) : (
        <>
          <ul class="timeline changes">
            {data.items.map((c) => (
              <li class={c.acknowledged ? "acked" : ""} data-change-id={c.id}>
                <SeverityBadge severity={c.severity} />
                <span class="tl-text">
                  <ChangeType c={c} />
                  <ChangeText c={c} />
                  {c.device_mac && <span class="muted mono small"> {c.device_mac}</span>}
                </span>
                <Time iso={c.detected_at} />
                {c.acknowledged ? (
                  <span class="muted small">acknowledged</span>
                ) : (
                  <button type="button" class="small secondary" disabled={busy} onClick={() => void ack([c.id]).catch(() => {})} aria-label={`Acknowledge: ${c.description}`}>
                    Acknowledge
                  </button>
                )}
              </li>
            ))}
          </ul>
          <Pager label="Changes" offset={f.offset} limit={LIMIT} total={data.total} onPage={(offset) => setF((x) => ({ ...x, offset }))} />
        </>
      )}
    </Page>
  );
}
