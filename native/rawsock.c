/*
 * The packet I/O seam: the only file that knows AF_PACKET, raw and datagram
 * ICMP sockets, classic BPF and the TPACKET_V3 ring. Every socket is
 * non-blocking; the kernel filter makes each sweep socket wake us only for
 * replies meant for this sweep, and the passive listener's socket only for
 * ARP, DHCP, mDNS, NDP and DHCPv6, so a busy LAN does not cost a syscall per foreign frame.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h> /* before the linux/ headers: they defer to it */
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/icmp.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include "internal.h"

#define RCVBUF_BYTES (8 << 20) /* a /16 at high rate answers in bursts */

static int fail(int fd)
{
	int e = errno;
	if (fd >= 0)
		close(fd);
	return -e;
}

static void grow_rcvbuf(int fd)
{
	int sz = RCVBUF_BYTES;
	/* FORCE ignores rmem_max but needs CAP_NET_ADMIN; fall back quietly. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz) != 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
}

int rawsock_open_arp(int ifindex, uint32_t our_ip, int *fd_out)
{
	/* Protocol 0 receives nothing until bind, so no frame can slip in
	 * before the filter is attached. */
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(-1);
	/* Accept only ARP replies addressed to our IPv4 address (frame offsets:
	 * ethertype 12, ARP opcode 20, target protocol address 38). Frames too
	 * short for a load are dropped by the BPF machine itself. */
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETHERTYPE_ARP, 0, 5),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 2, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 38),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, our_ip, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { .len = sizeof code / sizeof code[0], .filter = code };
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0)
		return fail(fd);
	int one = 1;
	(void)setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
	/* Our probes need no traffic shaping: skip the qdisc layer per frame. */
	(void)setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
	grow_rcvbuf(fd);
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETHERTYPE_ARP), .sll_ifindex = ifindex };
	if (bind(fd, (struct sockaddr *)&sll, sizeof sll) != 0)
		return fail(fd);
	*fd_out = fd;
	return 0;
}

int rawsock_open_nd6(int ifindex, int *fd_out)
{
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(-1);
	/* Untagged IPv6 whose next header is ICMPv6 (no extension headers), of type
	 * echo reply (129) or neighbour advertisement (136): frame offsets ethertype
	 * 12, next header 20, ICMPv6 type 54. */
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETHERTYPE_IPV6, 0, 6),
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 20),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 58, 0, 4),
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 54),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 129, 1, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 136, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { .len = sizeof code / sizeof code[0], .filter = code };
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0)
		return fail(fd);
	int one = 1;
	/* Our own kernel's advertisements (it answers the hosts' solicitations for us) are not evidence. */
	(void)setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETHERTYPE_IPV6), .sll_ifindex = ifindex };
	if (bind(fd, (struct sockaddr *)&sll, sizeof sll) != 0)
		return fail(fd);
	*fd_out = fd;
	return 0;
}

int rawsock_open_icmp(int dgram, uint16_t id, int *fd_out)
{
	int fd = socket(AF_INET, (dgram ? SOCK_DGRAM : SOCK_RAW) | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (fd < 0)
		return fail(-1);
	if (dgram) {
		/* The kernel owns the echo identifier of a ping socket: it is the
		 * bound "port", and only replies carrying it are delivered. */
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(id) };
		if (bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
			sin.sin_port = 0;
			if (bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0)
				return fail(fd);
		}
	} else {
		struct icmp_filter f = { .data = ~(1u << ICMP_ECHOREPLY) };
		if (setsockopt(fd, SOL_RAW, ICMP_FILTER, &f, sizeof f) != 0)
			return fail(fd);
		/* Echo replies carrying our identifier only (X = IP header length). */
		struct sock_filter code[] = {
			BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
			BPF_STMT(BPF_LD | BPF_B | BPF_IND, 0),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ICMP_ECHOREPLY, 0, 3),
			BPF_STMT(BPF_LD | BPF_H | BPF_IND, 4),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, id, 0, 1),
			BPF_STMT(BPF_RET | BPF_K, 0xffff),
			BPF_STMT(BPF_RET | BPF_K, 0),
		};
		struct sock_fprog prog = { .len = sizeof code / sizeof code[0], .filter = code };
		if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0)
			return fail(fd);
		/* Anything queued before the filter was attached is foreign: drop it. */
		uint8_t junk[64];
		while (recv(fd, junk, sizeof junk, MSG_DONTWAIT) >= 0)
			;
	}
	grow_rcvbuf(fd);
	*fd_out = fd;
	return 0;
}

static int send_result(ssize_t n)
{
	if (n >= 0)
		return 0;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS || errno == EINTR)
		return -EAGAIN;
	return -errno;
}

int rawsock_send_arp(int fd, int ifindex, const uint8_t *frame, size_t len)
{
	(void)ifindex; /* bound to the interface at open */
	return send_result(send(fd, frame, len, MSG_DONTWAIT));
}

int rawsock_send_icmp(int fd, uint32_t dst_ip, const uint8_t *pkt, size_t len)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(dst_ip) };
	ssize_t n = sendto(fd, pkt, len, MSG_DONTWAIT, (struct sockaddr *)&sin, sizeof sin);
	/* An unreachable routed target must not stop the sweep: the kernel
	 * reports earlier ICMP errors on later sends of a raw socket. Nor must a
	 * broadcast address inside a wider CIDR (EACCES without SO_BROADCAST) or
	 * a firewall's refusal (EPERM): that one target is simply never answered. */
	if (n < 0 && (errno == EHOSTUNREACH || errno == ENETUNREACH || errno == EHOSTDOWN || errno == ECONNREFUSED || errno == EACCES || errno == EPERM))
		return 0;
	return send_result(n);
}

long rawsock_recv(int fd, uint8_t *buf, size_t cap, uint32_t *from_ip)
{
	union {
		struct sockaddr_ll ll;
		struct sockaddr_in in;
	} from;
	socklen_t fl = sizeof from;
	ssize_t n = recvfrom(fd, buf, cap, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		/* Pending ICMP errors surface here on raw sockets; not fatal. */
		if (errno == EHOSTUNREACH || errno == ENETUNREACH || errno == ECONNREFUSED || errno == EHOSTDOWN)
			return -EAGAIN;
		return -errno;
	}
	if (from_ip)
		*from_ip = (fl >= sizeof(struct sockaddr_in) && from.in.sin_family == AF_INET) ? ntohl(from.in.sin_addr.s_addr) : 0;
	if (fl >= sizeof(struct sockaddr_ll) && from.ll.sll_family == AF_PACKET && from.ll.sll_pkttype == PACKET_OUTGOING)
		return -EAGAIN; /* our own transmission, when IGNORE_OUTGOING is unsupported */
	return n == 0 ? -EAGAIN : (long)n;
}

int rawsock_iface(const char *ifname, uint8_t mac[6], int *ifindex, uint32_t *ip)
{
	if (!ifname || strlen(ifname) >= IFNAMSIZ)
		return -ENODEV;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) != 0)
		return fail(fd);
	*ifindex = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0)
		return fail(fd);
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	*ip = 0;
	if (ioctl(fd, SIOCGIFADDR, &ifr) == 0)
		*ip = ntohl(((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr.s_addr);
	close(fd);
	return 0;
}

/* Degraded discovery without privilege: one empty UDP datagram to `port` of
 * each address makes the kernel resolve it with ARP itself (the answers land
 * in the neighbour table). Errors, including ICMP port unreachable coming
 * back from live hosts, are expected and ignored. Returns datagrams sent. */
ARGUS_API uint32_t argus_udp_nudge(const uint32_t *ips, uint32_t n, uint16_t port)
{
	if (!ips)
		return 0;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	uint32_t sent = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(ips[i]) };
		if (sendto(fd, "", 0, MSG_DONTWAIT, (struct sockaddr *)&sin, sizeof sin) == 0)
			sent++;
	}
	close(fd);
	return sent;
}

/* ---- the passive listener's socket ------------------------------------- */

/* 64 KiB blocks, RAWSOCK_RING_BLOCKS of them: 1 MiB of ring, all of it resident (the kernel maps every
 * page at mmap). A block is handed over after RING_BLOCK_MS even when not full, so under a flood the
 * blocks are what runs out, not their size: at 20,000 ARP frames/s a 10 ms block holds ~25 KB. */
#define RING_BLOCK (1u << 16)
#define RING_BLOCK_MS 10      /* a block is handed over at the latest this long after its first frame */
#define LISTEN_RCVBUF (4 << 20)

int rawsock_open_listen(uint32_t snap, int *fd_out)
{
	/* Protocol 0 receives nothing until bind: no frame slips in before the filter. */
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* ARP; or IPv4, UDP, first fragment, source or destination port 67/68/5353 (X = IP header length);
	 * or IPv6 whose next header is ICMPv6 (no extension headers), hop limit 255, type 133..136 (NDP);
	 * or IPv6 whose next header is UDP (no extension headers) from or to port 5353 (mDNS) or to port
	 * 547 (DHCPv6 to servers and relays);
	 * or IPv6 with hop limit 255 behind a Hop-by-Hop, Routing or Destination Options header (hosts
	 * accept NDP wrapped so): when that header's next is ICMPv6, only types 133..136; when it is
	 * another of the three, the chain goes to user space (BPF cannot loop; the decoder walks it).
	 * Hop limit 255 keeps MLD (hop limit 1, behind Hop-by-Hop) and forwarded traffic out. */
	struct sock_filter code[] = {
		/* 0 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
		/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETHERTYPE_ARP, 15, 0),
		/* 2 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETHERTYPE_IP, 0, 16),
		/* 3 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23),
		/* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, 13),
		/* 5 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20),
		/* 6 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 11, 0),
		/* 7 */ BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14),
		/* 8 */ BPF_STMT(BPF_LD | BPF_H | BPF_IND, 14),
		/* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 67, 7, 0),
		/* 10 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 68, 6, 0),
		/* 11 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 5353, 5, 0),
		/* 12 */ BPF_STMT(BPF_LD | BPF_H | BPF_IND, 16),
		/* 13 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 67, 3, 0),
		/* 14 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 68, 2, 0),
		/* 15 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 5353, 1, 0),
		/* 16 */ BPF_STMT(BPF_RET | BPF_K, 0),
		/* 17 */ BPF_STMT(BPF_RET | BPF_K, snap),
		/* 18 */ BPF_STMT(BPF_RET | BPF_K, 0),
		/* 19 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETHERTYPE_IPV6, 0, 13),
		/* 20 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 20),
		/* 21 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 58, 0, 5),
		/* 22 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 21),
		/* 23 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 255, 0, 9),
		/* 24 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 54),
		/* 25 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 133, 0, 7),
		/* 26 */ BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 136, 6, 7),
		/* 27 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, 7),
		/* 28 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 54),
		/* 29 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 5353, 4, 0),
		/* 30 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 56),
		/* 31 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 547, 2, 0),
		/* 32 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 5353, 1, 0),
		/* 33 */ BPF_STMT(BPF_RET | BPF_K, 0),
		/* 34 */ BPF_STMT(BPF_RET | BPF_K, snap),
		/* 35 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 2, 0),
		/* 36 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 43, 1, 0),
		/* 37 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 60, 0, 14),
		/* 38 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 21),
		/* 39 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 255, 0, 12),
		/* 40 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 54),
		/* 41 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 11, 0),
		/* 42 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 43, 10, 0),
		/* 43 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 60, 9, 0),
		/* 44 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 58, 0, 7),
		/* 45 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 55), /* X = the header's length: (n + 1) * 8 */
		/* 46 */ BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 1),
		/* 47 */ BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 3),
		/* 48 */ BPF_STMT(BPF_MISC | BPF_TAX, 0),
		/* 49 */ BPF_STMT(BPF_LD | BPF_B | BPF_IND, 54), /* ICMPv6 type; past the frame's end drops it */
		/* 50 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 133, 0, 1),
		/* 51 */ BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 136, 0, 1),
		/* 52 */ BPF_STMT(BPF_RET | BPF_K, 0),
		/* 53 */ BPF_STMT(BPF_RET | BPF_K, snap),
	};
	struct sock_fprog prog = { .len = sizeof code / sizeof code[0], .filter = code };
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0)
		return fail(fd);
	int one = 1;
	(void)setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
	int sz = LISTEN_RCVBUF;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz) != 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = 0 };
	if (bind(fd, (struct sockaddr *)&sll, sizeof sll) != 0)
		return fail(fd);
	*fd_out = fd;
	return 0;
}

int rawsock_drops(int fd, uint32_t *drops)
{
	struct tpacket_stats_v3 ks; /* starts like struct tpacket_stats */
	socklen_t kl = sizeof ks;
	if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &ks, &kl) != 0)
		return -errno;
	*drops = ks.tp_drops;
	return 0;
}

int rawsock_take_error(int fd)
{
	int e = 0;
	socklen_t el = sizeof e;
	return getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) == 0 ? e : errno;
}

int rawsock_recv_batch(int fd, uint8_t *bufs, uint32_t snap, struct rawsock_frame *out, uint32_t n)
{
	struct mmsghdr msgs[64];
	struct iovec iov[64];
	struct sockaddr_ll from[64];
	if (n > 64)
		n = 64;
	memset(msgs, 0, sizeof msgs);
	for (uint32_t i = 0; i < n; i++) {
		iov[i].iov_base = bufs + (size_t)i * snap;
		iov[i].iov_len = snap;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &from[i];
		msgs[i].msg_hdr.msg_namelen = sizeof from[i];
	}
	int got = recvmmsg(fd, msgs, n, MSG_DONTWAIT, NULL);
	if (got < 0)
		return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -errno;
	for (int i = 0; i < got; i++) {
		out[i].data = iov[i].iov_base;
		out[i].len = msgs[i].msg_len < snap ? msgs[i].msg_len : snap;
		out[i].ifindex = from[i].sll_ifindex;
		out[i].outgoing = from[i].sll_pkttype == PACKET_OUTGOING;
	}
	return got;
}

int rawsock_ring_map(int fd, uint32_t snap, struct rawsock_ring *r)
{
	memset(r, 0, sizeof *r);
	int v = TPACKET_V3;
	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) != 0)
		return -errno;
	struct tpacket_req3 req = {
		.tp_block_size = RING_BLOCK,
		.tp_block_nr = RAWSOCK_RING_BLOCKS,
		.tp_frame_size = snap,
		.tp_frame_nr = (RING_BLOCK / snap) * RAWSOCK_RING_BLOCKS,
		.tp_retire_blk_tov = RING_BLOCK_MS,
	};
	if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) != 0)
		return -errno;
	size_t len = (size_t)RING_BLOCK * RAWSOCK_RING_BLOCKS;
	void *map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, fd, 0);
	if (map == MAP_FAILED) /* MAP_LOCKED needs RLIMIT_MEMLOCK room; unlocked is fine too */
		map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return -errno;
	r->map = map;
	r->len = len;
	return 0;
}

void rawsock_ring_unmap(struct rawsock_ring *r)
{
	if (r->map)
		munmap(r->map, r->len);
	r->map = NULL;
}

static struct tpacket_block_desc *ring_block(const struct rawsock_ring *r)
{
	return (struct tpacket_block_desc *)(r->map + (size_t)r->block * RING_BLOCK);
}

int rawsock_ring_ready(const struct rawsock_ring *r)
{
	return r->map && (__atomic_load_n(&ring_block(r)->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER);
}

void rawsock_ring_take(struct rawsock_ring *r, rawsock_frame_fn fn, void *ctx)
{
	if (!rawsock_ring_ready(r))
		return;
	struct tpacket_block_desc *b = ring_block(r);
	uint32_t count = b->hdr.bh1.num_pkts;
	uint32_t off = b->hdr.bh1.offset_to_first_pkt;
	for (uint32_t i = 0; i < count && off >= sizeof *b && off < RING_BLOCK; i++) {
		const struct tpacket3_hdr *h = (const struct tpacket3_hdr *)((const uint8_t *)b + off);
		const struct sockaddr_ll *sll = (const struct sockaddr_ll *)((const uint8_t *)h + TPACKET_ALIGN(sizeof *h));
		/* The kernel wrote these offsets, but a frame is still only read inside its block. */
		if ((size_t)off + h->tp_mac + h->tp_snaplen <= RING_BLOCK && sll->sll_pkttype != PACKET_OUTGOING)
			fn(ctx, sll->sll_ifindex, (const uint8_t *)h + h->tp_mac, h->tp_snaplen);
		if (h->tp_next_offset == 0)
			break;
		off += h->tp_next_offset;
	}
	__atomic_store_n(&b->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
	r->block = (r->block + 1) % RAWSOCK_RING_BLOCKS;
}
