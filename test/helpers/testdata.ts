// Where the tests find captures: the shared arp-scan test vectors beside the repository
// (../shared/testdata/ next to the project root, as on the development machines), and the
// project's own odd frames committed under test/net/fixtures/ (present on every machine).
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { requireThat } from "./require.ts";

const REPO = resolve(import.meta.dir, "../..");
export const ARP_TESTDATA = resolve(REPO, "../shared/testdata/arp-scan");
export const OWN_FRAMES = join(REPO, "test", "net", "fixtures");

/**
 * True when the shared captures are there. Otherwise says why the caller skips, and under CI=true
 * throws: CI checks out the shared material beside the project, so a missing directory is a broken run.
 */
export function haveSharedCaptures(): boolean {
  return requireThat(existsSync(ARP_TESTDATA) && readdirSync(ARP_TESTDATA).some((f) => f.endsWith(".pcap")), `the shared arp-scan captures at ${ARP_TESTDATA} (../shared/testdata/arp-scan beside the project)`);
}
