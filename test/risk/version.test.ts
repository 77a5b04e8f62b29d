import { describe, expect, test } from "bun:test";
import { compareVersions, inRange } from "../../src/risk/version.ts";

describe("compareVersions", () => {
  test.each([
    ["8.9p1", "8.5p1", 1],
    ["9.7p1", "9.8p1", -1],
    ["9.7", "9.7p1", -1],
    ["2.4.49", "2.4.5", 1],
    ["2.4.49", "2.4.49", 0],
    ["1.3.5a", "1.3.5", 1],
    ["1.3.5", "1.3.5a", -1],
    ["1.3.6rc2", "1.3.6", -1],
    ["1.3.6", "1.3.6rc2", 1],
    ["1.3.6rc2", "1.3.6rc10", -1],
    ["1.3.6rc2", "1.3.5", 1],
    ["5.7.42-log", "5.7.42", 0],
    ["1.18.0 (Ubuntu)", "1.18.0", 0],
    ["2019.78", "2016.74", 1],
    ["4.3p2", "4.4p1", -1],
    ["1.3.3b", "1.3.3c", -1],
    ["6.0.5", "6.0.20", -1],
    ["10", "9.99", 1],
  ] as const)("%s vs %s → %d", (a, b, want) => {
    expect(compareVersions(a, b)).toBe(want);
    expect(compareVersions(b, a)).toBe((-want || 0) as -1 | 0 | 1);
  });
});

describe("inRange", () => {
  test("regreSSHion range 8.5p1 ≤ v < 9.8p1", () => {
    const r = { from: "8.5p1", before: "9.8p1" };
    for (const v of ["8.5p1", "8.9p1", "9.0p1", "9.7p1", "9.7"]) expect(inRange(v, r)).toBe(true);
    for (const v of ["8.4p1", "8.5", "9.8p1", "9.9p2", "10.0p1"]) expect(inRange(v, r)).toBe(false);
  });
  test("equals, inclusive to, open ranges", () => {
    expect(inRange("2.3.4", { equals: "2.3.4" })).toBe(true);
    expect(inRange("2.3.5", { equals: "2.3.4" })).toBe(false);
    expect(inRange("1.4.63", { from: "1.4.46", to: "1.4.63" })).toBe(true);
    expect(inRange("1.4.64", { from: "1.4.46", to: "1.4.63" })).toBe(false);
    expect(inRange("4.3p2", { before: "4.4p1" })).toBe(true);
  });
  test("an empty range or a version without digits or letters never matches", () => {
    expect(inRange("1.0", {})).toBe(false);
    expect(inRange("", { before: "9" })).toBe(false);
    expect(inRange("-", { before: "9" })).toBe(false);
  });
});
