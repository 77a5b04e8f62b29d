/*
 * Passive decoders: what an ARP, DHCP, mDNS (over IPv4 or IPv6), IPv6 neighbour discovery or DHCPv6
 * frame says about the host that sent it. Frames come from anyone on the LAN, so, as in frame.c, every read
 * is preceded by a length check against the real buffer; no length field
 * (IP total length, UDP length, DHCP option length, DNS rdlength, label
 * length) is trusted before it has been compared with what is left. DNS name
 * compression pointers must point strictly backwards, so a name cannot loop.
 */
#include <string.h>
#include "internal.h"


#define BOOTP_FIXED 236         /* op .. file, before the magic cookie */
#define DHCP_MAGIC 0x63825363u
#define MDNS_PORT 5353
#define MDNS_MAX_RECORDS 64     /* questions + records walked per message */
#define DNS_MAX_JUMPS 16
#define DNS_NAME_MAX 255

struct cur {
	const uint8_t *p;
	size_t left;
};

static int has(const struct cur *c, size_t n) { return c->left >= n; }
static uint16_t rd16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static uint32_t rd32(const uint8_t *p) { return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3]; }
static void adv(struct cur *c, size_t n)
{
	c->p += n;
	c->left -= n;
}

static uint8_t copy_text(char *dst, size_t cap, const uint8_t *src, size_t n)
{
	if (n > cap)
		n = cap;
	memcpy(dst, src, n);
	return (uint8_t)n;
}

static void mac_flags(struct argus_sighting *out)
{
	if (out->mac[0] & 0x02)
		out->flags |= ARGUS_F_LOCAL_ADMIN;
	if (out->mac[0] & 0x01)
		out->flags |= ARGUS_F_MULTICAST_SENDER;
}

static int decode_arp(const uint8_t *frame, size_t len, struct argus_sighting *out)
{
	struct argus_arp_info a;
	int st = argus_decode_arp(frame, len, &a);
	if (st != ARGUS_DECODE_OK)
		return st;
	out->source = ARGUS_SRC_ARP;
	memcpy(out->mac, a.sender_mac, 6);
	memcpy(out->ip, a.sender_ip, 4);
	memcpy(out->aux_ip, a.target_ip, 4);
	memcpy(out->eth_src, a.eth_src, 6);
	out->arp_op = (uint8_t)a.op;
	out->flags = a.flags & (ARGUS_F_VLAN | ARGUS_F_DIFF_FRAME_ADDR);
	mac_flags(out);
	/* An ARP probe (RFC 5227) comes from 0.0.0.0: the host has no address yet. */
	if (rd32(a.sender_ip) == 0)
		return ARGUS_DECODE_IGNORED;
	return ARGUS_DECODE_OK;
}

static int decode_dhcp(struct cur c, struct argus_sighting *out)
{
	if (!has(&c, BOOTP_FIXED + 4))
		return ARGUS_DECODE_TOO_SHORT;
	uint8_t op = c.p[0], htype = c.p[1], hlen = c.p[2];
	if ((op != 1 && op != 2) || htype != 1 || hlen != 6)
		return ARGUS_DECODE_MALFORMED;
	if (rd32(c.p + BOOTP_FIXED) != DHCP_MAGIC)
		return ARGUS_DECODE_MALFORMED; /* plain BOOTP: nothing we use */
	out->source = ARGUS_SRC_DHCP;
	out->dhcp_op = op;
	memcpy(out->mac, c.p + 28, 6);
	/* A client's own address (ciaddr) when it has one; the address a server's reply hands out (yiaddr). */
	memcpy(out->ip, c.p + (op == 1 ? 12 : 16), 4);
	out->flags = 0;
	mac_flags(out);
	adv(&c, BOOTP_FIXED + 4);
	while (c.left > 0) {
		uint8_t code = c.p[0];
		if (code == 255)
			break;
		if (code == 0) {
			adv(&c, 1);
			continue;
		}
		if (!has(&c, 2))
			return ARGUS_DECODE_MALFORMED;
		size_t n = c.p[1];
		if (!has(&c, 2 + n))
			return ARGUS_DECODE_MALFORMED; /* option runs past the end */
		const uint8_t *v = c.p + 2;
		switch (code) {
		case 53:
			if (n == 1)
				out->dhcp_type = v[0];
			break;
		case 50:
			if (n == 4)
				memcpy(out->aux_ip, v, 4);
			break;
		case 54:
			if (n == 4)
				memcpy(out->server_id, v, 4);
			break;
		case 12:
			out->hostname_len = copy_text(out->hostname, sizeof out->hostname, v, n);
			break;
		case 55:
			out->prl_len = copy_text((char *)out->prl, sizeof out->prl, v, n);
			break;
		case 60:
			out->vendor_len = copy_text(out->vendor, sizeof out->vendor, v, n);
			break;
		default:
			break;
		}
		adv(&c, 2 + n);
	}
	if (out->dhcp_type == 0)
		return ARGUS_DECODE_MALFORMED;
	/* A server's OFFER, ACK or NAK is passed up: it names its client and, through
	 * option 54 and the frame's source, the server (a rogue one is an alert). */
	if (op == 2 && out->dhcp_type != 2 && out->dhcp_type != 5 && out->dhcp_type != 6)
		return ARGUS_DECODE_IGNORED;
	return ARGUS_DECODE_OK;
}

/*
 * Reads the DNS name at msg[off] into dotted text (labels with dots or
 * control bytes get '_'), lower-cased ASCII. Returns the offset just after
 * the name in the record (not after a pointer's target), or 0 on error.
 */
static size_t dns_name(const uint8_t *msg, size_t len, size_t off, char *out, size_t cap, size_t *out_len)
{
	size_t o = 0, end = 0, pos = off, total = 0;
	int jumps = 0;
	for (;;) {
		if (pos >= len)
			return 0;
		uint8_t l = msg[pos];
		if (l == 0) {
			if (!end)
				end = pos + 1;
			break;
		}
		if ((l & 0xc0) == 0xc0) {
			if (pos + 1 >= len)
				return 0;
			size_t target = ((size_t)(l & 0x3f) << 8) | msg[pos + 1];
			/* Strictly backwards: a pointer can never reach itself again. */
			if (target >= pos || ++jumps > DNS_MAX_JUMPS)
				return 0;
			if (!end)
				end = pos + 2;
			pos = target;
			continue;
		}
		if (l & 0xc0)
			return 0; /* 0x40/0x80: extended label types, not in mDNS */
		if (pos + 1 + l > len)
			return 0;
		total += (size_t)l + 1;
		if (total > DNS_NAME_MAX)
			return 0;
		if (o && o < cap)
			out[o++] = '.';
		for (size_t i = 0; i < l && o < cap; i++) {
			uint8_t ch = msg[pos + 1 + i];
			if (ch == '.' || ch < 0x20 || ch == 0x7f || ch == ',')
				ch = '_';
			else if (ch >= 'A' && ch <= 'Z')
				ch = (uint8_t)(ch - 'A' + 'a');
			out[o++] = (char)ch;
		}
		pos += 1 + (size_t)l;
	}
	*out_len = o;
	return end;
}

static int ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);
	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* "_ipp._tcp" from "...._ipp._tcp.local"; 0 if the name has no service type. */
static size_t service_type(const char *name, size_t n, const char **start)
{
	if (!ends_with(name, n, "._tcp.local") && !ends_with(name, n, "._udp.local"))
		return 0;
	size_t stop = n - 6; /* drop ".local" */
	/* Back over "._tcp" to the label before it. */
	size_t i = stop - 5;
	while (i > 0 && name[i - 1] != '.')
		i--;
	if (name[i] != '_')
		return 0;
	*start = name + i;
	return stop - i;
}

static void add_service(struct argus_sighting *out, const char *svc, size_t n)
{
	if (n == 0 || n > 63)
		return;
	if (n == 12 && memcmp(svc, "_dns-sd._udp", 12) == 0)
		return; /* _services._dns-sd._udp: the service list itself */
	/* Already listed? */
	size_t i = 0;
	while (i < out->services_len) {
		size_t j = i;
		while (j < out->services_len && out->services[j] != ',')
			j++;
		if (j - i == n && memcmp(out->services + i, svc, n) == 0)
			return;
		i = j + 1;
	}
	size_t need = n + (out->services_len ? 1 : 0);
	if (out->services_len + need > sizeof out->services)
		return;
	if (out->services_len)
		out->services[out->services_len++] = ',';
	memcpy(out->services + out->services_len, svc, n);
	out->services_len = (uint8_t)(out->services_len + n);
}

static void set_host(struct argus_sighting *out, const char *name, size_t n)
{
	if (out->hostname_len || !ends_with(name, n, ".local"))
		return;
	n -= 6;
	if (n == 0 || n > sizeof out->hostname)
		return;
	out->hostname_len = copy_text(out->hostname, sizeof out->hostname, (const uint8_t *)name, n);
}

static int decode_mdns(const uint8_t *msg, size_t len, struct argus_sighting *out)
{
	out->source = ARGUS_SRC_MDNS;
	if (len < 12)
		return ARGUS_DECODE_TOO_SHORT;
	uint16_t flags = rd16(msg + 2);
	uint32_t qd = rd16(msg + 4), rr = (uint32_t)rd16(msg + 6) + rd16(msg + 8) + rd16(msg + 10);
	out->mdns_response = (flags & 0x8000) ? 1 : 0;
	size_t off = 12;
	char name[DNS_NAME_MAX + 1], rname[DNS_NAME_MAX + 1];
	size_t nl, rl;
	uint32_t walked = 0;
	for (uint32_t i = 0; i < qd; i++) {
		if (++walked > MDNS_MAX_RECORDS)
			return ARGUS_DECODE_OK;
		size_t next = dns_name(msg, len, off, name, sizeof name - 1, &nl);
		if (!next || next + 4 > len)
			return ARGUS_DECODE_MALFORMED;
		off = next + 4;
	}
	if (!out->mdns_response)
		return ARGUS_DECODE_OK; /* a query says only that the host is there */
	for (uint32_t i = 0; i < rr; i++) {
		if (++walked > MDNS_MAX_RECORDS)
			break;
		size_t next = dns_name(msg, len, off, name, sizeof name - 1, &nl);
		if (!next || next + 10 > len)
			return ARGUS_DECODE_MALFORMED;
		uint16_t type = rd16(msg + next);
		size_t rdlen = rd16(msg + next + 8);
		size_t rdata = next + 10;
		if (rdata + rdlen > len)
			return ARGUS_DECODE_MALFORMED;
		const char *svc;
		size_t sn;
		switch (type) {
		case 1:  /* A: host.local -> address */
		case 28: /* AAAA: the same over IPv6 (a responder with no IPv4 announces only these) */
			if ((type == 1 && rdlen == 4) || (type == 28 && rdlen == 16))
				set_host(out, name, nl);
			break;
		case 12: /* PTR: _svc._tcp.local -> instance, or the service list */
			if ((sn = service_type(name, nl, &svc)) > 0)
				add_service(out, svc, sn);
			if (dns_name(msg, rdata + rdlen, rdata, rname, sizeof rname - 1, &rl) && (sn = service_type(rname, rl, &svc)) > 0)
				add_service(out, svc, sn);
			break;
		case 33: /* SRV: instance._svc._tcp.local -> priority weight port target */
			if ((sn = service_type(name, nl, &svc)) > 0)
				add_service(out, svc, sn);
			if (rdlen > 6 && dns_name(msg, rdata + rdlen, rdata + 6, rname, sizeof rname - 1, &rl))
				set_host(out, rname, rl);
			break;
		case 16: /* TXT: model=... of _device-info */
			if (ends_with(name, nl, "._device-info._tcp.local")) {
				size_t p = rdata, e = rdata + rdlen;
				while (p < e) {
					size_t sl = msg[p];
					if (p + 1 + sl > e)
						break;
					if (sl > 6 && memcmp(msg + p + 1, "model=", 6) == 0 && !out->model_len)
						out->model_len = copy_text(out->model, sizeof out->model, msg + p + 7, sl - 6);
					p += 1 + sl;
				}
			}
			break;
		default:
			break;
		}
		off = rdata + rdlen;
	}
	return ARGUS_DECODE_OK;
}

#define IP6_HLEN 40
#define ND_HOP_LIMIT 255 /* RFC 4861: anything less was forwarded, not sent on this link */
#define ND_OPT_SLLA 1
#define ND_OPT_TLLA 2

static int all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* RFC 8200 extension headers that may stand between the IPv6 header and ICMPv6. */
#define IP6_HOP_BY_HOP 0
#define IP6_ROUTING 43
#define IP6_FRAGMENT 44
#define IP6_DEST_OPTS 60
#define IP6_ICMP 58

/*
 * Skips the Hop-by-Hop, Routing and Destination Options headers in front of
 * the upper layer, as a receiving host does (a rogue RA wrapped in one still
 * configures Linux hosts). No count limit: Linux walks any number, so a cap
 * would be a way around the alert; every header is at least 8 bytes and is
 * checked against what is left, so the walk is bounded by the frame (at most
 * 250 steps in the listener's 2 KiB snap), like the options walk below. *nh is the next header on entry
 * (the IPv6 header's) and the upper layer's on return; *n counts the headers.
 * A Fragment header stops the walk as IGNORED: fragmented NDP is invalid and
 * hosts drop it (RFC 6980). Hop-by-Hop anywhere but first is dropped by hosts
 * (RFC 8200 4.1): IGNORED too.
 */
static int ip6_skip_ext(struct cur *c, uint8_t *nh, int *n)
{
	*n = 0;
	while (*nh == IP6_HOP_BY_HOP || *nh == IP6_ROUTING || *nh == IP6_DEST_OPTS) {
		if (*nh == IP6_HOP_BY_HOP && *n > 0)
			return ARGUS_DECODE_IGNORED;
		/* All three start with next header and length in 8-octet units, not counting the first 8. */
		if (!has(c, 8))
			return ARGUS_DECODE_TOO_SHORT;
		size_t len = ((size_t)c->p[1] + 1) * 8;
		if (!has(c, len))
			return ARGUS_DECODE_TOO_SHORT;
		*nh = c->p[0];
		adv(c, len);
		++*n;
	}
	return *nh == IP6_FRAGMENT ? ARGUS_DECODE_IGNORED : ARGUS_DECODE_OK;
}

/*
 * ICMPv6 neighbour discovery (RS 133, RA 134, NS 135, NA 136), directly after
 * the IPv6 header or behind a few extension headers (ip6_skip_ext; flagged
 * ARGUS_ND_EXT_HEADERS, since real NDP has none). The host is the Ethernet
 * source; a link-layer address option naming another MAC becomes `mac`, so
 * the frame is only a spoofing hint (eth_src != mac), never evidence for either.
 */
static int decode_ndp(struct cur c, struct argus_sighting *out)
{
	out->source = ARGUS_SRC_NDP;
	if (!has(&c, IP6_HLEN))
		return ARGUS_DECODE_TOO_SHORT;
	if ((c.p[0] >> 4) != 6)
		return ARGUS_DECODE_MALFORMED;
	size_t plen = rd16(c.p + 4);
	uint8_t nh = c.p[6];
	if (c.p[7] != ND_HOP_LIMIT)
		return ARGUS_DECODE_IGNORED;
	const uint8_t *src = c.p + 8;
	adv(&c, IP6_HLEN);
	if (plen > c.left)
		return ARGUS_DECODE_TOO_SHORT;
	c.left = plen; /* Ethernet padding is not payload */
	int ext;
	int st = ip6_skip_ext(&c, &nh, &ext);
	if (st != ARGUS_DECODE_OK)
		return st;
	if (nh != IP6_ICMP)
		return ARGUS_DECODE_IGNORED;
	if (!has(&c, 4))
		return ARGUS_DECODE_TOO_SHORT;
	uint8_t type = c.p[0];
	if (type < 133 || type > 136 || c.p[1] != 0)
		return ARGUS_DECODE_IGNORED;
	/* Fixed part before the options: header + reserved/flags (+ RA timers, + NS/NA target). */
	size_t fixed = type == 133 ? 8 : type == 134 ? 16 : 24;
	if (!has(&c, fixed))
		return ARGUS_DECODE_TOO_SHORT;
	/* :: is a duplicate address detection probe (no address yet); multicast is never a source. */
	if (all_zero(src, 16) || src[0] == 0xff)
		return ARGUS_DECODE_IGNORED;
	out->nd_type = type;
	memcpy(out->ip6, src, 16);
	if (ext)
		out->nd_flags |= ARGUS_ND_EXT_HEADERS;
	if (type == 134 || (type == 136 && (c.p[4] & 0x80)))
		out->nd_flags |= ARGUS_ND_ROUTER;
	/* An NA with the override flag speaks for its target as the sender's own address. */
	if (type == 136 && (c.p[4] & 0x20) && !all_zero(c.p + 8, 16) && c.p[8] != 0xff)
		memcpy(out->aux_ip6, c.p + 8, 16);
	adv(&c, fixed);
	uint8_t want = type == 136 ? ND_OPT_TLLA : ND_OPT_SLLA;
	/* Every option is at least 8 bytes, so this walk is bounded by the frame. */
	while (c.left > 0) {
		if (!has(&c, 2))
			return ARGUS_DECODE_MALFORMED;
		size_t n = (size_t)c.p[1] * 8;
		if (n == 0 || !has(&c, n))
			return ARGUS_DECODE_MALFORMED;
		if (c.p[0] == want && n == 8 && memcmp(c.p + 2, out->eth_src, 6) != 0) {
			memcpy(out->mac, c.p + 2, 6);
			out->flags |= ARGUS_F_DIFF_FRAME_ADDR;
		}
		adv(&c, n);
	}
	mac_flags(out);
	return ARGUS_DECODE_OK;
}

#define DHCP6_CLIENT_PORT 546
#define DHCP6_SERVER_PORT 547
#define DHCP6_OPT_CLIENTID 1
#define DHCP6_OPT_FQDN 39
#define DUID_MAX 128 /* RFC 8415 11.1: a DUID is at most 128 bytes after its type */

/* ff02::1:2, All_DHCP_Relay_Agents_and_Servers: where a client on the link sends. */
static int all_dhcp_agents(const uint8_t *a)
{
	static const uint8_t g[16] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0x02 };
	return memcmp(a, g, 16) == 0;
}

/* The Ethernet address inside a DUID-LLT (1) or DUID-LL (3) of hardware type 1; anything else stays zero. */
static void duid_mac(const uint8_t *v, size_t n, struct argus_sighting *out)
{
	uint16_t type = rd16(v);
	size_t at = type == 1 ? 8 : type == 3 ? 4 : 0;
	if (at && n == at + 6 && rd16(v + 2) == 1)
		memcpy(out->duid_mac, v + at, 6);
}

/*
 * A DHCPv6 client message (RFC 8415): SOLICIT, REQUEST, CONFIRM, RENEW, REBIND or
 * INFORMATION-REQUEST, which must carry exactly one client identifier. Option 39 (client FQDN, RFC
 * 4704: flags, then a DNS name in wire form, possibly partial) gives the first label as the host
 * name, raw (the TypeScript side sanitises it). Servers' and relays' messages are IGNORED. The
 * options walk is bounded by the frame: every option is at least 4 bytes.
 */
static int decode_dhcp6(struct cur c, struct argus_sighting *out)
{
	out->source = ARGUS_SRC_DHCP6;
	if (!has(&c, 4))
		return ARGUS_DECODE_TOO_SHORT;
	uint8_t type = c.p[0];
	if (type != 1 && type != 3 && type != 4 && type != 5 && type != 6 && type != 11)
		return ARGUS_DECODE_IGNORED;
	out->dhcp_type = type;
	out->dhcp_op = 1;
	adv(&c, 4);
	int client_ids = 0;
	while (c.left > 0) {
		if (!has(&c, 4))
			return ARGUS_DECODE_MALFORMED;
		uint16_t code = rd16(c.p);
		size_t n = rd16(c.p + 2);
		if (!has(&c, 4 + n))
			return ARGUS_DECODE_MALFORMED; /* option runs past the end */
		const uint8_t *v = c.p + 4;
		if (code == DHCP6_OPT_CLIENTID) {
			if (n < 2 + 1 || n > 2 + DUID_MAX || ++client_ids > 1)
				return ARGUS_DECODE_MALFORMED;
			duid_mac(v, n, out);
		} else if (code == DHCP6_OPT_FQDN && n >= 2 && !out->hostname_len) {
			size_t l = v[1];
			if (l > 0 && l <= 63 && 2 + l <= n)
				out->hostname_len = copy_text(out->hostname, sizeof out->hostname, v + 2, l);
		}
		adv(&c, 4 + n);
	}
	return client_ids == 1 ? ARGUS_DECODE_OK : ARGUS_DECODE_MALFORMED;
}

/*
 * IPv6 UDP without extension headers: DHCPv6 from a client (546 -> 547, to ff02::1:2) or mDNS (to or
 * from 5353). The host is the Ethernet source, and the IPv6 source address is the one address the
 * frame speaks for: addresses named inside the payload (a DUID's MAC, AAAA records) are never linked.
 */
static int decode_udp6(struct cur c, struct argus_sighting *out)
{
	if ((c.p[0] >> 4) != 6)
		return ARGUS_DECODE_MALFORMED;
	size_t plen = rd16(c.p + 4);
	const uint8_t *src = c.p + 8, *dst = c.p + 24;
	adv(&c, IP6_HLEN);
	if (plen > c.left)
		return ARGUS_DECODE_TOO_SHORT;
	c.left = plen; /* Ethernet padding is not payload */
	if (!has(&c, 8))
		return ARGUS_DECODE_TOO_SHORT;
	uint16_t sport = rd16(c.p), dport = rd16(c.p + 2);
	size_t ulen = rd16(c.p + 4);
	if (ulen < 8 || ulen > c.left)
		return ARGUS_DECODE_MALFORMED; /* (a jumbogram's 0 included: none on a LAN) */
	c.left = ulen;
	adv(&c, 8);
	int dhcp6 = sport == DHCP6_CLIENT_PORT && dport == DHCP6_SERVER_PORT;
	if (!dhcp6 && sport != MDNS_PORT && dport != MDNS_PORT)
		return ARGUS_DECODE_IGNORED;
	/* :: is a host without an address yet; multicast is never a source. */
	if (all_zero(src, 16) || src[0] == 0xff)
		return ARGUS_DECODE_IGNORED;
	memcpy(out->ip6, src, 16);
	mac_flags(out);
	if (dhcp6)
		return all_dhcp_agents(dst) ? decode_dhcp6(c, out) : ARGUS_DECODE_IGNORED;
	return decode_mdns(c.p, c.left, out);
}

static int decode_ip6(struct cur c, struct argus_sighting *out)
{
	if (has(&c, IP6_HLEN) && c.p[6] == 17)
		return decode_udp6(c, out);
	return decode_ndp(c, out);
}

int argus_decode_sighting(const uint8_t *frame, size_t len, struct argus_sighting *out)
{
	if (!frame || !out)
		return ARGUS_DECODE_TOO_SHORT;
	memset(out, 0, sizeof *out);
	struct cur c = { frame, len };
	if (!has(&c, ETH_HLEN_))
		return ARGUS_DECODE_TOO_SHORT;
	uint16_t type = rd16(c.p + 12);
	if (type == ETHERTYPE_ARP || type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ || type <= 1500) {
		int st = decode_arp(frame, len, out);
		if (st != ARGUS_DECODE_NOT_ARP)
			return st;
		if (type != ETHERTYPE_VLAN)
			return ARGUS_DECODE_IGNORED;
	}
	memcpy(out->mac, c.p + 6, 6);
	memcpy(out->eth_src, c.p + 6, 6);
	/* DHCP, mDNS, NDP and DHCPv6 come in Ethernet II, with at most one 802.1Q tag. */
	struct ether eth;
	int walked = ether_walk(frame, len, &eth);
	if (walked == ARGUS_DECODE_TOO_SHORT)
		return walked;
	if (walked != ARGUS_DECODE_OK || eth.tags > 1 || (eth.tags == 1 && type != ETHERTYPE_VLAN) || (eth.flags & ARGUS_F_LLC))
		return ARGUS_DECODE_IGNORED;
	out->flags |= eth.flags & ARGUS_F_VLAN;
	c.p = eth.payload;
	c.left = eth.left;
	type = eth.type;
	if (type == ETHERTYPE_IPV6)
		return decode_ip6(c, out);
	if (type != ETHERTYPE_IP)
		return ARGUS_DECODE_IGNORED;
	if (!has(&c, 20))
		return ARGUS_DECODE_TOO_SHORT;
	if ((c.p[0] >> 4) != 4)
		return ARGUS_DECODE_MALFORMED;
	size_t ihl = (size_t)(c.p[0] & 0x0f) * 4, total = rd16(c.p + 2);
	if (ihl < 20 || total < ihl + 8)
		return ARGUS_DECODE_MALFORMED;
	if (c.p[9] != 17)
		return ARGUS_DECODE_IGNORED;
	if ((rd16(c.p + 6) & 0x1fff) != 0)
		return ARGUS_DECODE_IGNORED; /* a later fragment: no UDP header */
	if (!has(&c, ihl + 8))
		return ARGUS_DECODE_TOO_SHORT;
	uint8_t src_ip[4];
	memcpy(src_ip, c.p + 12, 4);
	if (total < c.left)
		c.left = total; /* Ethernet padding is not payload */
	adv(&c, ihl);
	uint16_t sport = rd16(c.p), dport = rd16(c.p + 2);
	size_t ulen = rd16(c.p + 4);
	if (ulen < 8)
		return ARGUS_DECODE_MALFORMED;
	if (ulen < c.left)
		c.left = ulen;
	adv(&c, 8);
	int st;
	memcpy(out->src_ip, src_ip, 4);
	if ((sport == 68 && dport == 67) || (sport == 67 && dport == 68)) {
		uint16_t keep = out->flags;
		st = decode_dhcp(c, out);
		out->flags |= keep;
		return st;
	}
	if (sport == MDNS_PORT || dport == MDNS_PORT) {
		memcpy(out->ip, src_ip, 4);
		mac_flags(out);
		st = decode_mdns(c.p, c.left, out);
		return st;
	}
	return ARGUS_DECODE_IGNORED;
}

_Static_assert(sizeof(struct argus_sighting) == 512, "ABI: argus_sighting");
_Static_assert(offsetof(struct argus_sighting, ip6) == 472, "ABI: argus_sighting.ip6");
_Static_assert(offsetof(struct argus_sighting, nd_type) == 504, "ABI: argus_sighting.nd_type");
_Static_assert(offsetof(struct argus_sighting, eth_src) == 456, "ABI: argus_sighting.eth_src");
_Static_assert(offsetof(struct argus_sighting, server_id) == 464, "ABI: argus_sighting.server_id");
_Static_assert(offsetof(struct argus_sighting, src_ip) == 468, "ABI: argus_sighting.src_ip");
_Static_assert(offsetof(struct argus_sighting, duid_mac) == 506, "ABI: argus_sighting.duid_mac");
