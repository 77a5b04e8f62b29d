// The departure schedule's arithmetic (passive/departure-schedule.ts) on a simulated clock: what the
// README promises of the default graces (a normal device costs at most one frame a minute, an
// always_on departure is noticed within 30 s, can_sleep within a quarter of an hour), and that the
// budget caps the average however many devices want probing. The wire itself is tested in
// departures.test.ts.
import { describe, expect, test } from "bun:test";
import { ANSWER_MS, DepartureSchedule, type Candidate } from "../../src/passive/departure-schedule.ts";
import type { PresenceMode } from "../../src/inventory/enums.ts";

const DEFAULTS = { always_on_grace_s: 20, normal_grace_s: 90, can_sleep_grace_s: 600, frames_per_device_per_minute: 1 };
const TICK = 500;
const T0 = 1_000_000;

const candidate = (id: number, mode: PresenceMode, lastSeenMs = T0): Candidate => ({
  id,
  mac: `02:00:00:00:00:${id.toString(16).padStart(2, "0")}`,
  ip: `10.0.0.${id}`,
  mode,
  iface: "eth0",
  srcIp: "10.0.0.254",
  lastSeenMs,
});

/**
 * Runs the schedule from T0 to `untilMs` on 500 ms ticks. Devices in `present` answer every probe
 * 5 ms after it left; the others never do. Returns the frames sent per device and when each was found gone.
 */
function simulate(s: DepartureSchedule, untilMs: number, present: (id: number, now: number) => boolean) {
  const sent = new Map<number, number>();
  const gone = new Map<number, number>();
  const answers: { at: number; mac: string }[] = [];
  for (let now = T0; now <= untilMs; now += TICK) {
    for (const a of answers.splice(0).filter((x) => x.at <= now)) s.heard(a.mac, a.at);
    const r = s.tick(now);
    for (const t of r.gone) {
      gone.set(t.id, now);
      s.forget(t);
    }
    for (const t of r.probe) {
      s.sent(t, now);
      sent.set(t.id, (sent.get(t.id) ?? 0) + 1);
      if (present(t.id, now)) answers.push({ at: now + 5, mac: t.mac });
    }
  }
  return { sent, gone };
}

describe("departure schedule", () => {
  test("a silent present device costs at most one frame per grace: normal ≤ ⅔ a minute, can_sleep ≤ 0.1, always_on ≤ 3", () => {
    const s = new DepartureSchedule({ ...DEFAULTS, frames_per_device_per_minute: 10 });
    s.sync([candidate(1, "normal"), candidate(2, "can_sleep"), candidate(3, "always_on")], T0);
    const hour = 60 * 60_000;
    const { sent, gone } = simulate(s, T0 + hour, () => true);
    expect(gone.size).toBe(0);
    expect(sent.get(1)!).toBeLessThanOrEqual(40);
    expect(sent.get(1)!).toBeGreaterThanOrEqual(35);
    expect(sent.get(2)!).toBeLessThanOrEqual(6);
    expect(sent.get(3)!).toBeLessThanOrEqual(180);
  });

  test("a device heard on the wire within its grace is never probed", () => {
    const s = new DepartureSchedule(DEFAULTS);
    s.sync([candidate(1, "normal")], T0);
    let probes = 0;
    for (let now = T0; now < T0 + 10 * 60_000; now += TICK) {
      if ((now - T0) % 30_000 === 0) s.heard(candidate(1, "normal").mac, now);
      probes += s.tick(now).probe.length;
    }
    expect(probes).toBe(0);
  });

  test("departures: always_on within 30 s of leaving, normal within about 2 minutes (median well under), can_sleep within 15 minutes, wherever in the cycle it leaves", () => {
    // A LAN as the budget is sized for: the device under test among seven silent normal ones, all present.
    for (const [mode, bound] of [["always_on", 30_000], ["normal", 125_000], ["can_sleep", 15 * 60_000]] as const) {
      const took: number[] = [];
      for (let leaveAfter = 0; leaveAfter < 130_000; leaveAfter += 3_700) {
        const s = new DepartureSchedule(DEFAULTS);
        s.sync([candidate(1, mode), ...Array.from({ length: 7 }, (_, i) => candidate(i + 2, "normal"))], T0);
        const leftAt = T0 + 10 * 60_000 + leaveAfter;
        const { gone } = simulate(s, leftAt + bound + 60_000, (id, now) => id !== 1 || now < leftAt);
        expect([...gone.keys()]).toEqual([1]);
        took.push(gone.get(1)! - leftAt);
      }
      took.sort((a, b) => a - b);
      expect({ mode, worst: took.at(-1)! < bound }).toEqual({ mode, worst: true });
      if (mode === "normal") expect(took[Math.floor(took.length / 2)]).toBeLessThan(120_000);
    }
  });

  test("the budget caps the average at N frames a minute however many devices are due; always_on goes first", () => {
    const s = new DepartureSchedule({ ...DEFAULTS, always_on_grace_s: 1, normal_grace_s: 1 });
    const devices = [...Array.from({ length: 10 }, (_, i) => candidate(i + 1, "normal")), candidate(20, "always_on")];
    s.sync(devices, T0);
    const minutes = 30;
    const { sent } = simulate(s, T0 + minutes * 60_000, () => true);
    const total = [...sent.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeLessThanOrEqual(devices.length * (minutes + 1) + 2);
    // The always_on device takes its grace's share before the normal ones.
    expect(sent.get(20)!).toBeGreaterThan(Math.max(...devices.filter((d) => d.id !== 20).map((d) => sent.get(d.id) ?? 0)));
  });

  test("always_on devices borrow only what others leave: with half the LAN silent and always_on, normal devices still get their share", () => {
    const s = new DepartureSchedule(DEFAULTS);
    const devices = Array.from({ length: 8 }, (_, i) => candidate(i + 1, i % 2 === 0 ? "always_on" : "normal"));
    s.sync(devices, T0);
    const minutes = 30;
    const { sent } = simulate(s, T0 + minutes * 60_000, () => true);
    const total = [...sent.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeLessThanOrEqual(devices.length * (minutes + 1) + 2);
    for (const d of devices.filter((x) => x.mode === "normal")) {
      // Its schedule asks for one probe per ~91.5 s: all of them, within a few.
      expect(sent.get(d.id)!).toBeGreaterThanOrEqual(Math.floor((minutes * 60) / 91.5) - 2);
    }
    for (const d of devices.filter((x) => x.mode === "always_on")) expect(sent.get(d.id)!).toBeGreaterThan(minutes);

  });

  test("an answer within ANSWER_MS counts; a probe that could not be sent is not a miss", () => {
    const s = new DepartureSchedule(DEFAULTS);
    s.sync([candidate(1, "normal", T0 - 91_000)], T0);
    let r = s.tick(T0);
    expect(r.probe.map((t) => t.id)).toEqual([1]);
    s.unsent(r.probe[0]);
    r = s.tick(T0 + ANSWER_MS + TICK);
    expect(r.gone).toEqual([]);
    expect(r.probe.map((t) => t.id)).toEqual([1]);
    s.sent(r.probe[0], T0 + ANSWER_MS + TICK);
    expect(s.heard(candidate(1, "normal").mac, T0 + ANSWER_MS + TICK + 100)?.misses).toBe(0);
    expect(s.tick(T0 + 2 * ANSWER_MS + 2 * TICK)).toEqual({ probe: [], gone: [] });
  });
});
