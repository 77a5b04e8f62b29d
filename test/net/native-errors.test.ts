// A listener that cannot open is a listener error, not a sweep error: callers (the passive watch,
// the CLI) tell them apart by type. Run for real without privileges (setpriv, user nobody).
import { expect, test } from "bun:test";
import { resolve } from "node:path";
import { requireRoot } from "../helpers/testnet.ts";

const NATIVE = resolve(import.meta.dir, "../../src/net/native.ts");
const root = requireRoot("dropping privileges with setpriv to make the listener fail with EPERM");

test.skipIf(!root)("without CAP_NET_RAW the listener fails with NativeListenerError (EPERM), not NativeSweepError", () => {
  if (!Bun.which("setpriv")) throw new Error("needs setpriv (Debian util-linux)");
  const script = `
    const { NativeListener, NativeListenerError, NativeSweepError } = await import(${JSON.stringify(NATIVE)});
    try { NativeListener.open({ repeatMs: 1000 }); console.log(JSON.stringify({ opened: true })); }
    catch (e) { console.log(JSON.stringify({ name: e.name, listener: e instanceof NativeListenerError, sweep: e instanceof NativeSweepError, errno: e.errno, message: e.message })); }`;
  const r = Bun.spawnSync(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", process.execPath, "-e", script], { env: { HOME: "/tmp", PATH: process.env.PATH ?? "" } });
  expect(r.exitCode).toBe(0);
  const out = JSON.parse(r.stdout.toString().trim());
  expect(out).toEqual({ name: "NativeListenerError", listener: true, sweep: false, errno: 1, message: "cannot open the passive listener: EPERM (1)" });
});
