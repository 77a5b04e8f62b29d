// The one error a sweep raises when the process may not open raw sockets.

export const RAW_PRIVILEGE_HELP =
  "ARP and ICMP sweeps need the CAP_NET_RAW capability: run as root, grant it to the binary with " +
  "`setcap cap_net_raw+ep <path-to-argus>`, or run the systemd unit with AmbientCapabilities=CAP_NET_RAW";

export class RawSocketPermissionError extends Error {
  constructor(readonly errno: number) {
    super(`Raw sockets are not permitted (${errno === 13 ? "EACCES" : "EPERM"}). ${RAW_PRIVILEGE_HELP}.`);
    this.name = "RawSocketPermissionError";
  }
}

/** What the degraded mode can and cannot do over IPv6. */
export const IPV6_DEGRADED =
  "IPv6: no ICMPv6 echo to all nodes and no neighbour solicitations are sent (both need raw sockets), and neighbour discovery is not heard either, so no new IPv6 address is learnt; devices keep the IPv6 addresses already recorded.";

/** What the degraded mode cannot do and how to fix it, said once. */
export function degradedNotice(icmpDatagram: boolean): string {
  const found = icmpDatagram
    ? "the kernel neighbour table (after prompting it with UDP datagrams) and unprivileged ICMP echo"
    : "the kernel neighbour table (after prompting it with UDP datagrams); ICMP echo is unavailable too (net.ipv4.ping_group_range excludes this group)";
  return `Discovery is degraded: no ARP sweep and no raw ICMP because CAP_NET_RAW is missing; hosts are found through ${found}, so routed hosts and hosts that ignore unsolicited traffic may be missed. ${IPV6_DEGRADED} To fix: ${RAW_PRIVILEGE_HELP}.`;
}
