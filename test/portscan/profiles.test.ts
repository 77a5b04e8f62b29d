import { describe, expect, test } from "bun:test";
import { parsePortSpec, ProfileError, resolveProfile, validateCustomProfile, validatePortSpec } from "../../src/portscan/profiles.ts";

describe("port specs", () => {
  test("ranges and single ports, merged, sorted and de-duplicated", () => {
    expect(parsePortSpec("22")).toEqual([22]);
    expect(parsePortSpec("8080, 1-3,2,80-81")).toEqual([1, 2, 3, 80, 81, 8080]);
    expect(parsePortSpec("1-65535").length).toBe(65535);
    expect(parsePortSpec("65535")).toEqual([65535]);
  });

  test.each([
    ["", "is empty"],
    ["0", "port 0 is outside 1-65535"],
    ["65536", "port 65536 is outside 1-65535"],
    ["100-10", "ends before it starts"],
    ["80,,443", "empty item"],
    ["80,", "empty item"],
    ["http", "\"http\" is not a port"],
    ["1-2-3", "is not a port"],
    ["22;rm -rf /", "is not a port"],
    ["-5", "is not a port"],
    ["1e3", "is not a port"],
  ])("rejects %p with a reason", (spec, reason) => {
    const r = validatePortSpec(spec, "port_range");
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.field).toBe("port_range");
      expect(r.reason).toContain(reason);
    }
  });

  test("non-strings are rejected, not coerced", () => {
    expect(validatePortSpec(80).ok).toBe(false);
    expect(validatePortSpec(null).ok).toBe(false);
    expect(validatePortSpec("x".repeat(5000)).ok).toBe(false);
  });
});

describe("profiles", () => {
  test("built-ins", () => {
    const quick = resolveProfile("quick");
    expect(quick.port_scan).toBe(false);
    expect(quick.ports).toEqual([]);
    const normal = resolveProfile("normal");
    expect(normal.port_spec).toBe("home-1000");
    expect(normal.ports.length).toBe(1000);
    expect(normal.ports).toContain(8123);
    expect(normal.service_detection).toBe(true);
    expect(normal.deep).toBe(false);
    expect(resolveProfile("normal", { port_range: "1-100,443" }).ports.length).toBe(101);
    expect(resolveProfile("normal", { port_range: "1-100,443" }).port_spec).toBe("1-100,443");
    const intensive = resolveProfile("intensive");
    expect(intensive.ports.length).toBe(65535);
    expect(intensive.deep).toBe(true);
  });

  test("a bad configured port range names the field", () => {
    expect(() => resolveProfile("normal", { port_range: "1-99999" })).toThrow(ProfileError);
    try {
      resolveProfile("normal", { port_range: "1-99999" });
    } catch (e) {
      expect((e as ProfileError).field).toBe("port_range");
    }
  });

  test("custom profiles", () => {
    const custom = [{ name: "web", ports: "80,443,8000-8100", service_detection: true, deep: false }];
    const p = resolveProfile("web", { custom });
    expect(p.ports.length).toBe(103);
    expect(p.port_scan).toBe(true);
    expect(() => resolveProfile("nope", { custom })).toThrow(/unknown profile "nope" \(known: quick, normal, intensive, web\)/);
  });

  test.each([
    [[], "profile", "must be an object"],
    [{ name: "normal", ports: "1-10" }, "profile.name", "built-in"],
    [{ name: "bad name!", ports: "1-10" }, "profile.name", "letters"],
    [{ name: "x", ports: "1-10", deep: "yes" }, "profile.deep", "true or false"],
    [{ name: "x", ports: "10-1" }, "profile.ports", "ends before it starts"],
    [{ name: "x" }, "profile.ports", "must be a string"],
    [{ name: "x", ports: "1", extra: 1 }, "profile.extra", "not a profile field"],
  ])("custom profile #%# is rejected", (input: unknown, field: string, reason: string) => {
    const r = validateCustomProfile(input);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.field).toBe(field);
      expect(r.reason).toContain(reason);
    }
  });

  test("custom profile defaults", () => {
    const r = validateCustomProfile({ name: "db", ports: "3306,5432" });
    expect(r).toEqual({ ok: true, value: { name: "db", ports: "3306,5432", service_detection: true, deep: false } });
  });
});
