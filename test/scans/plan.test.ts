// planScan: the one place a scan request (subnet or none, profile, configuration) becomes parsed
// targets, exclusions and a resolved profile. The API, `argus scan` and the manager rely on it.
import { afterAll, describe, expect, test } from "bun:test";
import { DEFAULT_CONFIG, type AppConfig } from "../../src/config/app-config.ts";
import { formatIpv4 } from "../../src/net/ip.ts";
import { TargetError } from "../../src/net/targets.ts";
import { ProfileError } from "../../src/portscan/profiles.ts";
import { openDatabase } from "../../src/db/database.ts";
import { ScanManager } from "../../src/scans/manager.ts";
import { noopSink } from "../../src/notify/sink.ts";
import type { PipelineInput } from "../../src/scans/pipeline.ts";
import { NoSubnetError, planScan } from "../../src/scans/plan.ts";
import { Scratch } from "../helpers/scratch.ts";

const config = (patch: Partial<AppConfig> = {}): AppConfig => ({ ...DEFAULT_CONFIG, ...patch });

function targetError(fn: () => unknown): TargetError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TargetError);
    return e as TargetError;
  }
  throw new Error("expected a TargetError");
}

describe("planScan", () => {
  test("no subnet: the confirmed ones, canonical, with the configured exclusions applied", () => {
    const plan = planScan({ kind: "network" }, config({ subnets: ["10.9.1.0/29", "10.9.2.7/30"], exclude: ["10.9.1.3", "AA-BB-CC-DD-EE-FF"] }));
    expect(plan.kind).toBe("network");
    expect(plan.profile.name).toBe("quick");
    expect(plan.subnet).toBe("10.9.1.0/29,10.9.2.4/30");
    expect(plan.targets.cidrs.map((c) => c.text)).toEqual(["10.9.1.0/29", "10.9.2.4/30"]);
    expect(plan.targets.addresses.map(formatIpv4)).toEqual(["10.9.1.1", "10.9.1.2", "10.9.1.4", "10.9.1.5", "10.9.1.6", "10.9.2.5", "10.9.2.6"]);
    expect([...plan.targets.exclusions.macs]).toEqual(["aa:bb:cc:dd:ee:ff"]);
  });

  test("no subnet and none confirmed: NoSubnetError, whatever the profile", () => {
    expect(() => planScan({ kind: "network" }, config())).toThrow(NoSubnetError);
    expect(() => planScan({ kind: "network", profile: "normal" }, config())).toThrow("No subnet confirmed yet");
  });

  test("an explicit subnet wins over the confirmed ones and is checked like any target", () => {
    const plan = planScan({ kind: "network", subnet: "192.168.7.9/30", profile: "normal" }, config({ subnets: ["10.9.1.0/24"] }));
    expect(plan.subnet).toBe("192.168.7.8/30");
    expect(plan.profile).toMatchObject({ name: "normal", port_scan: true });
    expect(targetError(() => planScan({ kind: "network", subnet: "8.8.8.0/24" }, config())).field).toBe("subnet");
    expect(planScan({ kind: "network", subnet: "8.8.8.0/24" }, config({ allow_public_ranges: true })).subnet).toBe("8.8.8.0/24");
  });

  test("a subnet with surrounding whitespace or a newline is refused, not trimmed", () => {
    for (const subnet of [" 10.9.1.0/24", "10.9.1.0/24 ", "10.9.1.0/24\n", "10.9.1.0/24,\n10.9.2.0/24"]) {
      const e = targetError(() => planScan({ kind: "network", subnet }, config()));
      expect(e.field).toBe("subnet");
      expect(e.reason).toMatch(/whitespace/);
    }
  });

  test("a device scan is one address, 'normal' by default; a subnet there is refused", () => {
    const plan = planScan({ kind: "device", ip: "10.9.1.20" }, config());
    expect(plan).toMatchObject({ kind: "device", subnet: "10.9.1.20/32" });
    expect(plan.profile.name).toBe("normal");
    expect(plan.targets.addresses.map(formatIpv4)).toEqual(["10.9.1.20"]);
    expect(targetError(() => planScan({ kind: "device", ip: "10.9.1.0/24" }, config())).field).toBe("ip");
    expect(targetError(() => planScan({ kind: "device", ip: "10.9.1.20 " }, config())).reason).toMatch(/whitespace/);
  });

  test("profiles resolve against the configuration: port range and custom profiles", () => {
    const cfg = config({ port_range: "22,80", profiles: [{ name: "web", ports: "80,443" }] });
    expect(planScan({ kind: "network", subnet: "10.9.1.0/24", profile: "normal" }, cfg).profile.ports).toEqual([22, 80]);
    expect(planScan({ kind: "network", subnet: "10.9.1.0/24", profile: "web" }, cfg).profile.ports).toEqual([80, 443]);
    expect(() => planScan({ kind: "network", subnet: "10.9.1.0/24", profile: "turbo" }, cfg)).toThrow(ProfileError);
  });
});

describe("the scan manager runs the plan it is given", () => {
  const scratch = new Scratch();
  afterAll(() => scratch.clear());

  test("the pipeline gets the plan's targets as they are; the scan records the plan's subnet", async () => {
    const db = openDatabase(scratch.dir("argus-plan-"));
    const inputs: PipelineInput[] = [];
    const pipeline = async (input: PipelineInput) => {
      inputs.push(input);
      return { observations: [], hostsTotal: input.targets.addresses.length, portsScanned: 0, complete: true, degraded: false };
    };
    const manager = new ScanManager(db, () => DEFAULT_CONFIG, noopSink, pipeline);
    const plan = planScan({ kind: "network", subnet: "10.9.1.0/29,10.9.1.0/30" }, config({ exclude: ["10.9.1.1"] }));
    const started = manager.start(plan);
    await manager.idle();
    expect(inputs).toHaveLength(1);
    expect(inputs[0].targets).toBe(plan.targets);
    expect(inputs[0].profile).toBe(plan.profile);
    expect(started.subnet).toBe("10.9.1.0/29,10.9.1.0/30");
    expect(db.query("SELECT subnet, hosts_total, status FROM scans WHERE id = ?").get(started.scan_id)).toEqual({ subnet: "10.9.1.0/29,10.9.1.0/30", hosts_total: 5, status: "completed" });
    db.close();
  });
});
