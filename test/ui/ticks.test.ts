// The trend chart's time axis (issue 18: "the trend axis repeats labels"): labels as precise as the
// tick spacing, never the same label twice. The chart uses this function for its x axis.
import { describe, expect, test } from "bun:test";
import { timeTickLabels } from "../../src/ui/app/ticks.ts";

const T0 = Date.parse("2026-12-04T23:58:00Z") / 1000;
const ticksEvery = (incr: number, n: number) => Array.from({ length: n }, (_, i) => T0 + i * incr);

describe("trend chart time axis labels", () => {
  test("ticks seconds apart (two scans a minute apart) are labelled to the second, each one different", () => {
    const labels = timeTickLabels(ticksEvery(15, 5), 15);
    expect(new Set(labels).size).toBe(5);
    expect(labels.every((l) => l !== "")).toBe(true);
  });

  test("no label repeats the one before it, whatever the spacing", () => {
    for (const incr of [1, 10, 30, 60, 300, 3600, 6 * 3600, 12 * 3600, 86_400, 7 * 86_400]) {
      const labels = timeTickLabels(ticksEvery(incr, 8), incr);
      const shown = labels.filter((l) => l !== "");
      expect({ incr, repeats: shown.length - new Set(shown).size }).toEqual({ incr, repeats: 0 });
      expect(labels[0]).not.toBe("");
    }
  });

  test("day steps show the date only; steps under a day show the time", () => {
    const fmt = (t: number, p: string) => `${p}:${t}`;
    expect(timeTickLabels([T0], 86_400, fmt)).toEqual([`day:${T0}`]);
    expect(timeTickLabels([T0], 3600, fmt)).toEqual([`minute:${T0}`]);
    expect(timeTickLabels([T0], 20, fmt)).toEqual([`second:${T0}`]);
    // Two ticks that format alike: the second is blank, not a repeat.
    expect(timeTickLabels([T0, T0 + 1], 1, () => "same")).toEqual(["same", ""]);
  });
});
