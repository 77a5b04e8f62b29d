// The one display name of a device (src/inventory/display-name.ts) and how messages show it.
import { describe, expect, test } from "bun:test";
import { DISPLAY_NAME_MAX, deviceDisplayName, deviceNameOf, nameWithAddress } from "../../src/inventory/display-name.ts";
import { displayName as messageName } from "../../src/notify/message.ts";

const ip = "192.168.1.23";

describe("deviceDisplayName: label > host name > vendor and IP > IP", () => {
  test("each in its turn", () => {
    expect(deviceDisplayName({ label: "Living room TV", hostname: "lgwebostv", vendor: "LG Electronics", ip_address: ip })).toBe("Living room TV");
    expect(deviceDisplayName({ label: null, hostname: "lgwebostv", vendor: "LG Electronics", ip_address: ip })).toBe("lgwebostv");
    expect(deviceDisplayName({ label: null, hostname: null, vendor: "Apple", ip_address: ip })).toBe("Apple 192.168.1.23");
    expect(deviceDisplayName({ label: null, hostname: null, vendor: null, ip_address: ip })).toBe(ip);
    expect(deviceDisplayName({})).toBe("unknown device");
  });

  test("says what the name is made of", () => {
    expect(deviceNameOf({ label: "TV", ip_address: ip }).source).toBe("label");
    expect(deviceNameOf({ hostname: "tv", ip_address: ip }).source).toBe("hostname");
    expect(deviceNameOf({ vendor: "LG", ip_address: ip }).source).toBe("vendor");
    expect(deviceNameOf({ ip_address: ip }).source).toBe("ip");
  });

  test("an empty or blank label or host name is no name: the next one stands", () => {
    expect(deviceDisplayName({ label: "", hostname: "   ", vendor: "Apple", ip_address: ip })).toBe("Apple 192.168.1.23");
    expect(deviceDisplayName({ label: "  ", hostname: "nas", ip_address: ip })).toBe("nas");
  });

  test("nameWithAddress adds the IP only when the name does not hold it", () => {
    expect(nameWithAddress({ hostname: "nas", ip_address: ip })).toBe("nas (192.168.1.23)");
    expect(nameWithAddress({ label: "Backup NAS", hostname: "nas", ip_address: ip })).toBe("Backup NAS (192.168.1.23)");
    expect(nameWithAddress({ vendor: "Apple", ip_address: ip })).toBe("Apple 192.168.1.23");
    expect(nameWithAddress({ ip_address: ip })).toBe(ip);
  });
});

describe("hostile host names", () => {
  test("invisible characters (bidi overrides, zero-width, controls) are dropped; a name of nothing but those is no name", () => {
    expect(deviceDisplayName({ hostname: "anna\u202e\u200bs-laptop\u0007", ip_address: ip })).toBe("annas-laptop");
    expect(deviceDisplayName({ hostname: "\u200b\u202e\u2066", vendor: "Apple", ip_address: ip })).toBe("Apple 192.168.1.23");
  });

  test("line breaks and runs of white space become one space: a name is one line", () => {
    expect(deviceDisplayName({ hostname: "kitchen\n\ttablet   x", ip_address: ip })).toBe("kitchen tablet x");
  });

  test("a very long name is cut to DISPLAY_NAME_MAX characters, ending in an ellipsis", () => {
    const name = deviceDisplayName({ hostname: "x".repeat(300), ip_address: ip });
    expect([...name].length).toBe(DISPLAY_NAME_MAX);
    expect(name.endsWith("…")).toBe(true);
    // Cut by characters, never inside a surrogate pair.
    const emoji = deviceDisplayName({ hostname: "😀".repeat(100), ip_address: ip });
    expect([...emoji].length).toBe(DISPLAY_NAME_MAX);
    expect(emoji).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });

  test("markup and links stay text here; messages quote a device's own name and make it unlinkable", () => {
    expect(deviceDisplayName({ hostname: "<img src=x onerror=alert(1)>", ip_address: ip })).toBe("<img src=x onerror=alert(1)>");
    expect(messageName({ hostname: "evil.example/login", ip_address: ip }, ip)).toBe("“evil[.]example/login”");
    expect(messageName({ hostname: 'say "hi"', ip_address: ip }, ip)).toBe("“say 'hi'”");
    // The owner's label and the vendor's name are not the device's own words: not quoted.
    expect(messageName({ label: "Anna's phone", hostname: "evil.example", ip_address: ip }, ip)).toBe("Anna's phone");
    expect(messageName({ vendor: "Apple", ip_address: ip }, ip)).toBe("Apple 192.168.1.23");
    expect(messageName(null, "10.0.0.9")).toBe("10.0.0.9");
  });
});
