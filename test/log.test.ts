// Log lines: one per event, with a level; journald gets sd-daemon priorities instead of a time.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";

const LOG = join(import.meta.dir, "../src/log.ts");

async function logLines(env: Record<string, string>): Promise<string[]> {
  const script = `import { log, setLogLevel } from ${JSON.stringify(LOG)}; setLogLevel("debug");
log.debug("d"); log.info("scan finished", { scan_id: 3, subnet: "10.0.0.0/24" }); log.warn("w"); log.error("e");`;
  const proc = Bun.spawn([process.execPath, "-e", script], { env: { PATH: process.env.PATH ?? "", ...env }, stdout: "pipe", stderr: "pipe" });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return [...out.trim().split("\n"), ...err.trim().split("\n")];
}

describe("log lines", () => {
  test("run by hand: time, level, message and fields on one line; warnings and errors on stderr", async () => {
    const [debug, info, warn, error] = await logLines({});
    expect(debug).toMatch(/^time=\d{4}-\d\d-\d\dT[\d:.]+Z level=debug msg="d"$/);
    expect(info).toMatch(/^time=\S+ level=info msg="scan finished" scan_id=3 subnet="10\.0\.0\.0\/24"$/);
    expect(warn).toMatch(/^time=\S+ level=warn msg="w"$/);
    expect(error).toMatch(/^time=\S+ level=error msg="e"$/);
  });

  test("under systemd: sd-daemon priorities so journalctl -p can filter, no time of our own", async () => {
    const lines = await logLines({ JOURNAL_STREAM: "8:12345" });
    expect(lines).toEqual(["<7>level=debug msg=\"d\"", '<6>level=info msg="scan finished" scan_id=3 subnet="10.0.0.0/24"', '<4>level=warn msg="w"', '<3>level=error msg="e"']);
  });
});
