// The UI's plain formatting functions (issue 18: change rows read "New device New device …").
import { describe, expect, test } from "bun:test";
import { changeLabel, changeLabelBefore } from "../../src/ui/app/format.ts";

describe("change rows", () => {
  test("the type label is left out when the description opens with it, and kept otherwise", () => {
    expect(changeLabelBefore("device_added", "New device 192.168.1.7 (Apple, Inc.)")).toBeNull();
    expect(changeLabelBefore("device_added", "new device 192.168.1.7")).toBeNull();
    expect(changeLabelBefore("port_opened", "Port 23/tcp (telnet) opened on 192.168.1.101 — critical risk")).toBe("Port opened");
    expect(changeLabelBefore("device_removed", "Device 192.168.1.60 went offline (not seen in 2 scans)")).toBe(changeLabel("device_removed"));
  });
});
