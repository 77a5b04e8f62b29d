import { describe, expect, test } from "bun:test";
import { hostnameKey, serviceFingerprint } from "../../src/identify/fingerprint.ts";

describe("hostnameKey", () => {
  test("the same device under its mDNS, DNS and NetBIOS spellings gives one key", () => {
    expect(hostnameKey("Annas-iPhone.local")).toBe("annas-iphone");
    expect(hostnameKey("annas-iphone.home.lan.")).toBe("annas-iphone");
    expect(hostnameKey("ANNAS-IPHONE")).toBe("annas-iphone");
  });
  test("generic and address-derived names give no key", () => {
    for (const n of [null, undefined, "", "localhost", "iPhone.local", "android", "espressif", "192-168-1-23", "ip-10-0-0-5", "host-23", "-bad", "a b"]) {
      expect(hostnameKey(n)).toBeNull();
    }
  });
});

describe("serviceFingerprint", () => {
  const phone = [{ port: 62078, service: "iphone-sync" }, { port: 49152, service: "upnp", product: "Apple", version: "1" }];
  test("order and duplicates do not matter", () => {
    expect(serviceFingerprint(phone)).toBe(serviceFingerprint([...phone].reverse().concat(phone[0])));
    expect(serviceFingerprint(phone)).toMatch(/^[0-9a-f]{32}$/);
  });
  test("different services or versions give different keys", () => {
    const a = serviceFingerprint([{ port: 22, service: "ssh", product: "OpenSSH", version: "9.6p1" }]);
    const b = serviceFingerprint([{ port: 22, service: "ssh", product: "OpenSSH", version: "9.7p1" }]);
    const c = serviceFingerprint([{ port: 2222, service: "ssh", product: "OpenSSH", version: "9.6p1" }]);
    expect(new Set([a, b, c]).size).toBe(3);
  });
  test("nothing distinctive, no key", () => {
    expect(serviceFingerprint([])).toBeNull();
    expect(serviceFingerprint([{ port: 80, service: "http" }, { port: 443, service: "https" }])).toBeNull();
    expect(serviceFingerprint([{ port: 80, service: "http", product: "lighttpd", version: "1.4.59" }])).not.toBeNull();
  });
});
