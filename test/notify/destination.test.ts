// Where a notification may go (src/notify/destination.ts): link-local destinations, where a cloud
// host's metadata service answers, are refused like loopback ones (red team, issue 18: a webhook at
// 169.254.169.254 was "sent"). Checked before any lookup or connection: nothing leaves this process.
import { expect, test } from "bun:test";
import { checkDestination, isLinkLocalAddress, LINK_LOCAL_REFUSED, LOOPBACK_REFUSED } from "../../src/notify/destination.ts";

test("link-local addresses in their spellings are link-local; LAN and public ones are not", () => {
  for (const a of ["169.254.169.254", "169.254.0.1", "[fe80::1]", "fe80::1%eth0", "FEBF::1", "::ffff:169.254.169.254"]) expect({ a, ll: isLinkLocalAddress(a) }).toEqual({ a, ll: true });
  for (const a of ["169.255.0.1", "192.168.1.10", "10.0.0.1", "fec0::1", "fd00::1", "2001:db8::1", "127.0.0.1"]) expect({ a, ll: isLinkLocalAddress(a) }).toEqual({ a, ll: false });
});

test("a link-local destination is refused unless allow_loopback_destinations; loopback keeps its own reason", async () => {
  for (const host of ["169.254.169.254", "[fe80::1]", "::ffff:169.254.169.254"]) {
    expect(checkDestination(host, false)).rejects.toThrow(LINK_LOCAL_REFUSED);
    expect(await checkDestination(host, true)).toBeUndefined();
  }
  expect(checkDestination("127.0.0.1", false)).rejects.toThrow(LOOPBACK_REFUSED);
});
