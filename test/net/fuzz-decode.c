/*
 * Sanitizer harness for the frame decoders, the sweep's receive path and the
 * passive listener's decode/queue path,
 * built by test/net/sanitize.test.ts with -fsanitize=address,undefined
 * together with every native C file. Reads hex frames (one per line) on stdin; each
 * frame, every truncation of it and many random mutations are decoded from
 * heap buffers of exactly their length, so any read past the end aborts.
 * Prints "ok <decoded> <rejected> <answered> <sighted> <queued> <server replies> <spoof hints> <IPv6 answers>
 * <DHCPv6 sightings> <IPv6 mDNS sightings>" on success; aborts when a sighting's sender is not the
 * frame's Ethernet source, or a DHCPv6 or IPv6 mDNS sighting names another MAC than it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../native/argus.h"

static unsigned long ok_count, rejected, sighted, servers, spoof_hints, nd6_answers, dhcp6, mdns6, ndp_ext;
static argus_sweep *offline;
static argus_listener *listener;

static void decode_exact(const uint8_t *src, size_t len)
{
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf)
		abort();
	memcpy(buf, src, len);
	struct argus_arp_info a;
	struct argus_icmp_info ic;
	if (argus_decode_arp(buf, len, &a) == ARGUS_DECODE_OK)
		ok_count++;
	else
		rejected++;
	(void)argus_decode_icmp(buf, len, 1, &ic);
	(void)argus_decode_icmp(buf, len, 0, &ic);
	(void)argus_sweep_inject(offline, ARGUS_METHOD_ARP, buf, len);
	(void)argus_sweep_inject(offline, ARGUS_METHOD_ICMP, buf, len);
	struct argus_sighting s;
	if (argus_decode_sighting(buf, len, &s) == ARGUS_DECODE_OK) {
		sighted++;
		/* The sender's address is the frame's own Ethernet source, whatever the payload claims. */
		if (len < 12 || memcmp(s.eth_src, buf + 6, 6) != 0)
			abort();
		if (s.source == ARGUS_SRC_DHCP && s.dhcp_op == 2) {
			if (s.dhcp_type != 2 && s.dhcp_type != 5 && s.dhcp_type != 6)
				abort(); /* only OFFER, ACK and NAK of a server are passed up */
			if (s.server_id[0] | s.server_id[1] | s.server_id[2] | s.server_id[3])
				servers++;
		}
		if (memcmp(s.eth_src, s.mac, 6) != 0)
			spoof_hints++;
		static const uint8_t none6[16];
		int has_ip6 = memcmp(s.ip6, none6, 16) != 0;
		if (s.source == ARGUS_SRC_DHCP6 || (s.source == ARGUS_SRC_MDNS && has_ip6)) {
			/* DHCPv6 and IPv6 mDNS speak only for the Ethernet source, from a unicast IPv6 source. */
			if (memcmp(s.mac, s.eth_src, 6) != 0 || !has_ip6 || s.ip6[0] == 0xff)
				abort();
			if (s.source == ARGUS_SRC_DHCP6)
				dhcp6++;
			else
				mdns6++;
		}
		if (s.source == ARGUS_SRC_NDP && (s.nd_flags & ARGUS_ND_EXT_HEADERS)) {
			/* NDP behind extension headers: still the Ethernet source's unicast IPv6 source. */
			if (!has_ip6 || s.ip6[0] == 0xff || s.nd_type < 133 || s.nd_type > 136)
				abort();
			ndp_ext++;
		}
		if (s.hostname_len > sizeof s.hostname || s.services_len > sizeof s.services || s.prl_len > sizeof s.prl)
			abort();
	}
	(void)argus_listen_inject(listener, 1, buf, len);
	struct argus_nd6_reply r6;
	if (argus_decode_nd6_reply(buf, len, 0x4142, &r6) == ARGUS_DECODE_OK) {
		nd6_answers++;
		/* An IPv6 answer is evidence only for the frame's own Ethernet source. */
		if (len < 12 || memcmp(r6.mac, buf + 6, 6) != 0 || (r6.type != 129 && r6.type != 136))
			abort();
	}
	free(buf);
}

int main(void)
{
	/* Targets covering the test vectors' senders (the shared captures, then
	 * the project's own odd frames in 10.231.0.0/24) so frames reach the
	 * matching code, not only the decoder. */
	uint32_t targets[] = { 0x7f000001, 0xc0a80e01, 0xc0a80e02, 0xc0a80e87, 0xc0a80e88, 0xc0a80efe, 0xc0a80103, 0x0ae7000a, 0x0ae70012 };
	uint8_t methods[9] = { 0 };
	struct argus_sweep_config cfg = { .rate_pps = 1000000, .retries = 0, .timeout_ms = 60000, .floor_ms = 60000,
					  .linger_ms = 60000, .flags = ARGUS_SWEEP_OFFLINE };
	int32_t err = 0;
	offline = argus_sweep_open("", targets, methods, 9, &cfg, &err);
	if (!offline)
		return 2;
	argus_sweep_step(offline, 5);
	listener = argus_listen_open(ARGUS_LISTEN_OFFLINE, 1000, &err);
	if (!listener)
		return 2;
	int32_t ifindex = 1;
	argus_listen_set_ifaces(listener, &ifindex, 1);

	char line[8192];
	uint8_t frame[4096];
	unsigned seed = 1;
	while (fgets(line, sizeof line, stdin)) {
		size_t n = 0;
		for (char *p = line; p[0] && p[1] && n < sizeof frame; p += 2) {
			unsigned v;
			if (sscanf(p, "%2x", &v) != 1)
				break;
			frame[n++] = (uint8_t)v;
		}
		for (size_t len = 0; len <= n; len++)
			decode_exact(frame, len);
		for (int i = 0; i < 2000; i++) {
			uint8_t m[4096];
			size_t len = n ? (size_t)rand_r(&seed) % (n + 16) : 0;
			if (len > sizeof m)
				len = sizeof m;
			for (size_t k = 0; k < len; k++)
				m[k] = k < n ? frame[k] : (uint8_t)rand_r(&seed);
			for (int f = 0; f < 3 && len; f++)
				m[(size_t)rand_r(&seed) % len] = (uint8_t)rand_r(&seed);
			decode_exact(m, len);
		}
	}
	struct argus_sweep_result res[16];
	uint32_t got = argus_sweep_results(offline, 0, res, 16);
	argus_sweep_close(offline);
	struct argus_sighting queued[64];
	uint32_t drained = 0, n;
	while ((n = argus_listen_read(listener, queued, 64)) > 0)
		drained += n;
	argus_listen_close(listener);
	printf("ok %lu %lu %u %lu %u %lu %lu %lu %lu %lu %lu\n", ok_count, rejected, got, sighted, drained, servers, spoof_hints, nd6_answers, dhcp6, mdns6, ndp_ext);
	return 0;
}
