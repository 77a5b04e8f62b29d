// The SNMP source against Debian's snmpd in a router namespace that forwards between two test LANs
// (test/helpers/snmp-router.ts): the reader on LAN A learns MAC and IP of the hosts on the routed
// LAN B, and the interface they sit behind, over v2c and v3 authPriv; and each way it can fail says
// so clearly, quickly, and without a secret in the detail.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { snmpSource } from "../../src/sources/snmp.ts";
import { requireRoot, requireTools } from "../helpers/require.ts";
import { ABSENT_IP, SECRETS, startSnmpRouter, type ReadResult, type SnmpRouter } from "../helpers/snmp-router.ts";

const ready = requireRoot("builds a router namespace with snmpd") && requireTools([["snmpd", "snmpd"], ["busybox", "busybox"]]);

function expectNoSecret(r: ReadResult) {
  const text = JSON.stringify(r);
  for (const s of Object.values(SECRETS)) expect(text).not.toContain(s);
}

describe.skipIf(!ready)("SNMP source against snmpd on a router", () => {
  let rtr: SnmpRouter;
  beforeAll(async () => {
    rtr = await startSnmpRouter({ routed: 3 });
  }, 60_000);
  afterAll(async () => {
    await rtr?.down();
  });

  function expectRoutedHosts(r: ReadResult) {
    expect(r.error).toBeUndefined();
    const obs = r.observations!;
    for (const h of rtr.routed) {
      expect(obs).toContainEqual({ mac: h.mac, ip: h.ip, hostname: null, attached_to: rtr.routedIface });
    }
    // The router's failed resolution of an absent address has no MAC: not reported.
    expect(obs.some((o) => o.ip === ABSENT_IP)).toBe(false);
    // The scanner's own LAN A address, which the router learnt from its queries, sits behind eth0.
    expect(obs).toContainEqual({ mac: rtr.net.truth.scanner_mac, ip: rtr.net.truth.scanner_ip, hostname: null, attached_to: "eth0" });
    expect(obs.length).toBe(rtr.routed.length + 1);
  }

  test("declares its type and fields", () => {
    expect(snmpSource.type).toBe("snmp");
    expect(Object.keys(snmpSource.fields.properties)).toEqual(
      expect.arrayContaining(["host", "port", "version", "community", "username", "auth_protocol", "auth_password", "priv_protocol", "priv_password"]),
    );
    for (const k of ["community", "auth_password", "priv_password"]) expect(snmpSource.fields.properties[k].writeOnly).toBe(true);
  });

  test("v2c: the hosts on the routed LAN with their real MACs and the router interface they are on", async () => {
    // The router did try to resolve the absent address: the entry the reader must skip exists.
    const neigh = await rtr.net.nsExec(rtr.routerNs, ["ip", "neigh", "show", ABSENT_IP]);
    expect(neigh.stdout).toContain(ABSENT_IP);
    const r = await rtr.read(rtr.v2c);
    expectRoutedHosts(r);
  });

  test("v3 authPriv (SHA-256, AES): the same table", async () => {
    const r = await rtr.read(rtr.v3);
    expectRoutedHosts(r);
  });

  test("an agent without ipNetToPhysicalTable: read from ipNetToMediaTable instead", async () => {
    const r = await rtr.read(rtr.mediaOnly);
    expectRoutedHosts(r);
  });

  test("a wrong community: no answer, reported as a timeout quickly and without the community", async () => {
    const r = await rtr.read({ ...rtr.v2c, community: "not-the-community", timeout_s: 0.5 });
    expect(r.error?.reason).toBe("timeout");
    expect(r.error?.detail).toContain("wrong community or host down");
    expect(r.ms).toBeLessThan(2_000);
    expect(JSON.stringify(r)).not.toContain("not-the-community");
    expectNoSecret(r);
  });

  test("a wrong v3 auth password: an auth failure with the agent's reason", async () => {
    const r = await rtr.read({ ...rtr.v3, auth_password: "wrong-auth-pass" });
    expect(r.error?.reason).toBe("auth");
    expect(r.error?.detail).toContain("Wrong Digest");
    expect(JSON.stringify(r)).not.toContain("wrong-auth-pass");
    expectNoSecret(r);
  });

  test("a wrong v3 priv password: the agent drops what it cannot decrypt; a timeout naming that cause", async () => {
    const r = await rtr.read({ ...rtr.v3, priv_password: "wrong-priv-pass", timeout_s: 0.3 });
    expect(r.error?.reason).toBe("timeout");
    expect(r.error?.detail).toContain("wrong priv_password");
    expect(JSON.stringify(r)).not.toContain("wrong-priv-pass");
    expectNoSecret(r);
  });

  test("an unknown v3 user: an auth failure naming the user", async () => {
    const r = await rtr.read({ ...rtr.v3, username: "nobody" });
    expect(r.error?.reason).toBe("auth");
    expect(r.error?.detail).toContain('"nobody"');
    expect(r.error?.detail).toContain("Unknown User Name");
    expectNoSecret(r);
  });

  test("more neighbours than the bound: too_large, nothing returned", async () => {
    const r = await rtr.read(rtr.v2c, { max_rows: 2 });
    expect(r.observations).toBeUndefined();
    expect(r.error?.reason).toBe("too_large");
    expect(r.error?.detail).toContain("more than 2 neighbours");
  });

  test("the run's time limit stops the read", async () => {
    // A wrong community never answers; the signal fires long before the per-request timeout.
    const r = await rtr.read({ ...rtr.v2c, community: "silent", timeout_s: 10 }, { abort_after_ms: 300 });
    expect(r.error?.reason).toBe("timeout");
    expect(r.error?.detail).toContain("time limit");
    expect(r.ms).toBeLessThan(2_000);
  });

  test("an agent whose answers do not decode: malformed, not a timeout", async () => {
    // A UDP service on the router that answers every datagram with bytes that are not SNMP.
    const junk = Bun.spawn(
      ["ip", "netns", "exec", rtr.routerNs, "python3", "-c",
        "import socket,sys\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('10.231.0.254',1161))\nprint('READY',flush=True)\n" +
        "while True:\n d,a=s.recvfrom(65535)\n s.sendto(b'\\x30\\x84\\xff\\xff\\xff\\xffjunk',a)"],
      { stdout: "pipe", stderr: "inherit" },
    );
    try {
      const reader = junk.stdout.getReader();
      const { value } = await reader.read();
      expect(new TextDecoder().decode(value)).toContain("READY");
      const r = await rtr.read({ ...rtr.v2c, port: 1161, timeout_s: 0.5 });
      expect(r.error?.reason).toBe("malformed");
      expect(r.error?.detail).toContain("malformed answer from 10.231.0.254:1161");
      expectNoSecret(r);
    } finally {
      junk.kill();
      await junk.exited;
    }
  });

  test("a host that does not resolve: unreachable", async () => {
    const r = await rtr.read({ ...rtr.v2c, host: "no-such-router.invalid" });
    expect(r.error?.reason).toBe("unreachable");
    expectNoSecret(r);
  });

  test("in a compiled binary (bun build --compile, as scripts/build.ts builds the appliance) v2c and v3 authPriv read the same", async () => {
    const dir = mkdtempSync(join(tmpdir(), "argus-snmp-bin-"));
    try {
      const outfile = join(dir, "read-snmp");
      const built = await Bun.build({
        entrypoints: [new URL("./fixtures/read-snmp.ts", import.meta.url).pathname],
        compile: { outfile, autoloadDotenv: false, autoloadBunfig: false },
        minify: true,
        splitting: true,
        bytecode: true,
        format: "esm",
      });
      expect(built.success).toBe(true);
      for (const config of [rtr.v2c, rtr.v3]) {
        const r = await rtr.net.exec([outfile, JSON.stringify({ config })]);
        expect(r.exitCode).toBe(0);
        expectRoutedHosts(JSON.parse(r.stdout));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  test("incomplete v3 config: a config error before anything is sent", async () => {
    const r = await rtr.read({ host: rtr.v3.host, version: "3" });
    expect(r.error?.reason).toBe("config");
    const p = await rtr.read({ ...rtr.v3, auth_password: undefined });
    expect(p.error?.reason).toBe("config");
  });
});
