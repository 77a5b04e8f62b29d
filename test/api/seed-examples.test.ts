// The API Authentication document's integration examples (Python, JavaScript, shell), run verbatim
// against a scanned test network. They run inside the scanner namespace, where the appliance listens
// on http://localhost:8080 exactly as the document assumes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { adminWithKey, type Client } from "../helpers/server.ts";
import { startNetServer, waitForScan, type NetServer } from "../helpers/netserver.ts";
import { requireRoot, startTestnet, type Testnet } from "../helpers/testnet.ts";

const root = requireRoot("runs the document's examples against a namespace test network");

const PYTHON = `import os
import requests

API_KEY = os.environ.get("ARGUS_API_KEY")
BASE_URL = "http://localhost:8080/api"

headers = {"X-API-Key": API_KEY}

# Get all devices
response = requests.get(f"{BASE_URL}/devices", headers=headers)
devices = response.json()

# Trigger a scan
response = requests.post(
    f"{BASE_URL}/scan/trigger",
    headers=headers,
    params={"profile": "quick"}
)
print(response.status_code, response.json()["scan_id"], len(devices))
`;

const ERROR_HANDLING = `import requests

response = requests.get(
    "http://localhost:8080/api/devices",
    headers={"X-API-Key": "argus_xxxxx"}
)

if response.status_code == 401:
    print("Authentication failed - check your API key")
elif response.status_code == 200:
    devices = response.json()
`;

const SHELL = `#!/bin/bash
API_KEY="\${ARGUS_API_KEY}"
BASE_URL="http://localhost:8080/api"

# Get device count
count=$(curl -s -H "X-API-Key: $API_KEY" "$BASE_URL/stats" | jq '.total_devices')
echo "Total devices: $count"
`;

const JAVASCRIPT = `const API_KEY = process.env.ARGUS_API_KEY;
const BASE_URL = "http://localhost:8080/api";

async function getDevices() {
  const response = await fetch(\`\${BASE_URL}/devices\`, {
    headers: { "X-API-Key": API_KEY }
  });
  return response.json();
}
console.log(JSON.stringify(await getDevices()));
`;

describe.skipIf(!root)("the API document's examples against a scanned network", () => {
  let net: Testnet;
  let server: NetServer;
  let api: Client;
  let key: string;
  let dir: string;

  const inNs = async (cmd: string[]) => {
    const r = await net.exec(cmd.map((c) => c), { timeoutMs: 60_000 });
    if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed: ${r.stderr}`);
    return r.stdout;
  };

  beforeAll(async () => {
    net = await startTestnet({ hosts: 3 });
    // Consent: the subnet is confirmed in the configuration, as the document's trigger sends none.
    server = await startNetServer(net, { ARGUS_SUBNETS: net.truth.lan_subnet });
    ({ key } = await adminWithKey(server));
    api = server.client({ "X-API-Key": key });
    dir = mkdtempSync(join(tmpdir(), "argus-examples-"));
    for (const [name, body] of Object.entries({ "example.py": PYTHON, "errors.py": ERROR_HANDLING, "count.sh": SHELL, "example.mjs": JAVASCRIPT })) {
      writeFileSync(join(dir, name), body, { mode: 0o755 });
    }
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await net?.down();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("Python: get all devices, then trigger a quick scan", async () => {
    const out = await inNs(["env", `ARGUS_API_KEY=${key}`, "/usr/bin/python3", join(dir, "example.py")]);
    const [status, scanId, before] = out.trim().split(" ");
    expect(status).toBe("202");
    expect(before).toBe("0");
    const done = await waitForScan(api, Number(scanId));
    expect(done.status).toBe("completed");
    expect(done.hosts_found).toBe(net.truth.hosts.length);
  }, 60_000);

  test("shell: the device count from /api/stats with jq", async () => {
    const out = await inNs(["env", `ARGUS_API_KEY=${key}`, "bash", join(dir, "count.sh")]);
    expect(out.trim()).toBe(`Total devices: ${net.truth.hosts.length}`);
  });

  test("JavaScript: getDevices() returns the scanned devices", async () => {
    const out = await inNs(["env", `ARGUS_API_KEY=${key}`, process.execPath, join(dir, "example.mjs")]);
    const devices = JSON.parse(out);
    expect(devices.map((d: any) => d.mac_address).sort()).toEqual(net.truth.hosts.map((h) => h.mac).sort());
  });

  test("Python error handling: a bad key prints the document's message", async () => {
    const out = await inNs(["/usr/bin/python3", join(dir, "errors.py")]);
    expect(out.trim()).toBe("Authentication failed - check your API key");
  });
});
