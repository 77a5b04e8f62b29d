// The UI's plain formatting functions (issue 18: change rows read "New device New device …"; a device
// online for 4 minutes was "Online 0% of the last 24 h").
import { describe, expect, test } from "bun:test";
import { changeLabel, changeLabelBefore, sharePercent } from "../../src/ui/app/format.ts";

describe("change rows", () => {
  test("the type label is left out when the description opens with it, and kept otherwise", () => {
    expect(changeLabelBefore("device_added", "New device 192.168.1.7 (Apple, Inc.)")).toBeNull();
    expect(changeLabelBefore("device_added", "new device 192.168.1.7")).toBeNull();
    expect(changeLabelBefore("port_opened", "Port 23/tcp (telnet) opened on 192.168.1.101 — critical risk")).toBe("Port opened");
    expect(changeLabelBefore("device_removed", "Device 192.168.1.60 went offline (not seen in 2 scans)")).toBe(changeLabel("device_removed"));
  });
});

describe("online share", () => {
  const DAY = 86_400_000;
  test("a nonzero share below 1% reads 1%, a share short of all reads at most 99%, none and all are exact", () => {
    expect(sharePercent(4 * 60_000, DAY)).toBe(1);
    expect(sharePercent(1, DAY)).toBe(1);
    expect(sharePercent(0, DAY)).toBe(0);
    expect(sharePercent(DAY - 60_000, DAY)).toBe(99);
    expect(sharePercent(DAY, DAY)).toBe(100);
    expect(sharePercent(DAY / 2, DAY)).toBe(50);
    expect(sharePercent(0.333 * DAY, DAY)).toBe(33);
  });
});
