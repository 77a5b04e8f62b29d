// The departure prober's socket (native/probe.c, src/net/native-probe.ts) at its edges, without a
// frame leaving anywhere: it needs raw-socket privilege, names a missing interface, and refuses to
// send to a group address (a departure probe is one device's, never a broadcast). The probes on the
// wire are tested in test/passive/departures.test.ts.
import { expect, test } from "bun:test";
import { resolve } from "node:path";
import { ArpProber, ArpProberError } from "../../src/net/native-probe.ts";
import { requireRoot } from "../helpers/testnet.ts";

const NATIVE = resolve(import.meta.dir, "../../src/net/native.ts");
const root = requireRoot("opens packet sockets, and drops privileges with setpriv");

test.skipIf(!root)("an interface that does not exist is an ArpProberError naming ENODEV", () => {
  const e = (() => {
    try {
      ArpProber.open("argus-none0", "10.0.0.1");
    } catch (e) {
      return e;
    }
  })();
  expect(e).toBeInstanceOf(ArpProberError);
  expect((e as ArpProberError).errno).toBe(19);
  expect((e as Error).message).toBe("cannot open the departure prober on argus-none0: ENODEV (19)");
});

test.skipIf(!root)("a broadcast or multicast MAC, or a malformed one, is refused before anything is sent", () => {
  const p = ArpProber.open("lo", "127.0.0.1");
  try {
    for (const mac of ["ff:ff:ff:ff:ff:ff", "01:00:5e:00:00:fb", "33:33:00:00:00:01", "nonsense", "zz:00:00:00:00:01"]) expect({ mac, r: p.send(mac, "127.0.0.2") }).toEqual({ mac, r: -22 });
    expect(p.sent()).toBe(0);
    expect(p.read()).toEqual([]);
  } finally {
    p.close();
  }
});

test.skipIf(!root)("without CAP_NET_RAW it fails with EPERM", () => {
  const script = `
    const { ArpProber } = await import(${JSON.stringify(NATIVE)});
    try { ArpProber.open("lo", "127.0.0.1"); console.log(JSON.stringify({ opened: true })); }
    catch (e) { console.log(JSON.stringify({ name: e.name, errno: e.errno })); }`;
  const r = Bun.spawnSync(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", process.execPath, "-e", script], { env: { HOME: "/tmp", PATH: process.env.PATH ?? "" } });
  expect(r.exitCode).toBe(0);
  expect(JSON.parse(r.stdout.toString().trim())).toEqual({ name: "ArpProberError", errno: 1 });
});
