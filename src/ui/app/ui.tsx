/** @jsxImportSource preact */
// Pieces every page shares: the header, toasts, times, badges, icons, tables, paging, empty states.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { useSignal } from "@preact/signals";
import type { DeviceIcon } from "../../inventory/enums.ts";
import { post } from "./api.ts";
import { absolute, changeLabelBefore, now, relative } from "./format.ts";
import { dismiss, toast, toasts } from "./toast.ts";
import { deviceDisplayName, type NamedDevice } from "../../inventory/display-name.ts";
import { cycleTheme, theme } from "./theme.ts";

export const username = document.body.dataset.user ?? "";

const NAV = [
  ["/", "Dashboard", "dashboard"],
  ["/devices", "Devices", "devices"],
  ["/scans", "Scans", "scans"],
  ["/changes", "Changes", "changes"],
  ["/settings", "Settings", "settings"],
] as const;

export function Header({ current }: { current: string }) {
  const open = useSignal(false);
  const firstRun = current === "setup" || current === "login";
  const logout = async () => {
    await post("/api/auth/logout");
    location.assign("/login");
  };
  return (
    <header class="top">
      <a class="brand" href={username ? "/" : "/login"}>
        <img src="/favicon.svg" alt="" width={24} height={24} />
        <span>Argus</span>
      </a>
      {username && (
        <button type="button" class="menu-toggle ghost" aria-expanded={open.value} aria-controls="main-nav" onClick={() => (open.value = !open.value)}>
          <span aria-hidden="true">☰</span> Menu
        </button>
      )}
      <nav id="main-nav" class={open.value ? "open" : ""} aria-label="Main">
        {username &&
          NAV.map(([href, label, page]) => (
            <a href={href} aria-current={current === page || (current === "device" && page === "devices") ? "page" : undefined}>
              {label}
            </a>
          ))}
        {!firstRun && (
          <a href="/docs" aria-current={current === "docs" ? "page" : undefined}>
            API
          </a>
        )}
      </nav>
      <div class="top-right">
        <button type="button" class="ghost theme-toggle" onClick={cycleTheme} title="Colour scheme: follows the system, light or dark" aria-label={`Colour scheme: ${theme.value}`}>
          {theme.value === "dark" ? "☾ Dark" : theme.value === "light" ? "☀ Light" : "◐ Auto"}
        </button>
        {username ? (
          <>
            <span class="muted user" title="Signed in">
              {username}
            </span>
            <button id="logout" type="button" class="ghost" onClick={logout}>
              Log out
            </button>
          </>
        ) : firstRun ? null : (
          <a href="/login">Sign in</a>
        )}
      </div>
    </header>
  );
}

export function Toasts() {
  return (
    <div class="toasts" role="status" aria-live="polite">
      {toasts.value.map((t) => (
        <div key={t.id} class={`toast ${t.kind}`} role={t.kind === "error" ? "alert" : undefined}>
          <span>{t.href ? <a href={t.href}>{t.text}</a> : t.text}</span>
          <button type="button" class="ghost" aria-label="Dismiss" onClick={() => dismiss(t.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}

/** "3 min ago", with the absolute time on hover and for assistive technology. */
export function Time({ iso, empty = "never" }: { iso: string | null | undefined; empty?: string }) {
  if (!iso) return <span class="muted">{empty}</span>;
  return (
    <time dateTime={iso} title={absolute(iso)}>
      {relative(iso, now.value)}
    </time>
  );
}

export function RiskBadge({ level, score }: { level: string; score?: number }) {
  if (level === "none") return <span class="badge none">none</span>;
  return (
    <span class={`badge ${level}`} title={score !== undefined ? `Risk score ${score} of 100` : undefined}>
      {level}
      {score !== undefined ? ` ${score}` : ""}
    </span>
  );
}

export const SeverityBadge = ({ severity }: { severity: string }) => <span class={`badge sev-${severity}`}>{severity}</span>;

/**
 * The status as a coloured dot. Alone (a list's cell) it names the status to screen readers; `beside`
 * says the word is shown next to it, so the dot is decoration and the status is read once.
 */
export function StatusDot({ status, beside = false }: { status: string; beside?: boolean }) {
  if (beside) return <span class={`dot ${status}`} aria-hidden="true" />;
  return (
    <span class={`dot ${status}`} role="img" aria-label={status} title={status}>
      <span class="sr-only">{status}</span>
    </span>
  );
}

// One drawing per device type (inventory/enums.ts DEVICE_ICONS); an unknown name draws "unknown".
const ICONS: Record<DeviceIcon, string> = {
  router: "M3 15h18v5H3zM7 17.5h.01M11 17.5h.01M8 15l4-6 4 6M6 8a8.5 8.5 0 0 1 12 0M8.5 10.5a5 5 0 0 1 7 0",
  phone: "M8 2h8a2 2 0 0 1 2 2v16a2 2 0 0 1-2 2H8a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2zM11 18h2",
  printer: "M7 9V3h10v6M7 17H4v-7a1 1 0 0 1 1-1h14a1 1 0 0 1 1 1v7h-3M7 14h10v7H7z",
  nas: "M5 3h14v18H5zM5 9h14M5 15h14M8 6h.01M8 12h.01M8 18h.01",
  tv: "M3 5h18v12H3zM8 21h8M12 17v4",
  iot: "M9 9h6v6H9zM12 2v4M12 18v4M2 12h4M18 12h4M5 5l2.5 2.5M16.5 16.5 19 19M19 5l-2.5 2.5M7.5 16.5 5 19",
  server: "M4 3h16v7H4zM4 14h16v7H4zM8 6.5h.01M8 17.5h.01",
  computer: "M4 4h16v11H4zM2 19h20",
  camera: "M3 7h11a1 1 0 0 1 1 1v8a1 1 0 0 1-1 1H3a1 1 0 0 1-1-1V8a1 1 0 0 1 1-1zM15 10.5 21 7v10l-6-3.5M6 10h.01",
  speaker: "M6 2h12a1 1 0 0 1 1 1v18a1 1 0 0 1-1 1H6a1 1 0 0 1-1-1V3a1 1 0 0 1 1-1zM12 18a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM12 6h.01",
  console: "M6 8h12a4 4 0 0 1 4 4v1a4 4 0 0 1-7 2.6L14 15h-4l-1 .6A4 4 0 0 1 2 13v-1a4 4 0 0 1 4-4zM7 10.5v3M5.5 12h3M16 11h.01M18 13h.01",
  unknown: "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM9.5 9a2.5 2.5 0 1 1 3.5 2.3c-.6.3-1 .9-1 1.7M12 17h.01",
};

/** A device's icon: the owner's choice (`icon`) over its type's drawing; it is named by the type. */
export function TypeIcon({ type, icon }: { type: string; icon?: string | null }) {
  const d = ICONS[(icon ?? type) as DeviceIcon] ?? ICONS.unknown;
  return (
    <svg class="type-icon" viewBox="0 0 24 24" width="20" height="20" role="img" aria-label={type}>
      <title>{type}</title>
      <path d={d} fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" />
    </svg>
  );
}

export function RandomMacHint() {
  return (
    <span class="hint" title="Randomised (locally administered) MAC: phones and laptops rotate these, so the same device may come back with another one">
      random
    </span>
  );
}

/** "Last seen" of a device a source named (a lease, a router's table) that this appliance never saw itself. */
export function NotSeenYet() {
  return (
    <span class="muted" title="Known from a source (a DHCP lease, a router's table) but not yet heard or scanned on the network by this appliance">
      not on the network yet
    </span>
  );
}

export function Pager({ offset, limit, total, onPage, label }: { offset: number; limit: number; total: number; onPage: (offset: number) => void; label: string }) {
  if (total <= 0) return null;
  const last = Math.min(offset + limit, total);
  return (
    <nav class="pager" aria-label={`${label} pages`}>
      <span>
        {(offset + 1).toLocaleString()}–{last.toLocaleString()} of {total.toLocaleString()}
      </span>
      <button type="button" class="secondary" disabled={offset === 0} onClick={() => onPage(Math.max(0, offset - limit))}>
        Previous
      </button>
      <button type="button" class="secondary" disabled={last >= total} onClick={() => onPage(offset + limit)}>
        Next
      </button>
    </nav>
  );
}

/*
 * The one table markup of the UI. On a narrow screen a responsive table (the default) folds each
 * row into a card (styles.css, "Narrow screens"), and a card has no header row: so every cell
 * carries its column's name in data-label, which the stylesheet shows in front of it.
 */
export type Column<T> = {
  header: string;
  /** The header is for assistive technology only (a status dot, a checkbox, row buttons). */
  hideHeader?: boolean;
  /** The cell's name on a narrow screen: the header unless given or hidden; null for none. */
  label?: string | null;
  cell: (row: T) => ComponentChildren;
  /** Class of the cells; `headClass` that of the header. */
  class?: string;
  headClass?: string;
  title?: (row: T) => string | undefined;
  /** The API's sort key: the header becomes a button that asks for it (again: reversed). */
  sort?: string;
};

/** `by` is the sort in force: a key, or "-key" for descending. */
export type Sorting = { by: string | undefined; onSort: (key: string) => void };

type Props<T> = {
  columns: Column<T>[];
  rows: T[];
  rowKey?: (row: T) => string | number;
  rowClass?: (row: T) => string | undefined;
  /** Shown instead of the table when there are no rows. */
  empty?: ComponentChildren;
  /** The table's name for assistive technology (not shown). */
  caption?: string;
  id?: string;
  class?: string;
  /** False for a small table that fits a phone as it is. */
  responsive?: boolean;
  sorting?: Sorting;
};

export function DataTable<T>({ columns, rows, rowKey, rowClass, empty, caption, id, class: cls, responsive = true, sorting }: Props<T>) {
  if (rows.length === 0 && empty !== undefined) return <>{empty}</>;
  const classes = [cls, responsive && "responsive"].filter(Boolean).join(" ");
  return (
    <table id={id} class={classes || undefined}>
      {caption && <caption class="sr-only">{caption}</caption>}
      <thead>
        <tr>
          {columns.map((c) => (
            <HeaderCell column={c} sorting={sorting} />
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={rowKey?.(row)} class={rowClass?.(row)}>
            {columns.map((c) => (
              <td data-label={responsive ? cellLabel(c) : undefined} class={c.class} title={c.title?.(row)}>
                {c.cell(row)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const cellLabel = <T,>(c: Column<T>) => (c.label === undefined ? (c.hideHeader ? undefined : c.header) : (c.label ?? undefined));

function HeaderCell<T>({ column: c, sorting }: { column: Column<T>; sorting?: Sorting }) {
  const key = sorting && c.sort;
  const dir = !key ? undefined : sorting.by === key ? "ascending" : sorting.by === `-${key}` ? "descending" : undefined;
  return (
    <th scope="col" class={c.headClass} aria-sort={dir}>
      {c.hideHeader ? (
        <span class="sr-only">{c.header}</span>
      ) : key ? (
        <button type="button" class="sort" onClick={() => sorting.onSort(key)}>
          {c.header}
          <span aria-hidden="true">{dir === "ascending" ? " ▲" : dir === "descending" ? " ▼" : ""}</span>
        </button>
      ) : (
        c.header
      )}
    </th>
  );
}

export function Empty({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="empty">
      <p class="empty-title">{title}</p>
      {children && <p class="muted">{children}</p>}
    </div>
  );
}

export function Loading({ what = "Loading" }: { what?: string }) {
  return (
    <p class="muted loading" aria-busy="true">
      {what}…
    </p>
  );
}

/** Copies text; falls back to a selection copy where the Clipboard API is missing (plain http on a LAN address). */
export async function copyText(text: string, what = "Copied"): Promise<void> {
  try {
    if (navigator.clipboard && window.isSecureContext) await navigator.clipboard.writeText(text);
    else {
      const area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "offscreen";
      document.body.append(area);
      area.select();
      const ok = document.execCommand("copy");
      area.remove();
      if (!ok) throw new Error("copy refused");
    }
    toast(`${what} to the clipboard`);
  } catch {
    toast("Copying was refused by the browser; select the text and copy it by hand", "error");
  }
}

/** Runs `load` when `deps` change; gives its result (undefined while loading, null after an error). */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): [T | undefined | null, () => void] {
  const [value, setValue] = useState<T | undefined | null>(undefined);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (v) => live && setValue(v),
      () => live && setValue(null),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return [value, () => setTick((t) => t + 1)];
}

export function Page({ title, actions, children }: { title: string; actions?: ComponentChildren; children: ComponentChildren }) {
  return (
    <main id="main">
      <div class="page-head">
        <h1>{title}</h1>
        {actions && <div class="actions">{actions}</div>}
      </div>
      {children}
    </main>
  );
}

/** The device's name (label > host name > vendor and IP > IP), the same everywhere (src/inventory/display-name.ts). */
export const displayName = (d: NamedDevice) => deviceDisplayName(d);

/**
 * A change as the lists show it: what happened (its description, with the device's name when it
 * happened) and, when the device is now called otherwise (renamed, named later), its name today.
 */
/** A change's type in bold before its text, said once: left out when the description opens with it. */
export function ChangeType({ c }: { c: { change_type: string; description: string } }) {
  const label = changeLabelBefore(c.change_type, c.description);
  return label === null ? null : (
    <>
      <span class="tl-type">{label}</span>{" "}
    </>
  );
}

/** On a hub, the segment it happened on follows as a hint. */
export function ChangeText({ c }: { c: { device_id: number | null; description: string; device_name?: string; segment?: string | null } }) {
  const renamed = c.device_name && !c.description.includes(c.device_name) ? c.device_name : null;
  return (
    <>
      {c.device_id ? <a href={`/devices/${c.device_id}`}>{c.description}</a> : c.description}
      {renamed && <span class="tl-device muted"> · {renamed}</span>}
      {c.segment && <span class="tl-segment hint">{c.segment}</span>}
    </>
  );
}
