// `since` parsing for /api/changes and the LIKE escaping of the device search.
import { describe, expect, test } from "bun:test";
import { parseSince } from "../../src/inventory/changes.ts";
import { containsPattern } from "../../src/inventory/devices.ts";

describe("parseSince", () => {
  test("normalises ISO 8601 spellings to the stored UTC form", () => {
    expect(parseSince("2024-01-15T10:30:00Z")).toBe("2024-01-15T10:30:00Z");
    expect(parseSince("2024-01-15t10:30:00z")).toBe("2024-01-15T10:30:00Z");
    expect(parseSince("2024-01-15T10:30:00.999Z")).toBe("2024-01-15T10:30:00Z");
    expect(parseSince("2024-01-15T10:30")).toBe("2024-01-15T10:30:00Z");
    expect(parseSince("2024-01-15 10:30:00")).toBe("2024-01-15T10:30:00Z");
    expect(parseSince("2024-01-15T12:30:00+02:00")).toBe("2024-01-15T10:30:00Z");
    expect(parseSince("2024-01-15T05:30:00-0500")).toBe("2024-01-15T10:30:00Z");
    expect(parseSince("2024-01-15")).toBe("2024-01-15T00:00:00Z");
    expect(parseSince("2024-02-29")).toBe("2024-02-29T00:00:00Z");
  });

  test("rejects what is not a real ISO 8601 instant", () => {
    for (const bad of ["", "yesterday", "1705314600", "2024-1-15", "2024-02-30", "2023-02-29", "2024-13-01", "2024-01-15T24:00:00Z", "2024-01-15T10:60:00Z", "2024-01-15T10:30:00+25:00", "15/01/2024", "2024-01-15T10:30:00Z junk"]) {
      expect({ bad, parsed: parseSince(bad) }).toEqual({ bad, parsed: null });
    }
  });
});

describe("containsPattern", () => {
  test("wraps in % and escapes the LIKE wildcards and the escape character", () => {
    expect(containsPattern("nas")).toBe("%nas%");
    expect(containsPattern("lab_pc")).toBe("%lab\\_pc%");
    expect(containsPattern("100%")).toBe("%100\\%%");
    expect(containsPattern("a\\b")).toBe("%a\\\\b%");
  });
});
