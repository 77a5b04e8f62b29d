/*
 * The ABI the TypeScript side reads records by: its version, and the size and
 * field offsets of every record that crosses the FFI, as the compiler laid them
 * out. The loader (src/net/native-loader.ts) compares them with the offsets it
 * reads at, so a change on one side that the other missed fails at load with
 * the field's name, not as garbage read from the wrong bytes.
 */
#include "internal.h"

uint32_t argus_abi_version(void) { return ARGUS_ABI_VERSION; }

static const struct {
	const char *name;
	uint32_t value;
} layout[] = {
	{ "arp_info", sizeof(struct argus_arp_info) },
	{ "arp_info.eth_dst", offsetof(struct argus_arp_info, eth_dst) },
	{ "arp_info.eth_src", offsetof(struct argus_arp_info, eth_src) },
	{ "arp_info.sender_mac", offsetof(struct argus_arp_info, sender_mac) },
	{ "arp_info.target_mac", offsetof(struct argus_arp_info, target_mac) },
	{ "arp_info.sender_ip", offsetof(struct argus_arp_info, sender_ip) },
	{ "arp_info.target_ip", offsetof(struct argus_arp_info, target_ip) },
	{ "arp_info.op", offsetof(struct argus_arp_info, op) },
	{ "arp_info.vlan_id", offsetof(struct argus_arp_info, vlan_id) },
	{ "arp_info.flags", offsetof(struct argus_arp_info, flags) },
	{ "icmp_info", sizeof(struct argus_icmp_info) },
	{ "icmp_info.src_ip", offsetof(struct argus_icmp_info, src_ip) },
	{ "icmp_info.id", offsetof(struct argus_icmp_info, id) },
	{ "icmp_info.seq", offsetof(struct argus_icmp_info, seq) },
	{ "icmp_info.token", offsetof(struct argus_icmp_info, token) },
	{ "icmp_info.type", offsetof(struct argus_icmp_info, type) },
	{ "icmp_info.code", offsetof(struct argus_icmp_info, code) },
	{ "sweep_config", sizeof(struct argus_sweep_config) },
	{ "sweep_config.rate_pps", offsetof(struct argus_sweep_config, rate_pps) },
	{ "sweep_config.retries", offsetof(struct argus_sweep_config, retries) },
	{ "sweep_config.timeout_ms", offsetof(struct argus_sweep_config, timeout_ms) },
	{ "sweep_config.floor_ms", offsetof(struct argus_sweep_config, floor_ms) },
	{ "sweep_config.src_ip", offsetof(struct argus_sweep_config, src_ip) },
	{ "sweep_config.flags", offsetof(struct argus_sweep_config, flags) },
	{ "sweep_config.icmp_id", offsetof(struct argus_sweep_config, icmp_id) },
	{ "sweep_config.linger_ms", offsetof(struct argus_sweep_config, linger_ms) },
	{ "sweep_result", sizeof(struct argus_sweep_result) },
	{ "sweep_result.ip", offsetof(struct argus_sweep_result, ip) },
	{ "sweep_result.mac", offsetof(struct argus_sweep_result, mac) },
	{ "sweep_result.method", offsetof(struct argus_sweep_result, method) },
	{ "sweep_result.attempt", offsetof(struct argus_sweep_result, attempt) },
	{ "sweep_result.rtt_us", offsetof(struct argus_sweep_result, rtt_us) },
	{ "sweep_result.flags", offsetof(struct argus_sweep_result, flags) },
	{ "sweep_result.dups", offsetof(struct argus_sweep_result, dups) },
	{ "sweep_progress", sizeof(struct argus_sweep_progress) },
	{ "sighting", sizeof(struct argus_sighting) },
	{ "sighting.mac", offsetof(struct argus_sighting, mac) },
	{ "sighting.source", offsetof(struct argus_sighting, source) },
	{ "sighting.dhcp_type", offsetof(struct argus_sighting, dhcp_type) },
	{ "sighting.ip", offsetof(struct argus_sighting, ip) },
	{ "sighting.aux_ip", offsetof(struct argus_sighting, aux_ip) },
	{ "sighting.ifindex", offsetof(struct argus_sighting, ifindex) },
	{ "sighting.flags", offsetof(struct argus_sighting, flags) },
	{ "sighting.arp_op", offsetof(struct argus_sighting, arp_op) },
	{ "sighting.dhcp_op", offsetof(struct argus_sighting, dhcp_op) },
	{ "sighting.hostname_len", offsetof(struct argus_sighting, hostname_len) },
	{ "sighting.prl_len", offsetof(struct argus_sighting, prl_len) },
	{ "sighting.vendor_len", offsetof(struct argus_sighting, vendor_len) },
	{ "sighting.services_len", offsetof(struct argus_sighting, services_len) },
	{ "sighting.model_len", offsetof(struct argus_sighting, model_len) },
	{ "sighting.mdns_response", offsetof(struct argus_sighting, mdns_response) },
	{ "sighting.seen_us", offsetof(struct argus_sighting, seen_us) },
	{ "sighting.hostname", offsetof(struct argus_sighting, hostname) },
	{ "sighting.prl", offsetof(struct argus_sighting, prl) },
	{ "sighting.vendor", offsetof(struct argus_sighting, vendor) },
	{ "sighting.services", offsetof(struct argus_sighting, services) },
	{ "sighting.model", offsetof(struct argus_sighting, model) },
	{ "sighting.eth_src", offsetof(struct argus_sighting, eth_src) },
	{ "sighting.server_id", offsetof(struct argus_sighting, server_id) },
	{ "sighting.src_ip", offsetof(struct argus_sighting, src_ip) },
	{ "sighting.ip6", offsetof(struct argus_sighting, ip6) },
	{ "sighting.aux_ip6", offsetof(struct argus_sighting, aux_ip6) },
	{ "sighting.nd_type", offsetof(struct argus_sighting, nd_type) },
	{ "sighting.nd_flags", offsetof(struct argus_sighting, nd_flags) },
	{ "sighting.duid_mac", offsetof(struct argus_sighting, duid_mac) },
	{ "listen_stats", sizeof(struct argus_listen_stats) },
	{ "probe_reply", sizeof(struct argus_probe_reply) },
	{ "probe_reply.ip", offsetof(struct argus_probe_reply, ip) },
	{ "probe_reply.mac", offsetof(struct argus_probe_reply, mac) },
	{ "probe_reply.flags", offsetof(struct argus_probe_reply, flags) },
	{ "nd6_reply", sizeof(struct argus_nd6_reply) },
	{ "nd6_reply.ip6", offsetof(struct argus_nd6_reply, ip6) },
	{ "nd6_reply.mac", offsetof(struct argus_nd6_reply, mac) },
	{ "nd6_reply.type", offsetof(struct argus_nd6_reply, type) },
	{ "nd6_reply.nd_flags", offsetof(struct argus_nd6_reply, nd_flags) },
	{ "nd6_reply.flags", offsetof(struct argus_nd6_reply, flags) },
};

ARGUS_API uint32_t argus_layout_count(void) { return (uint32_t)(sizeof layout / sizeof layout[0]); }

ARGUS_API const char *argus_layout_entry(uint32_t i, uint32_t *value)
{
	if (i >= argus_layout_count() || !value)
		return NULL;
	*value = layout[i].value;
	return layout[i].name;
}
