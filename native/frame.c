/*
 * ARP and ICMP frame building and decoding. Received frames are
 * attacker-controlled: every read goes through need(), which checks the
 * remaining length first; nothing here trusts a length field it has not
 * compared with the real buffer size.
 */
#include <string.h>
#include "internal.h"

#define ETHERTYPE_TRAIL 0x1000 /* RFC 893 trailer encapsulation, still seen in ar$pro */

struct cursor {
	const uint8_t *p;
	size_t left;
};

static int need(const struct cursor *c, size_t n) { return c->left >= n; }

static uint16_t be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }

static void skip(struct cursor *c, size_t n)
{
	c->p += n;
	c->left -= n;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t be32(const uint8_t *p) { return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3]; }

int argus_decode_arp(const uint8_t *frame, size_t len, struct argus_arp_info *out)
{
	if (!frame || !out)
		return ARGUS_DECODE_TOO_SHORT;
	memset(out, 0, sizeof *out);
	out->vlan_id = 0xffff;
	if (len >= ETH_HLEN_) {
		memcpy(out->eth_dst, frame, 6);
		memcpy(out->eth_src, frame + 6, 6);
	}
	struct ether eth;
	int st = ether_walk(frame, len, &eth);
	out->vlan_id = eth.vlan_id;
	out->flags |= eth.flags;
	if (st != ARGUS_DECODE_OK)
		return st;
	struct cursor c = { eth.payload, eth.left };
	uint16_t type = eth.type;
	if (type != ETHERTYPE_ARP)
		return ARGUS_DECODE_NOT_ARP;

	out->arp_offset = (uint16_t)(c.p - frame);
	if (!need(&c, 8))
		return ARGUS_DECODE_TOO_SHORT;
	uint16_t pro = be16(c.p + 2);
	uint8_t hln = c.p[4], pln = c.p[5];
	out->op = be16(c.p + 6);
	/* Only Ethernet-sized hardware and IPv4-sized protocol addresses: the
	 * lengths decide where every later field is, so anything else is refused
	 * rather than guessed. Hardware type is not checked (IEEE 802 = 6 is
	 * used by some Token Ring bridges and arp-scan accepts it too). */
	if (hln != 6 || pln != 4)
		return ARGUS_DECODE_MALFORMED;
	if (pro != ETHERTYPE_IP && pro != ETHERTYPE_TRAIL)
		return ARGUS_DECODE_MALFORMED;
	if (pro == ETHERTYPE_TRAIL)
		out->flags |= ARGUS_F_TRAILER;
	if (!need(&c, ARP_PKT_LEN))
		return ARGUS_DECODE_TOO_SHORT;
	memcpy(out->sender_mac, c.p + 8, 6);
	memcpy(out->sender_ip, c.p + 14, 4);
	memcpy(out->target_mac, c.p + 18, 6);
	memcpy(out->target_ip, c.p + 24, 4);
	if (c.left > ARP_PKT_LEN)
		out->flags |= ARGUS_F_PADDED;

	if (memcmp(out->eth_src, out->sender_mac, 6) != 0)
		out->flags |= ARGUS_F_DIFF_FRAME_ADDR;
	if (out->sender_mac[0] & 0x02)
		out->flags |= ARGUS_F_LOCAL_ADMIN;
	if (out->sender_mac[0] & 0x01)
		out->flags |= ARGUS_F_MULTICAST_SENDER;
	return ARGUS_DECODE_OK;
}

int argus_decode_icmp(const uint8_t *pkt, size_t len, int has_ip_header, struct argus_icmp_info *out)
{
	if (!pkt || !out)
		return ARGUS_DECODE_TOO_SHORT;
	memset(out, 0, sizeof *out);
	struct cursor c = { pkt, len };
	if (has_ip_header) {
		if (!need(&c, 20))
			return ARGUS_DECODE_TOO_SHORT;
		if ((c.p[0] >> 4) != 4)
			return ARGUS_DECODE_MALFORMED;
		size_t ihl = (size_t)(c.p[0] & 0x0f) * 4;
		size_t total = be16(c.p + 2);
		if (ihl < 20 || total < ihl)
			return ARGUS_DECODE_MALFORMED;
		if (!need(&c, ihl))
			return ARGUS_DECODE_TOO_SHORT;
		if (c.p[9] != 1)
			return ARGUS_DECODE_NOT_ARP;
		/* Fragments cannot carry a complete echo header we sent (24 bytes). */
		if ((be16(c.p + 6) & 0x3fff) != 0)
			return ARGUS_DECODE_MALFORMED;
		memcpy(out->src_ip, c.p + 12, 4);
		if (total < c.left)
			c.left = total; /* ignore link-layer padding */
		skip(&c, ihl);
	}
	if (!need(&c, 8))
		return ARGUS_DECODE_TOO_SHORT;
	out->type = c.p[0];
	out->code = c.p[1];
	out->id = be16(c.p + 4);
	out->seq = be16(c.p + 6);
	skip(&c, 8);
	out->payload = (uint16_t)(c.left > 0xffff ? 0xffff : c.left);
	out->token = 0xffffffffu;
	if (need(&c, 16) && be32(c.p) == ICMP_MAGIC) {
		out->token = be32(c.p + 4);
		out->sent_us = ((uint64_t)be32(c.p + 8) << 32) | be32(c.p + 12);
	}
	return ARGUS_DECODE_OK;
}

size_t frame_build_arp_request(uint8_t *buf, size_t cap, const uint8_t src_mac[6], uint32_t src_ip, uint32_t target_ip)
{
	if (cap < ARP_FRAME_LEN)
		return 0;
	memset(buf, 0xff, 6);
	memcpy(buf + 6, src_mac, 6);
	put16(buf + 12, ETHERTYPE_ARP);
	uint8_t *a = buf + ETH_HLEN_;
	put16(a, 1);
	put16(a + 2, ETHERTYPE_IP);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 1);
	memcpy(a + 8, src_mac, 6);
	put32(a + 14, src_ip);
	memset(a + 18, 0, 6);
	put32(a + 24, target_ip);
	return ARP_FRAME_LEN;
}

static uint16_t inet_checksum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += be16(p + i);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

size_t frame_build_icmp_echo(uint8_t *buf, size_t cap, uint16_t id, uint16_t seq, uint32_t token, uint64_t t_us)
{
	if (cap < ICMP_ECHO_LEN)
		return 0;
	memset(buf, 0, ICMP_ECHO_LEN);
	buf[0] = 8; /* echo request */
	put16(buf + 4, id);
	put16(buf + 6, seq);
	put32(buf + 8, ICMP_MAGIC);
	put32(buf + 12, token);
	put32(buf + 16, (uint32_t)(t_us >> 32));
	put32(buf + 20, (uint32_t)t_us);
	put16(buf + 2, inet_checksum(buf, ICMP_ECHO_LEN));
	return ICMP_ECHO_LEN;
}
