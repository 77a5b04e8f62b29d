// Colour scheme: follows the system until the owner picks one; the choice lives in a cookie so the
// server renders <html data-theme> and no page flashes the wrong scheme.
import { signal } from "@preact/signals";

type Theme = "auto" | "light" | "dark";
const initial = document.documentElement.dataset.theme;
export const theme = signal<Theme>(initial === "light" || initial === "dark" ? initial : "auto");

export function cycleTheme(): void {
  const next: Theme = theme.value === "auto" ? "dark" : theme.value === "dark" ? "light" : "auto";
  theme.value = next;
  if (next === "auto") {
    delete document.documentElement.dataset.theme;
    document.cookie = "argus_theme=; path=/; max-age=0; samesite=lax";
  } else {
    document.documentElement.dataset.theme = next;
    document.cookie = `argus_theme=${next}; path=/; max-age=31536000; samesite=lax`;
  }
  dispatchEvent(new Event("argus-theme"));
}
