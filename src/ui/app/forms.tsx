/** @jsxImportSource preact */
// What the settings forms share: a section card, and the API's field errors. A refused save (422)
// names the field by its dotted path in the configuration (`schedule.0.cron`,
// `notifications.channels.2.url`, config-error.ts); the form marks the control of that path and
// shows the reason next to it.
import type { ComponentChildren } from "preact";
import { readFieldProblem, type FieldProblem } from "../../config/config-error.ts";
import { ApiError } from "./api.ts";

export function Section({ id, title, intro, children }: { id: string; title: string; intro?: ComponentChildren; children: ComponentChildren }) {
  return (
    <section id={id} class="card settings-section" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{title}</h2>
      {intro && <p class="muted">{intro}</p>}
      {children}
    </section>
  );
}

const LISTS: Record<string, string> = { schedule: "Scheduled scan", "notifications.channels": "Channel", "notifications.rules": "Rule" };

/**
 * A refusal as the form reads: the API counts list items from 0 (`schedule.0.cron`), the form from 1
 * ("Scheduled scan 1"; the entries of a list box likewise).
 */
export function readableRefusal(detail: string): string {
  const p = readFieldProblem(detail);
  if (!p) return detail;
  const parts = p.field.split(".");
  for (const [prefix, name] of Object.entries(LISTS)) {
    const depth = prefix.split(".").length;
    if (parts.slice(0, depth).join(".") !== prefix || parts[depth] === undefined || !/^\d+$/.test(parts[depth])) continue;
    const rest = parts.slice(depth + 1).join(".");
    return `${name} ${Number(parts[depth]) + 1}${rest ? `, ${rest}` : ""}: ${p.reason}`;
  }
  const [head, index] = parts;
  if ((head === "subnets" || head === "exclude") && index !== undefined) return `${head === "subnets" ? "Subnets" : "Never scan"}, entry ${Number(index) + 1}: ${p.reason}`;
  return `${p.field}: ${p.reason}`;
}

/**
 * Marks the control of the field a refusal named (its `data-field` is the field's path in the API's
 * notation, e.g. `schedule.1.cron`), else the nearest enclosing field's (`subnets.2` → `subnets`),
 * and moves the focus there; clears the previous mark. `null` only clears.
 */
export function markField(field: string | null): void {
  for (const el of document.querySelectorAll("[data-field][aria-invalid]")) el.removeAttribute("aria-invalid");
  for (let path = field ?? ""; path; path = path.slice(0, Math.max(0, path.lastIndexOf(".")))) {
    const el = document.querySelector<HTMLElement>(`[data-field="${CSS.escape(path)}"]`);
    if (el) {
      el.setAttribute("aria-invalid", "true");
      el.focus();
      return;
    }
  }
}

/** The field a refused save names, or null (not a field refusal). */
export const problemOf = (e: unknown): FieldProblem | null => (e instanceof ApiError && e.status === 422 ? readFieldProblem(e.message) : null);

/** Whether a refusal is about this field or a part of it (`…to.1` is about `…to`). */
export const concerns = (problem: FieldProblem | null, path: string): boolean => !!problem && (problem.field === path || problem.field.startsWith(`${path}.`));

/** The refusal's reason next to the field it names (`exact`: not when it names a part with a place of its own). */
export function FieldError({ problem, path, exact = false }: { problem: FieldProblem | null; path: string; exact?: boolean }) {
  if (!concerns(problem, path) || (exact && problem!.field !== path)) return null;
  return (
    <p class="error field-error" data-error-for={path}>
      {problem!.reason}
    </p>
  );
}

/** A refusal about none of the form's own fields (`paths`), said once at the form's foot. */
export function FormError({ problem, paths }: { problem: FieldProblem | null; paths: string[] }) {
  if (!problem || paths.some((p) => concerns(problem, p))) return null;
  return (
    <p class="error field-error" role="alert">
      {readableRefusal(`Invalid body field '${problem.field}': ${problem.reason}`)}
    </p>
  );
}
