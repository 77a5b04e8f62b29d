// Short messages in a corner: errors from the API, confirmations of actions.
import { signal } from "@preact/signals";

/** `href`: the text is a link there (a new device's page). */
export type Toast = { id: number; text: string; kind: "error" | "ok"; href?: string };
export const toasts = signal<Toast[]>([]);
let next = 1;

export function toast(text: string, kind: Toast["kind"] = "ok", ms = kind === "error" ? 8000 : 4000, href?: string): void {
  const id = next++;
  toasts.value = [...toasts.value.slice(-3), { id, text, kind, href }];
  setTimeout(() => dismiss(id), ms);
}

export function dismiss(id: number): void {
  toasts.value = toasts.value.filter((t) => t.id !== id);
}
