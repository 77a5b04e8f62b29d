/* Interfaces between the core's own files; nothing here is exported. */
#ifndef ARGUS_INTERNAL_H
#define ARGUS_INTERNAL_H

#include <stdint.h>
#include <stddef.h>
#include "argus.h"

#define ETH_HLEN_ 14
#define ARP_PKT_LEN 28
#define ARP_FRAME_LEN (ETH_HLEN_ + ARP_PKT_LEN)
#define ICMP_ECHO_LEN 24 /* 8-byte header + 16-byte payload (magic, token, send time) */
#define ICMP_MAGIC 0x41524753u /* "ARGS": our echo payloads start with it */

#define ETHERTYPE_ARP 0x0806
#define ETHERTYPE_IP 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8

/* ether.c: the link-layer header walk every decoder starts with */
struct ether {
	const uint8_t *payload; /* after the Ethernet header, tags and LLC/SNAP */
	size_t left;            /* payload bytes (an 802.3 length may shorten it) */
	uint16_t outer_type;    /* the type/length field of the Ethernet header itself */
	uint16_t type;          /* the ethertype of the payload */
	uint16_t vlan_id;       /* 0xffff when untagged */
	uint16_t flags;         /* ARGUS_F_VLAN, ARGUS_F_LLC, ARGUS_F_PADDED */
	uint8_t tags;           /* VLAN tags walked (at most 2) */
};
/* ARGUS_DECODE_OK; TOO_SHORT; NOT_ARP for 802.3 without SNAP; MALFORMED for an 802.3 length under 8. */
int ether_walk(const uint8_t *frame, size_t len, struct ether *out);

/* frame.c: building probes */
size_t frame_build_arp_request(uint8_t *buf, size_t cap, const uint8_t src_mac[6], uint32_t src_ip, uint32_t target_ip);
size_t frame_build_icmp_echo(uint8_t *buf, size_t cap, uint16_t id, uint16_t seq, uint32_t token, uint64_t t_us);

/* rawsock.c: the only code that knows packet sockets and kernel filters */
int rawsock_open_arp(int ifindex, uint32_t our_ip, int *fd_out);    /* 0 or -errno */
int rawsock_open_icmp(int dgram, uint16_t id, int *fd_out);          /* 0 or -errno */
int rawsock_open_nd6(int ifindex, int *fd_out); /* bound to ifindex, ICMPv6 echo replies and NAs only; 0 or -errno */
int rawsock_send_arp(int fd, int ifindex, const uint8_t *frame, size_t len); /* 0, -EAGAIN, -errno */
int rawsock_send_icmp(int fd, uint32_t dst_ip, const uint8_t *pkt, size_t len);
long rawsock_recv(int fd, uint8_t *buf, size_t cap, uint32_t *from_ip); /* bytes, 0 none, -errno */
int rawsock_iface(const char *ifname, uint8_t mac[6], int *ifindex, uint32_t *ip);

/* rawsock.c: the passive listener's socket (all interfaces, filtered to ARP, DHCP and mDNS) */
int rawsock_open_listen(uint32_t snap, int *fd_out); /* 0 or -errno */
int rawsock_drops(int fd, uint32_t *drops);          /* frames the kernel dropped since the last call; 0 or -errno */
int rawsock_take_error(int fd);                      /* the socket's pending error (clearing it): errno value or 0 */

/* One received frame; outgoing ones (our own) are marked, not dropped. */
struct rawsock_frame {
	const uint8_t *data;
	size_t len;
	int32_t ifindex;
	int outgoing;
};
/* Up to n frames at once (recvmmsg) into bufs (n * snap bytes): how many, 0 none waiting, -errno. */
int rawsock_recv_batch(int fd, uint8_t *bufs, uint32_t snap, struct rawsock_frame *out, uint32_t n);

/* A memory-mapped TPACKET_V3 receive ring: the kernel fills blocks and hands one over when it is
 * full or 10 ms after its first frame, so frames are read without a system call or a copy each. */
#define RAWSOCK_RING_BLOCKS 16
struct rawsock_ring {
	uint8_t *map; /* NULL when not mapped */
	size_t len;
	uint32_t block; /* the next block to hand back */
};
int rawsock_ring_map(int fd, uint32_t snap, struct rawsock_ring *r); /* 0, or -errno (read with recvmmsg then) */
void rawsock_ring_unmap(struct rawsock_ring *r);
int rawsock_ring_ready(const struct rawsock_ring *r); /* the next block is ours */
typedef void (*rawsock_frame_fn)(void *ctx, int32_t ifindex, const uint8_t *frame, size_t len);
/* Passes each incoming frame of the next block to fn, then hands the block back to the kernel. */
void rawsock_ring_take(struct rawsock_ring *r, rawsock_frame_fn fn, void *ctx);

/* ratelimit.c: token bucket */
struct ratelimit {
	double rate;   /* tokens per microsecond */
	double tokens;
	double burst;
	uint64_t last_us;
};
void ratelimit_init(struct ratelimit *rl, uint32_t pps, uint64_t now_us);
uint32_t ratelimit_take(struct ratelimit *rl, uint64_t now_us, uint32_t want);
void ratelimit_give_back(struct ratelimit *rl, uint32_t n);
uint64_t ratelimit_next_us(const struct ratelimit *rl, uint64_t now_us); /* when the next token is due */

/* rttstat.c: log-bucket histogram of round-trip times */
#define RTT_BUCKETS 128
struct rttstat {
	uint32_t count;
	uint32_t max_us;
	uint32_t bucket[RTT_BUCKETS];
};
void rttstat_add(struct rttstat *r, uint32_t us);
uint32_t rttstat_quantile(const struct rttstat *r, double q); /* upper bound, us; 0 if empty */

uint64_t now_us(void);

#endif
