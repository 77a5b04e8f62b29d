// The idle shrink's timing rules, with real timers (short periods) and, last, the engine's own shrink.
import { describe, expect, test } from "bun:test";
import { IdleShrink } from "../../src/service/idle-shrink.ts";

const IDLE = 60;

function counting(busy = () => false) {
  const calls: number[] = [];
  const idle = new IdleShrink({ idleMs: IDLE, busy, shrink: () => calls.push(performance.now()) });
  return { idle, calls };
}

describe("IdleShrink", () => {
  test("shrinks once after start-up's quiet period, then not again while nothing happens", async () => {
    const { idle, calls } = counting();
    const t0 = performance.now();
    idle.start();
    await Bun.sleep(IDLE * 5);
    idle.stop();
    expect(calls.length).toBe(1);
    expect(calls[0] - t0).toBeGreaterThanOrEqual(IDLE - 1);
  });

  test("requests closer together than the quiet period hold it off; it comes a quiet period after the last", async () => {
    const { idle, calls } = counting();
    idle.start();
    let last = 0;
    for (let i = 0; i < 8; i++) {
      idle.touch();
      last = performance.now();
      await Bun.sleep(IDLE / 3);
    }
    expect(calls.length).toBe(0);
    await Bun.sleep(IDLE * 3);
    idle.stop();
    expect(calls.length).toBe(1);
    expect(calls[0] - last).toBeGreaterThanOrEqual(IDLE - 1);
  });

  test("a request after a shrink earns the next one", async () => {
    const { idle, calls } = counting();
    idle.start();
    await Bun.sleep(IDLE * 2);
    expect(calls.length).toBe(1);
    idle.touch();
    await Bun.sleep(IDLE * 3);
    idle.stop();
    expect(calls.length).toBe(2);
  });

  test("waits while busy (a scan runs) and shrinks once it is over", async () => {
    let busy = true;
    const { idle, calls } = counting(() => busy);
    idle.start();
    await Bun.sleep(IDLE * 4);
    expect(calls.length).toBe(0);
    busy = false;
    await Bun.sleep(IDLE * 3);
    idle.stop();
    expect(calls.length).toBe(1);
  });

  test("nothing after stop", async () => {
    const { idle, calls } = counting();
    idle.start();
    idle.touch();
    idle.stop();
    idle.touch();
    await Bun.sleep(IDLE * 3);
    expect(calls.length).toBe(0);
  });

  test("the engine's own shrink runs and the process carries on", async () => {
    const idle = new IdleShrink({ idleMs: 10, busy: () => false }).start();
    await Bun.sleep(100);
    idle.stop();
    expect(idle.shrinks).toBe(1);
    // Code dropped by the shrink is relinked when it runs again.
    expect([3, 1, 2].sort((a, b) => a - b).map((x) => x * 2)).toEqual([2, 4, 6]);
  });
});
