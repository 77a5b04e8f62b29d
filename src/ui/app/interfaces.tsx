/** @jsxImportSource preact */
// A device's interfaces on its page (SPEC §7 "several interfaces"): the MACs it is known by, "Merge
// with…" another device (found by IP or name, or given by id) and "Split" for each MAC but the primary.
import { useState } from "preact/hooks";
import { list, post } from "./api.ts";
import type { Device, DeviceMac } from "./devices.ts";
import { toast } from "./toast.ts";
import { type Column, DataTable, displayName, Empty, RandomMacHint, Time } from "./ui.tsx";

type Props = { device: Device & { macs?: DeviceMac[] }; onChanged: (d: Device) => void };

export function Interfaces({ device, onChanged }: Props) {
  const macs = device.macs ?? [];
  const split = async (mac: string) => {
    if (!confirm(`Split ${mac} off ${displayName(device)}? It becomes a device of its own again (offline until it is next seen); the history recorded so far stays here.`)) return;
    const r = await post<{ device: Device; new_device: Device }>(`/api/devices/${device.id}/split`, { mac });
    onChanged(r.device);
    toast(`${mac} is device ${r.new_device.id} now`);
  };
  const columns: Column<DeviceMac>[] = [
    {
      header: "MAC",
      class: "mono",
      cell: (m) => (
        <>
          {m.mac} {m.mac === device.mac_address && <span class="hint ok">primary</span>} {m.randomized && <RandomMacHint />}
        </>
      ),
    },
    { header: "First seen", cell: (m) => <Time iso={m.first_seen} /> },
    { header: "Last seen", cell: (m) => <Time iso={m.last_seen} /> },
    {
      header: "Actions",
      hideHeader: true,
      label: null,
      cell: (m) =>
        m.mac !== device.mac_address && (
          <button type="button" class="secondary" aria-label={`Split ${m.mac} off`} onClick={() => void split(m.mac).catch(() => {})}>
            Split
          </button>
        ),
    },
  ];
  return (
    <section class="card" aria-labelledby="macs-h">
      <h2 id="macs-h">Interfaces</h2>
      <DataTable columns={columns} rows={macs} rowKey={(m) => m.mac} empty={<Empty title="No MAC known (beyond a router)" />} />
      <MergeWith device={device} onChanged={onChanged} />
    </section>
  );
}

/** Pick the other device by IP or name from a short list, or by its id; confirmed before merging. */
function MergeWith({ device, onChanged }: Props) {
  const [q, setQ] = useState("");
  const [found, setFound] = useState<Device[]>([]);
  const [otherId, setOtherId] = useState("");
  const search = async (text: string) => {
    setQ(text);
    if (text.trim() === "") return setFound([]);
    const r = await list<Device>(`/api/devices?q=${encodeURIComponent(text.trim())}&limit=8`);
    setFound(r.items.filter((d) => d.id !== device.id));
  };
  const merge = async (other: { id: number; name: string }) => {
    if (!confirm(`Merge ${other.name} into ${displayName(device)}? Its MACs, addresses, changes and presence move here and device ${other.id} is gone. Split undoes it for a MAC.`)) return;
    onChanged(await post<Device>(`/api/devices/${device.id}/merge`, { other_id: other.id }));
    setQ("");
    setFound([]);
    setOtherId("");
    toast(`${other.name} merged into ${displayName(device)}`);
  };
  return (
    <details class="merge-with">
      <summary>Merge with…</summary>
      <p class="muted small">One machine with several interfaces (wired and Wi-Fi, say) shows as several devices: make them one.</p>
      <label>
        Find by IP or name
        <input type="search" value={q} maxLength={200} onInput={(e) => void search(e.currentTarget.value).catch(() => {})} />
      </label>
      {found.length > 0 && (
        <ul class="merge-candidates">
          {found.map((d) => (
            <li>
              <span class="mono">{d.ip_address}</span> {displayName(d)}{" "}
              <button type="button" class="secondary" onClick={() => void merge({ id: d.id, name: displayName(d) }).catch(() => {})}>
                Merge
              </button>
            </li>
          ))}
        </ul>
      )}
      <form
        class="row-actions"
        onSubmit={(e) => {
          e.preventDefault();
          const n = Number(otherId);
          if (Number.isInteger(n) && n > 0) void merge({ id: n, name: `device ${n}` }).catch(() => {});
        }}
      >
        <label>
          or by device id
          <input type="number" min={1} step={1} inputMode="numeric" value={otherId} onInput={(e) => setOtherId(e.currentTarget.value)} />
        </label>
        <button type="submit" class="secondary" disabled={otherId === ""}>
          Merge
        </button>
      </form>
    </details>
  );
}
