/** @jsxImportSource preact */
// Charts drawn by uPlot (small, fast, canvas). Colours come from the page's CSS variables, so the
// charts follow the light/dark scheme; they redraw on resize and on a scheme change.
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import { timeTickLabels } from "./ticks.ts";

const css = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";

export type Series = { label: string; values: number[]; color: string };

function axes(): uPlot.Axis[] {
  const stroke = css("--muted");
  const grid = { stroke: css("--border"), width: 1 };
  return [
    { stroke, grid, ticks: grid },
    { stroke, grid, ticks: grid, size: 44 },
  ];
}

function useUplot(ref: { current: HTMLDivElement | null }, build: (width: number) => uPlot.Options, data: uPlot.AlignedData, deps: unknown[]) {
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    let plot: uPlot | null = null;
    const draw = () => {
      plot?.destroy();
      el.replaceChildren();
      plot = new uPlot(build(Math.max(200, el.clientWidth)), data, el);
    };
    draw();
    let width = el.clientWidth;
    const resize = new ResizeObserver(() => {
      if (el.clientWidth !== width && plot) {
        width = el.clientWidth;
        plot.setSize({ width: Math.max(200, width), height: plot.height });
      }
    });
    resize.observe(el);
    const scheme = matchMedia("(prefers-color-scheme: dark)");
    scheme.addEventListener("change", draw);
    addEventListener("argus-theme", draw);
    return () => {
      resize.disconnect();
      scheme.removeEventListener("change", draw);
      removeEventListener("argus-theme", draw);
      plot?.destroy();
    };
  }, deps);
}

/** A line chart over time; `times` are ISO timestamps. */
export function TrendChart({ times, series, title }: { times: string[]; series: Series[]; title: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const data: uPlot.AlignedData = [times.map((t) => Date.parse(t) / 1000), ...series.map((s) => s.values)];
  useUplot(
    ref,
    (width) => ({
      width,
      height: 220,
      axes: (() => {
        const [x, y] = axes();
        return [{ ...x, space: 90, values: (_u: uPlot, ticks: number[], _a: number, _s: number, incr: number) => timeTickLabels(ticks, incr) }, y];
      })(),
      // Room on the right for half of the last tick's label, which is centred on it ("Dec 4, 23:58").
      padding: [null, 48, null, null],
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      scales: { y: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil(max * 1.1))] } },
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: css(s.color), width: 2, points: { show: times.length < 40 } }))],
    }),
    data,
    [JSON.stringify(data)],
  );
  return <div class="chart" ref={ref} role="img" aria-label={title} />;
}

/** Bars for categories (risk levels, device types). */
export function BarChart({ labels, values, colors, title }: { labels: string[]; values: number[]; colors?: string[]; title: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const data: uPlot.AlignedData = [labels.map((_, i) => i), values];
  useUplot(
    ref,
    (width) => {
      const [x, y] = axes();
      return {
        width,
        height: 200,
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: false, range: [-0.5, labels.length - 0.5] }, y: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil(max * 1.15))] } },
        axes: [
          {
            ...x,
            values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? labels[t] ?? "" : "")),
            splits: () => labels.map((_, i) => i),
            grid: { show: false },
            // Many categories on a narrow chart: slant the names so they never run into each other.
            ...(labels.length * 70 > width ? { rotate: -40, size: 70 } : {}),
          },
          y,
        ],
        series: [
          {},
          {
            label: title,
            paths: uPlot.paths.bars!({ size: [0.6, 48] }),
            points: { show: false },
            // With one colour per bar the draw hook paints them; uPlot's own bars stay invisible.
            fill: colors ? "transparent" : css("--accent"),
            stroke: colors ? "transparent" : css("--accent"),
          },
        ],
        hooks: colors
          ? {
              // One colour per bar (risk levels): repaint each bar over the uniform fill.
              draw: [
                (u: uPlot) => {
                  const ctx = u.ctx;
                  const w = Math.min(48 * devicePixelRatio, (u.bbox.width / labels.length) * 0.6);
                  values.forEach((v, i) => {
                    const cx = u.valToPos(i, "x", true);
                    const top = u.valToPos(v, "y", true);
                    const bottom = u.valToPos(0, "y", true);
                    ctx.fillStyle = css(colors[i] ?? "--accent");
                    ctx.fillRect(cx - w / 2, top, w, bottom - top);
                  });
                },
              ],
            }
          : {},
      };
    },
    data,
    [JSON.stringify(data)],
  );
  return (
    <figure class="chart-figure">
      <div class="chart" ref={ref} role="img" aria-label={`${title}: ${labels.map((l, i) => `${l} ${values[i]}`).join(", ")}`} />
    </figure>
  );
}
