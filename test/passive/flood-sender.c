/*
 * Sends a flood of frames from random MACs out of an interface of the network namespace it runs in
 * (AF_PACKET), for the flood tests and scripts/bench/flood.ts. Every frame has a new random unicast
 * MAC as its Ethernet source (and DHCP chaddr / ARP sender):
 *   --kind arp   gratuitous ARP for a random address in --net (a.b.c.0/24, hosts --lo..--hi, default 20..239)
 *   --kind dhcp  DHCP REQUEST (option 53 = 3) asking for a random address in --net, as a joining client
 * at --rate frames per second for --seconds (or --count frames). Prints {"sent": N, "elapsed_s": S}.
 * Build: cc -O2 -o flood-sender flood-sender.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static unsigned lo = 20, hi = 239;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (p[i] << 8) | p[i + 1];
	if (n & 1)
		s += p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void random_mac(uint8_t *m)
{
	uint64_t r = next();
	for (int i = 0; i < 6; i++)
		m[i] = (uint8_t)(r >> (8 * i));
	m[0] &= 0xfe; /* unicast */
}

static size_t arp_frame(uint8_t *f, const uint8_t net[3])
{
	uint8_t mac[6], ip[4] = {net[0], net[1], net[2], (uint8_t)(lo + next() % (hi - lo + 1))};
	random_mac(mac);
	memset(f, 0xff, 6);
	memcpy(f + 6, mac, 6);
	f[12] = 0x08, f[13] = 0x06;
	uint8_t *a = f + 14;
	a[0] = 0, a[1] = 1, a[2] = 0x08, a[3] = 0, a[4] = 6, a[5] = 4, a[6] = 0, a[7] = 1;
	memcpy(a + 8, mac, 6);
	memcpy(a + 14, ip, 4);
	memset(a + 18, 0, 6);
	memcpy(a + 24, ip, 4);
	return 14 + 28;
}

static size_t dhcp_frame(uint8_t *f, const uint8_t net[3])
{
	uint8_t mac[6];
	random_mac(mac);
	memset(f, 0, 400);
	memset(f, 0xff, 6);
	memcpy(f + 6, mac, 6);
	f[12] = 0x08, f[13] = 0x00;
	uint8_t *ip = f + 14, *udp = ip + 20, *b = udp + 8;
	b[0] = 1, b[1] = 1, b[2] = 6;
	uint32_t xid = (uint32_t)next();
	memcpy(b + 4, &xid, 4);
	memcpy(b + 28, mac, 6);
	size_t o = 236;
	b[o++] = 0x63, b[o++] = 0x82, b[o++] = 0x53, b[o++] = 0x63;
	b[o++] = 53, b[o++] = 1, b[o++] = 3;
	b[o++] = 50, b[o++] = 4, b[o++] = net[0], b[o++] = net[1], b[o++] = net[2], b[o++] = (uint8_t)(lo + next() % (hi - lo + 1));
	b[o++] = 255;
	size_t ulen = 8 + o;
	udp[0] = 0, udp[1] = 68, udp[2] = 0, udp[3] = 67, udp[4] = (uint8_t)(ulen >> 8), udp[5] = (uint8_t)ulen;
	size_t tlen = 20 + ulen;
	ip[0] = 0x45, ip[2] = (uint8_t)(tlen >> 8), ip[3] = (uint8_t)tlen, ip[8] = 64, ip[9] = 17;
	memset(ip + 16, 0xff, 4);
	uint16_t c = csum(ip, 20);
	ip[10] = (uint8_t)(c >> 8), ip[11] = (uint8_t)c;
	return 14 + tlen;
}

int main(int argc, char **argv)
{
	const char *iface = "eth0", *kind = "arp", *netstr = "10.231.0.0";
	double rate = 1000, seconds = 1;
	long count = -1;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--iface")) iface = argv[i + 1];
		else if (!strcmp(argv[i], "--kind")) kind = argv[i + 1];
		else if (!strcmp(argv[i], "--net")) netstr = argv[i + 1];
		else if (!strcmp(argv[i], "--rate")) rate = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--count")) count = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--seed")) rng = strtoull(argv[i + 1], NULL, 10) | 1;
		else if (!strcmp(argv[i], "--lo")) lo = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--hi")) hi = (unsigned)atoi(argv[i + 1]);
	}
	if (lo < 1 || hi > 254 || lo > hi) {
		fprintf(stderr, "bad --lo/--hi\n");
		return 2;
	}
	if (count < 0)
		count = (long)(rate * seconds);
	struct in_addr na;
	if (inet_pton(AF_INET, netstr, &na) != 1) {
		fprintf(stderr, "bad --net %s\n", netstr);
		return 2;
	}
	const uint8_t *net = (const uint8_t *)&na.s_addr;
	int dhcp = !strcmp(kind, "dhcp");
	int s = socket(AF_PACKET, SOCK_RAW, 0);
	if (s < 0) {
		perror("socket");
		return 1;
	}
	struct sockaddr_ll ll = {.sll_family = AF_PACKET, .sll_ifindex = (int)if_nametoindex(iface), .sll_halen = 6};
	if (!ll.sll_ifindex) {
		perror(iface);
		return 1;
	}
	memset(ll.sll_addr, 0xff, 6);
	uint8_t frame[512];
	double start = now_s();
	long sent = 0;
	for (long i = 0; i < count; i++) {
		/* Pace in small bursts: sleeping per frame at 20k/s would cost more than the sending. */
		double due = start + i / rate;
		double t = now_s();
		if (due > t + 0.0005)
			usleep((useconds_t)((due - t) * 1e6));
		size_t n = dhcp ? dhcp_frame(frame, net) : arp_frame(frame, net);
		if (sendto(s, frame, n, 0, (struct sockaddr *)&ll, sizeof ll) == (ssize_t)n)
			sent++;
	}
	printf("{\"sent\": %ld, \"elapsed_s\": %.3f}\n", sent, now_s() - start);
	return 0;
}
