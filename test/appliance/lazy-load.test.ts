// What the appliance loads at start and what it leaves until it is needed (issue 17, "Memory"):
// the channel libraries (mqtt, nodemailer) and prom-client are loaded only once a channel of that
// kind exists or /metrics is read; the MAC vendor table is read at start, before any lookup, and
// without blocking; the OpenAPI generator only for the document. Checked in a child process (fixtures/lazy-load-child.ts): this process's module
// cache is shared with whatever else the runner loaded.
import { expect, test } from "bun:test";
import { resolve } from "node:path";

const none = { mqtt: false, nodemailer: false, "prom-client": false };

test("channel libraries load with their first channel, the vendor table at start", async () => {
  const child = Bun.spawn([process.execPath, resolve(import.meta.dir, "fixtures/lazy-load-child.ts")], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  if (code !== 0) throw new Error(`child exited with ${code}: ${err}`);
  const r = JSON.parse(out.trim().split("\n").pop()!);
  expect(r.atStart).toEqual(none);
  expect(r.vendorsBeforeStart).toBe(false);
  // Loaded by the server's start-up alone: nothing here looks a vendor up.
  expect(r.vendorsAfterStart).toBe(true);
  expect(r.afterUse).toEqual(none);
  // The OpenAPI generator: not loaded by starting; run from source, the first /openapi.json builds the
  // document with it (the binary serves the document built at build time and never loads it).
  expect(r.generatorAtStart).toBe(false);
  expect(r.generatorAfterDocument).toBe(true);
  expect(r.put).toBe(200);
  // The MQTT bridge starts with its channel; e-mail needs nodemailer only to send.
  expect(r.withChannels).toEqual({ mqtt: true, nodemailer: false, "prom-client": false });
  expect(r.testMail).toBe("failed");
  expect(r.afterMail).toEqual({ mqtt: true, nodemailer: true, "prom-client": false });
  expect(r.metrics).toBe(200);
  expect(r.afterMetrics).toEqual({ mqtt: true, nodemailer: true, "prom-client": true });
}, 60_000);
