// Short messages in a corner: errors from the API, confirmations of actions.
import { signal } from "@preact/signals";

export type Toast = { id: number; text: string; kind: "error" | "ok" };
export const toasts = signal<Toast[]>([]);
let next = 1;

export function toast(text: string, kind: Toast["kind"] = "ok", ms = kind === "error" ? 8000 : 4000): void {
  const id = next++;
  toasts.value = [...toasts.value.slice(-3), { id, text, kind }];
  setTimeout(() => dismiss(id), ms);
}

export function dismiss(id: number): void {
  toasts.value = toasts.value.filter((t) => t.id !== id);
}
