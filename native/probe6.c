/*
 * IPv6 neighbours, actively (src/net/sweep6.ts): on one interface, an ICMPv6 echo request to all
 * nodes (ff02::1) from one of our own addresses, so every host answers from its address of that
 * kind (link-local, ULA, global), and a neighbour solicitation to the solicited-node group of an
 * address already known, so its owner advertises it again. The answers are read back without
 * blocking; each speaks for one address and counts only for the MAC in its Ethernet source. The
 * socket comes from rawsock.c (bound to the interface, kernel filter for ICMPv6 echo replies and
 * neighbour advertisements), so a busy LAN wakes it only for those.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "internal.h"

#define IP6_HLEN 40
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129
#define ND_NEIGHBOR_SOLICIT 135
#define ND_NEIGHBOR_ADVERT 136
#define ND_OPT_TLLA 2
#define ECHO6_LEN 16 /* 8-byte header + magic + token */
#define NS_LEN 32    /* 8-byte header + target + source link-layer option */

struct argus_nd6 {
	int fd;
	int ifindex;
	uint8_t mac[6];
	uint16_t id; /* our echo identifier */
	uint64_t sent;
};

static uint16_t rd16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static int all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* A host address: neither :: nor multicast. */
static int unicast6(const uint8_t *a) { return a[0] != 0xff && !all_zero(a, 16); }

/* The ICMPv6 checksum over the pseudo-header (RFC 8200 §8.1) and the message. */
static uint16_t icmp6_checksum(const uint8_t *src, const uint8_t *dst, const uint8_t *msg, size_t len)
{
	uint32_t sum = 0;
	for (size_t i = 0; i < 16; i += 2)
		sum += rd16(src + i) + rd16(dst + i);
	sum += (uint32_t)len + 58;
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += rd16(msg + i);
	if (len & 1)
		sum += (uint32_t)msg[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Ethernet + IPv6 header for an ICMPv6 message of `len` bytes; returns where the message goes. */
static uint8_t *ip6_header(uint8_t *f, const uint8_t dst_mac[6], const uint8_t src_mac[6], const uint8_t *src, const uint8_t *dst, size_t len, uint8_t hops)
{
	memcpy(f, dst_mac, 6);
	memcpy(f + 6, src_mac, 6);
	wr16(f + 12, ETHERTYPE_IPV6);
	uint8_t *ip = f + ETH_HLEN_;
	memset(ip, 0, IP6_HLEN);
	ip[0] = 0x60;
	wr16(ip + 4, (uint16_t)len);
	ip[6] = 58;
	ip[7] = hops;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	return ip + IP6_HLEN;
}

ARGUS_API argus_nd6 *argus_nd6_open(const char *ifname, int32_t *err)
{
	int32_t dummy;
	if (!err)
		err = &dummy;
	*err = 0;
	struct argus_nd6 *p = calloc(1, sizeof *p);
	if (!p) {
		*err = ENOMEM;
		return NULL;
	}
	p->fd = -1;
	uint32_t ip4 = 0;
	int r = rawsock_iface(ifname, p->mac, &p->ifindex, &ip4);
	if (r == 0)
		r = rawsock_open_nd6(p->ifindex, &p->fd);
	if (r != 0) {
		*err = -r;
		free(p);
		return NULL;
	}
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	p->id = (uint16_t)(((uint32_t)getpid() * 2654435761u) ^ (uint32_t)ts.tv_nsec);
	return p;
}

ARGUS_API int argus_nd6_echo_all(argus_nd6 *p, const uint8_t *src)
{
	if (!p || !src || !unicast6(src))
		return -EINVAL;
	static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 0x01 };
	static const uint8_t all_nodes_mac[6] = { 0x33, 0x33, 0, 0, 0, 0x01 };
	uint8_t f[ETH_HLEN_ + IP6_HLEN + ECHO6_LEN];
	/* Hop limit 1: link-scope multicast, never forwarded. */
	uint8_t *m = ip6_header(f, all_nodes_mac, p->mac, src, all_nodes, ECHO6_LEN, 1);
	memset(m, 0, ECHO6_LEN);
	m[0] = ICMP6_ECHO_REQUEST;
	wr16(m + 4, p->id);
	wr16(m + 6, (uint16_t)p->sent);
	m[8] = (uint8_t)(ICMP_MAGIC >> 24);
	m[9] = (uint8_t)(ICMP_MAGIC >> 16);
	m[10] = (uint8_t)(ICMP_MAGIC >> 8);
	m[11] = (uint8_t)ICMP_MAGIC;
	wr16(m + 2, icmp6_checksum(src, all_nodes, m, ECHO6_LEN));
	int r = rawsock_send_arp(p->fd, p->ifindex, f, sizeof f);
	if (r == 0)
		p->sent++;
	return r;
}

ARGUS_API int argus_nd6_solicit(argus_nd6 *p, const uint8_t *src, const uint8_t *target)
{
	if (!p || !src || !target || !unicast6(src) || !unicast6(target))
		return -EINVAL;
	/* The solicited-node group ff02::1:ffXX:XXXX of the target, and its MAC 33:33:ff:XX:XX:XX. */
	uint8_t group[16] = { 0xff, 0x02, [11] = 0x01, [12] = 0xff, [13] = target[13], [14] = target[14], [15] = target[15] };
	uint8_t group_mac[6] = { 0x33, 0x33, 0xff, target[13], target[14], target[15] };
	uint8_t f[ETH_HLEN_ + IP6_HLEN + NS_LEN];
	/* Hop limit 255 (RFC 4861): a receiver drops neighbour discovery that crossed a router. */
	uint8_t *m = ip6_header(f, group_mac, p->mac, src, group, NS_LEN, 255);
	memset(m, 0, NS_LEN);
	m[0] = ND_NEIGHBOR_SOLICIT;
	memcpy(m + 8, target, 16);
	m[24] = 1; /* source link-layer address option, 8 bytes */
	m[25] = 1;
	memcpy(m + 26, p->mac, 6);
	wr16(m + 2, icmp6_checksum(src, group, m, NS_LEN));
	int r = rawsock_send_arp(p->fd, p->ifindex, f, sizeof f);
	if (r == 0)
		p->sent++;
	return r;
}

ARGUS_API int argus_decode_nd6_reply(const uint8_t *frame, size_t len, uint16_t echo_id, struct argus_nd6_reply *out)
{
	if (!frame || !out)
		return ARGUS_DECODE_TOO_SHORT;
	memset(out, 0, sizeof *out);
	struct ether eth;
	int st = ether_walk(frame, len, &eth);
	if (st != ARGUS_DECODE_OK)
		return st == ARGUS_DECODE_TOO_SHORT ? st : ARGUS_DECODE_IGNORED;
	/* Answers to us come untagged in Ethernet II, never from a group address. */
	if (eth.type != ETHERTYPE_IPV6 || eth.tags != 0 || (eth.flags & ARGUS_F_LLC) || (frame[6] & 1))
		return ARGUS_DECODE_IGNORED;
	const uint8_t *ip = eth.payload;
	size_t left = eth.left;
	if (left < IP6_HLEN)
		return ARGUS_DECODE_TOO_SHORT;
	if ((ip[0] >> 4) != 6)
		return ARGUS_DECODE_MALFORMED;
	size_t plen = rd16(ip + 4);
	if (ip[6] != 58)
		return ARGUS_DECODE_IGNORED;
	if (plen > left - IP6_HLEN)
		return ARGUS_DECODE_TOO_SHORT;
	const uint8_t *src = ip + 8, *m = ip + IP6_HLEN;
	if (plen < 8)
		return ARGUS_DECODE_TOO_SHORT;
	if (m[1] != 0 || !unicast6(src))
		return ARGUS_DECODE_IGNORED;
	memcpy(out->mac, frame + 6, 6);
	out->flags = (frame[6] & 2) ? ARGUS_F_LOCAL_ADMIN : 0;
	if (m[0] == ICMP6_ECHO_REPLY) {
		/* Ours only: our identifier and our payload's magic. */
		if (plen < ECHO6_LEN)
			return ARGUS_DECODE_TOO_SHORT;
		uint32_t magic = (uint32_t)m[8] << 24 | (uint32_t)m[9] << 16 | (uint32_t)m[10] << 8 | m[11];
		if (rd16(m + 4) != echo_id || magic != ICMP_MAGIC)
			return ARGUS_DECODE_IGNORED;
		out->type = ICMP6_ECHO_REPLY;
		memcpy(out->ip6, src, 16);
		return ARGUS_DECODE_OK;
	}
	if (m[0] != ND_NEIGHBOR_ADVERT)
		return ARGUS_DECODE_IGNORED;
	if (ip[7] != 255)
		return ARGUS_DECODE_IGNORED; /* forwarded: not from this link */
	if (plen < 24)
		return ARGUS_DECODE_TOO_SHORT;
	/* Without the override flag the sender answers for someone else (a proxy): no evidence. */
	if (!(m[4] & 0x20) || !unicast6(m + 8))
		return ARGUS_DECODE_IGNORED;
	/* A target link-layer option must name the sender itself; every option is at least 8 bytes. */
	for (size_t off = 24; off < plen;) {
		if (plen - off < 2)
			return ARGUS_DECODE_MALFORMED;
		size_t n = (size_t)m[off + 1] * 8;
		if (n == 0 || n > plen - off)
			return ARGUS_DECODE_MALFORMED;
		if (m[off] == ND_OPT_TLLA && (n != 8 || memcmp(m + off + 2, frame + 6, 6) != 0))
			return ARGUS_DECODE_IGNORED;
		off += n;
	}
	out->type = ND_NEIGHBOR_ADVERT;
	if (m[4] & 0x80)
		out->nd_flags |= ARGUS_ND_ROUTER;
	memcpy(out->ip6, m + 8, 16);
	return ARGUS_DECODE_OK;
}

ARGUS_API uint32_t argus_nd6_read(argus_nd6 *p, struct argus_nd6_reply *out, uint32_t max)
{
	if (!p || !out)
		return 0;
	uint32_t n = 0;
	uint8_t buf[1600];
	/* At most a bounded number of frames per call: the caller drains again on its next tick. */
	for (uint32_t tries = 0; n < max && tries < 4 * max + 16; tries++) {
		long got = rawsock_recv(p->fd, buf, sizeof buf, NULL);
		if (got == -EAGAIN)
			continue;
		if (got <= 0)
			break;
		/* Addressed to our MAC: an answer to us, not one overheard. */
		if ((size_t)got < ETH_HLEN_ || memcmp(buf, p->mac, 6) != 0)
			continue;
		if (argus_decode_nd6_reply(buf, (size_t)got, p->id, &out[n]) == ARGUS_DECODE_OK)
			n++;
	}
	return n;
}

ARGUS_API uint32_t argus_nd6_echo_id(const argus_nd6 *p) { return p ? p->id : 0; }

ARGUS_API uint64_t argus_nd6_sent(const argus_nd6 *p) { return p ? p->sent : 0; }

ARGUS_API void argus_nd6_close(argus_nd6 *p)
{
	if (!p)
		return;
	if (p->fd >= 0)
		close(p->fd);
	free(p);
}

_Static_assert(sizeof(struct argus_nd6_reply) == 32, "ABI: argus_nd6_reply");
_Static_assert(offsetof(struct argus_nd6_reply, mac) == 16, "ABI: argus_nd6_reply.mac");
