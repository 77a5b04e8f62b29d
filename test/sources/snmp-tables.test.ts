// The IP-MIB neighbour tables turned into observations, row by row: what is kept, and every kind of
// row an agent (or something pretending to be one) can send that must be skipped.
import { describe, expect, test } from "bun:test";
import { IF_DESCR, IF_NAME, interfaceNames, IP_NET_TO_MEDIA, IP_NET_TO_PHYSICAL, macOf, NeighbourRows } from "../../src/sources/snmp-tables.ts";

const mac = (s: string) => Buffer.from(s.replaceAll(":", ""), "hex");
const phys = (col: number, index: string, value: unknown) => ({ oid: `${IP_NET_TO_PHYSICAL}.${col}.${index}`, value });

/** One physical-table row: ifIndex, ipv4 address, MAC, type, state. */
function physRow(rows: NeighbourRows, ifIndex: number, ip: string, m: string, type = 3, state = 1) {
  const index = `${ifIndex}.1.4.${ip}`;
  rows.add(phys(4, index, mac(m)));
  rows.add(phys(6, index, type));
  rows.add(phys(7, index, state));
}

describe("ipNetToPhysicalTable rows", () => {
  test("a reachable dynamic row becomes an observation on its interface", () => {
    const rows = new NeighbourRows("physical", 100);
    physRow(rows, 3, "10.232.0.10", "02:a7:02:00:00:01");
    expect(rows.observations(new Map([[3, "vlan20"]]))).toEqual([{ mac: "02:a7:02:00:00:01", ip: "10.232.0.10", hostname: null, attached_to: "vlan20" }]);
  });

  test("an IPv6 neighbour is formatted as IPv6", () => {
    const rows = new NeighbourRows("physical", 100);
    const index = `2.2.16.${[0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10].join(".")}`;
    rows.add(phys(4, index, mac("02:a7:02:00:00:09")));
    expect(rows.observations(new Map())).toEqual([{ mac: "02:a7:02:00:00:09", ip: "fd00::10", hostname: null, attached_to: null }]);
  });

  test("invalid type, incomplete or invalid state, and zero, broadcast, multicast or short MACs are skipped", () => {
    const rows = new NeighbourRows("physical", 100);
    physRow(rows, 3, "10.0.0.1", "02:00:00:00:00:01", 2); // type invalid
    physRow(rows, 3, "10.0.0.2", "02:00:00:00:00:02", 3, 7); // incomplete
    physRow(rows, 3, "10.0.0.3", "02:00:00:00:00:03", 3, 5); // invalid state
    physRow(rows, 3, "10.0.0.4", "00:00:00:00:00:00");
    physRow(rows, 3, "10.0.0.5", "ff:ff:ff:ff:ff:ff");
    physRow(rows, 3, "10.0.0.6", "01:00:5e:00:00:fb");
    rows.add(phys(4, "3.1.4.10.0.0.7", Buffer.from([2, 0, 0, 0])));
    rows.add(phys(4, "3.1.4.10.0.0.8", "02:00:00:00:00:08")); // a string, not an octet string
    physRow(rows, 3, "10.0.0.9", "02:00:00:00:00:09", 3, 2); // stale is kept
    expect(rows.observations(new Map()).map((o) => o.ip)).toEqual(["10.0.0.9"]);
  });

  test("indexes that do not parse are counted, not guessed at", () => {
    const rows = new NeighbourRows("physical", 100);
    rows.add(phys(4, "3.1.5.10.0.0.1", mac("02:00:00:00:00:01"))); // length 5 for ipv4
    rows.add(phys(4, "3.1.4.10.0.0", mac("02:00:00:00:00:01"))); // short
    rows.add(phys(4, "3.1.4.10.0.0.300", mac("02:00:00:00:00:01"))); // not an octet
    rows.add(phys(4, "0.1.4.10.0.0.1", mac("02:00:00:00:00:01"))); // ifIndex 0
    rows.add({ oid: "1.3.6.1.2.1.4.35.1", value: 1 });
    rows.add({ oid: `${IP_NET_TO_PHYSICAL}.4.x.1`, value: 1 });
    expect(rows.size).toBe(0);
    expect(rows.unparsed).toBe(6);
  });

  test("the row bound: add says false once a new row would pass it", () => {
    const rows = new NeighbourRows("physical", 2);
    expect(rows.add(phys(4, "3.1.4.10.0.0.1", mac("02:00:00:00:00:01")))).toBe(true);
    expect(rows.add(phys(4, "3.1.4.10.0.0.2", mac("02:00:00:00:00:02")))).toBe(true);
    // Another column of a known row is not a new row.
    expect(rows.add(phys(6, "3.1.4.10.0.0.2", 3))).toBe(true);
    expect(rows.add(phys(4, "3.1.4.10.0.0.3", mac("02:00:00:00:00:03")))).toBe(false);
    expect(rows.size).toBe(2);
  });
});

describe("ipNetToMediaTable rows", () => {
  test("ifIndex.a.b.c.d rows, invalid type skipped", () => {
    const rows = new NeighbourRows("media", 100);
    rows.add({ oid: `${IP_NET_TO_MEDIA}.2.4.192.168.20.7`, value: mac("00:11:32:aa:bb:cc") });
    rows.add({ oid: `${IP_NET_TO_MEDIA}.4.4.192.168.20.7`, value: 3 });
    rows.add({ oid: `${IP_NET_TO_MEDIA}.2.4.192.168.20.8`, value: mac("00:11:32:aa:bb:cd") });
    rows.add({ oid: `${IP_NET_TO_MEDIA}.4.4.192.168.20.8`, value: 2 });
    expect(rows.observations(new Map([[4, "eth1.20"]]))).toEqual([{ mac: "00:11:32:aa:bb:cc", ip: "192.168.20.7", hostname: null, attached_to: "eth1.20" }]);
  });
});

describe("interface names", () => {
  test("ifName first, ifDescr for the rest; invisible characters removed and length bounded", () => {
    const names = interfaceNames([{ oid: `${IF_NAME}.2`, value: Buffer.from("eth0") }, { oid: `${IF_NAME}.3`, value: Buffer.from("vl\u202ean20") }], IF_NAME);
    interfaceNames([{ oid: `${IF_DESCR}.2`, value: Buffer.from("Intel NIC") }, { oid: `${IF_DESCR}.5`, value: Buffer.from("x".repeat(300)) }], IF_DESCR, names);
    expect(names.get(2)).toBe("eth0");
    expect(names.get(3)).toBe("vlan20");
    expect(names.get(5)).toBe("x".repeat(64));
  });

  test("macOf wants six octets of unicast", () => {
    expect(macOf(mac("02:A7:00:00:00:01"))).toBe("02:a7:00:00:00:01");
    expect(macOf(mac("03:a7:00:00:00:01"))).toBeNull();
    expect(macOf(null)).toBeNull();
  });
});
