/*
 * The departure prober (src/passive/departures.ts): one unicast ARP request at a time to a device
 * already known (sent to its MAC, asking for its IPv4 address, from the interface it lives on), and
 * the replies addressed to us read back without blocking. A host that left answers nothing; one
 * that stays silent on the wire still answers its own MAC's request. The socket is the sweep's
 * (rawsock_open_arp: bound to the interface, kernel filter for ARP replies to our address), so a
 * busy LAN wakes it only for the answers it asked for.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "internal.h"

struct argus_prober {
	int fd;
	int ifindex;
	uint8_t mac[6];
	uint32_t src_ip; /* host order */
	uint64_t sent;
};

ARGUS_API argus_prober *argus_prober_open(const char *ifname, uint32_t src_ip, int32_t *err)
{
	int32_t dummy;
	if (!err)
		err = &dummy;
	*err = 0;
	struct argus_prober *p = calloc(1, sizeof *p);
	if (!p) {
		*err = ENOMEM;
		return NULL;
	}
	p->fd = -1;
	uint32_t ip = 0;
	int r = rawsock_iface(ifname, p->mac, &p->ifindex, &ip);
	if (r == 0) {
		p->src_ip = src_ip ? src_ip : ip;
		r = p->src_ip ? rawsock_open_arp(p->ifindex, p->src_ip, &p->fd) : -EADDRNOTAVAIL;
	}
	if (r != 0) {
		*err = -r;
		free(p);
		return NULL;
	}
	return p;
}

ARGUS_API int argus_prober_send(argus_prober *p, const uint8_t *dst_mac, uint32_t target_ip)
{
	if (!p || !dst_mac || (dst_mac[0] & 1))
		return -EINVAL; /* never a broadcast or multicast: this is not a sweep */
	uint8_t frame[ARP_FRAME_LEN];
	size_t len = frame_build_arp_request(frame, sizeof frame, p->mac, p->src_ip, target_ip);
	memcpy(frame, dst_mac, 6); /* unicast: only the device itself hears it */
	int r = rawsock_send_arp(p->fd, p->ifindex, frame, len);
	if (r == 0)
		p->sent++;
	return r;
}

ARGUS_API uint32_t argus_prober_read(argus_prober *p, struct argus_probe_reply *out, uint32_t max)
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
		struct argus_arp_info a;
		if (argus_decode_arp(buf, (size_t)got, &a) != ARGUS_DECODE_OK || a.op != 2)
			continue;
		/* Evidence counts only for the MAC that sent it, and never from a group address. */
		if (memcmp(a.eth_src, a.sender_mac, 6) != 0 || (a.sender_mac[0] & 1))
			continue;
		memcpy(out[n].ip, a.sender_ip, 4);
		memcpy(out[n].mac, a.sender_mac, 6);
		out[n].flags = a.flags;
		n++;
	}
	return n;
}

ARGUS_API uint64_t argus_prober_sent(const argus_prober *p) { return p ? p->sent : 0; }

ARGUS_API void argus_prober_close(argus_prober *p)
{
	if (!p)
		return;
	if (p->fd >= 0)
		close(p->fd);
	free(p);
}
