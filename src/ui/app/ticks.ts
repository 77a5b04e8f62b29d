// The time axis's labels: only as precise as the tick spacing needs, and each label once. A trend of
// two scans a minute apart gets ticks seconds apart; labelled to the minute they read
// "Dec 4, 23:58" four times over.

const DAY = 86_400;

type Fmt = (seconds: number, precision: "day" | "minute" | "second") => string;

const FORMATS = {
  day: new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" }),
  minute: new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" }),
  second: new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" }),
};

const localFormat: Fmt = (t, precision) => FORMATS[precision].format(new Date(t * 1000));

/**
 * Labels for ticks `incr` seconds apart (epoch seconds, as uPlot gives them): the date for day
 * steps, the time to the minute below a day, to the second below a minute; a label equal to the
 * one before it is left blank.
 */
export function timeTickLabels(ticks: number[], incr: number, format: Fmt = localFormat): string[] {
  const precision = incr >= DAY ? "day" : incr >= 60 ? "minute" : "second";
  let previous = "";
  return ticks.map((t) => {
    const label = format(t, precision);
    if (label === previous) return "";
    previous = label;
    return label;
  });
}
