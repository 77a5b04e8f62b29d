/*
 * The passive listener: one AF_PACKET socket, not bound to any interface, with
 * a kernel filter that passes only ARP and IPv4 UDP to or from ports 67, 68
 * and 5353; a thread of its own blocks in poll() on it (so a quiet LAN costs
 * nothing: no timer, no wake-up), decodes what passes, drops repeats and
 * queues sightings for the TypeScript side, which it wakes through a pipe.
 *
 * - Unbound, the socket lives through interface flaps: a link going down and
 *   up, or an interface deleted and created again (new ifindex), needs no
 *   reopening, only a new interface set (argus_listen_set_ifaces).
 * - Frames arrive in a memory-mapped TPACKET_V3 ring: the kernel fills blocks
 *   and hands one over when it is full or RING_BLOCK_MS after its first frame,
 *   so the thread wakes at most a few hundred times a second whatever the
 *   rate, and reads frames without a system call or a copy each. Kernels
 *   without it get recvmmsg batches with a short nap between drains instead.
 * - Repeats (the same host saying the same thing within repeat_ms) never
 *   leave the thread; a chatty LAN is deduplicated here, before the FFI.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include "internal.h"

#define QUEUE_CAP 8192
#define MAX_IFACES 32
#define BATCH 64
#define SNAP 2048          /* DHCP and mDNS fit; a longer frame is decoded as far as it goes */
#define COALESCE_NS 10000000L /* 10 ms between drains */
#define SEEN_WAYS 4
#define SEEN_SETS 4096     /* repeat filter: 16,384 entries, 4-way set associative */
#define RING_BLOCK (1u << 17) /* 128 KiB blocks ... */
#define RING_BLOCKS 16        /* ... 2 MiB of ring */
#define RING_BLOCK_MS 10      /* a block is handed over at the latest this long after its first frame */
#define LISTEN_RCVBUF (4 << 20)

struct seen_slot {
	uint64_t hash;
	uint64_t at_us;
};

struct argus_listener {
	int fd, stop_fd[2], wake_fd[2];
	uint8_t *ring; /* TPACKET_V3 blocks, NULL when the kernel refused them */
	size_t ring_len;
	uint32_t block;
	uint32_t flags;
	uint64_t repeat_us;
	pthread_t thread;
	int thread_started;
	pthread_mutex_t mu;
	int32_t ifaces[MAX_IFACES];
	uint32_t n_ifaces;
	struct argus_sighting *queue;
	uint32_t head, len;
	int wake_pending;
	struct argus_listen_stats st;
	struct seen_slot *seen;
	uint8_t *bufs;
};

static uint64_t wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
	const uint8_t *p = data;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

/* FNV-1a over what the sighting says (not its time or interface); text only as far as it goes. */
static uint64_t sighting_hash(const struct argus_sighting *s)
{
	uint64_t h = 1469598103934665603ull;
	h = fnv(h, s, offsetof(struct argus_sighting, ifindex));
	h = fnv(h, &s->flags, offsetof(struct argus_sighting, seen_us) - offsetof(struct argus_sighting, flags));
	h = fnv(h, s->hostname, s->hostname_len);
	h = fnv(h, s->prl, s->prl_len);
	h = fnv(h, s->vendor, s->vendor_len);
	h = fnv(h, s->services, s->services_len);
	h = fnv(h, s->model, s->model_len);
	/* Who sent it and for which server: a spoofed copy is not a repeat of the real one. */
	h = fnv(h, s->eth_src, offsetof(struct argus_sighting, reserved) - offsetof(struct argus_sighting, eth_src));
	return h | 1; /* 0 marks an empty slot */
}

/* True if the same sighting was queued within the repeat window; otherwise remembers it now. */
static int repeated(struct argus_listener *l, uint64_t h, uint64_t now)
{
	struct seen_slot *set = &l->seen[(h % SEEN_SETS) * SEEN_WAYS];
	struct seen_slot *victim = &set[0];
	for (int i = 0; i < SEEN_WAYS; i++) {
		if (set[i].hash == h) {
			if (now - set[i].at_us < l->repeat_us)
				return 1;
			victim = &set[i];
			break;
		}
		if (set[i].at_us < victim->at_us)
			victim = &set[i]; /* the oldest (or an empty one) makes room */
	}
	victim->hash = h;
	victim->at_us = now;
	return 0;
}

static int iface_wanted(struct argus_listener *l, int32_t ifindex)
{
	for (uint32_t i = 0; i < l->n_ifaces; i++)
		if (l->ifaces[i] == ifindex)
			return 1;
	return 0;
}

/* Decode, filter and queue one frame; the caller holds l->mu. Returns 1 if queued. */
static int take_frame(struct argus_listener *l, int32_t ifindex, const uint8_t *frame, size_t len, uint64_t now)
{
	l->st.frames++;
	if (!iface_wanted(l, ifindex)) {
		l->st.ignored++;
		return 0;
	}
	struct argus_sighting s;
	if (argus_decode_sighting(frame, len, &s) != ARGUS_DECODE_OK || (s.flags & ARGUS_F_MULTICAST_SENDER)) {
		l->st.ignored++;
		return 0;
	}
	s.ifindex = (uint32_t)ifindex;
	if (repeated(l, sighting_hash(&s), now)) {
		l->st.repeats++;
		return 0;
	}
	if (l->len == QUEUE_CAP) {
		l->st.overflow++;
		return 0;
	}
	s.seen_us = (l->flags & ARGUS_LISTEN_OFFLINE) ? 0 : now;
	l->queue[(l->head + l->len) % QUEUE_CAP] = s;
	l->len++;
	l->st.sightings++;
	return 1;
}

static void wake(struct argus_listener *l)
{
	/* One byte per batch: the reader drains the queue, then clears wake_pending. */
	if (l->wake_pending || l->wake_fd[1] < 0)
		return;
	l->wake_pending = 1;
	uint8_t b = 1;
	(void)!write(l->wake_fd[1], &b, 1);
}

static void drain(struct argus_listener *l)
{
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_ll from[BATCH];
	for (int rounds = 0; rounds < 64; rounds++) {
		memset(msgs, 0, sizeof msgs);
		for (int i = 0; i < BATCH; i++) {
			iov[i].iov_base = l->bufs + (size_t)i * SNAP;
			iov[i].iov_len = SNAP;
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &from[i];
			msgs[i].msg_hdr.msg_namelen = sizeof from[i];
		}
		int n = recvmmsg(l->fd, msgs, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				/* ENETDOWN and friends after a flap: reported once, then the socket goes on. */
				pthread_mutex_lock(&l->mu);
				l->st.errors++;
				pthread_mutex_unlock(&l->mu);
			}
			return;
		}
		uint64_t now = wall_us();
		int queued = 0;
		pthread_mutex_lock(&l->mu);
		for (int i = 0; i < n; i++) {
			if (from[i].sll_pkttype == PACKET_OUTGOING)
				continue;
			size_t len = msgs[i].msg_len < SNAP ? msgs[i].msg_len : SNAP;
			queued |= take_frame(l, from[i].sll_ifindex, iov[i].iov_base, len, now);
		}
		if (queued)
			wake(l);
		pthread_mutex_unlock(&l->mu);
		if (n < BATCH)
			return;
	}
}

/* Hands every block the kernel has passed to us through take_frame, oldest first. */
static void drain_ring(struct argus_listener *l)
{
	for (uint32_t n = 0; n < RING_BLOCKS; n++) {
		struct tpacket_block_desc *b = (struct tpacket_block_desc *)(l->ring + (size_t)l->block * RING_BLOCK);
		if (!(__atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
			return;
		uint32_t count = b->hdr.bh1.num_pkts;
		uint32_t off = b->hdr.bh1.offset_to_first_pkt;
		uint64_t now = wall_us();
		int queued = 0;
		pthread_mutex_lock(&l->mu);
		for (uint32_t i = 0; i < count && off >= sizeof *b && off < RING_BLOCK; i++) {
			const struct tpacket3_hdr *h = (const struct tpacket3_hdr *)((const uint8_t *)b + off);
			const struct sockaddr_ll *sll = (const struct sockaddr_ll *)((const uint8_t *)h + TPACKET_ALIGN(sizeof *h));
			/* The kernel wrote these offsets, but a frame is still only read inside its block. */
			if ((size_t)off + h->tp_mac + h->tp_snaplen <= RING_BLOCK && sll->sll_pkttype != PACKET_OUTGOING)
				queued |= take_frame(l, sll->sll_ifindex, (const uint8_t *)h + h->tp_mac, h->tp_snaplen, now);
			if (h->tp_next_offset == 0)
				break;
			off += h->tp_next_offset;
		}
		if (queued)
			wake(l);
		pthread_mutex_unlock(&l->mu);
		__atomic_store_n(&b->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		l->block = (l->block + 1) % RING_BLOCKS;
	}
}

static void *run(void *arg)
{
	struct argus_listener *l = arg;
	struct pollfd p[2] = { { .fd = l->fd, .events = POLLIN }, { .fd = l->stop_fd[0], .events = POLLIN } };
	for (;;) {
		int r = poll(p, 2, -1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		pthread_mutex_lock(&l->mu);
		l->st.wakeups++;
		pthread_mutex_unlock(&l->mu);
		if (p[0].revents & POLLERR) {
			int e = 0;
			socklen_t el = sizeof e;
			(void)getsockopt(l->fd, SOL_SOCKET, SO_ERROR, &e, &el);
			pthread_mutex_lock(&l->mu);
			l->st.errors++;
			pthread_mutex_unlock(&l->mu);
		}
		if (l->ring) {
			drain_ring(l); /* the ring's block timeout already batches */
			continue;
		}
		drain(l);
		/* Let a burst gather before the next drain; stop still ends the nap at once. */
		struct pollfd s = { .fd = l->stop_fd[0], .events = POLLIN };
		struct timespec nap = { 0, COALESCE_NS };
		if (ppoll(&s, 1, &nap, NULL) > 0)
			break;
	}
	return NULL;
}

/* A TPACKET_V3 receive ring; 0, or -errno when the kernel will not (the listener then reads with recvmmsg). */
static int map_ring(struct argus_listener *l)
{
	int v = TPACKET_V3;
	if (setsockopt(l->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) != 0)
		return -errno;
	struct tpacket_req3 req = {
		.tp_block_size = RING_BLOCK,
		.tp_block_nr = RING_BLOCKS,
		.tp_frame_size = SNAP,
		.tp_frame_nr = (RING_BLOCK / SNAP) * RING_BLOCKS,
		.tp_retire_blk_tov = RING_BLOCK_MS,
	};
	if (setsockopt(l->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) != 0)
		return -errno;
	void *ring = mmap(NULL, (size_t)RING_BLOCK * RING_BLOCKS, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, l->fd, 0);
	if (ring == MAP_FAILED) /* MAP_LOCKED needs RLIMIT_MEMLOCK room; unlocked is fine too */
		ring = mmap(NULL, (size_t)RING_BLOCK * RING_BLOCKS, PROT_READ | PROT_WRITE, MAP_SHARED, l->fd, 0);
	if (ring == MAP_FAILED)
		return -errno;
	l->ring = ring;
	l->ring_len = (size_t)RING_BLOCK * RING_BLOCKS;
	return 0;
}

static int open_socket(int *fd_out)
{
	/* Protocol 0 receives nothing until bind: no frame slips in before the filter. */
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* ARP; or IPv4, UDP, first fragment, source or destination port 67/68/5353 (X = IP header length). */
	struct sock_filter code[] = {
		/* 0 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
		/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETHERTYPE_ARP, 15, 0),
		/* 2 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETHERTYPE_IP, 0, 15),
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
		/* 17 */ BPF_STMT(BPF_RET | BPF_K, SNAP),
		/* 18 */ BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { .len = sizeof code / sizeof code[0], .filter = code };
	int e;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0)
		goto fail;
	int one = 1;
	(void)setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
	int sz = LISTEN_RCVBUF;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz) != 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = 0 };
	if (bind(fd, (struct sockaddr *)&sll, sizeof sll) != 0)
		goto fail;
	*fd_out = fd;
	return 0;
fail:
	e = errno;
	close(fd);
	return -e;
}

argus_listener *argus_listen_open(uint32_t flags, uint32_t repeat_ms, int32_t *err)
{
	int32_t dummy;
	if (!err)
		err = &dummy;
	*err = 0;
	struct argus_listener *l = calloc(1, sizeof *l);
	if (!l) {
		*err = ENOMEM;
		return NULL;
	}
	l->fd = l->stop_fd[0] = l->stop_fd[1] = l->wake_fd[0] = l->wake_fd[1] = -1;
	l->flags = flags;
	l->repeat_us = (uint64_t)repeat_ms * 1000u;
	pthread_mutex_init(&l->mu, NULL);
	l->queue = calloc(QUEUE_CAP, sizeof *l->queue);
	l->seen = calloc((size_t)SEEN_SETS * SEEN_WAYS, sizeof *l->seen);
	l->bufs = malloc((size_t)BATCH * SNAP);
	if (!l->queue || !l->seen || !l->bufs) {
		*err = ENOMEM;
		goto fail;
	}
	if (flags & ARGUS_LISTEN_OFFLINE)
		return l;
	int r = open_socket(&l->fd);
	if (r < 0) {
		*err = -r;
		goto fail;
	}
	if (getenv("ARGUS_LISTEN_NO_RING") == NULL) /* the recvmmsg path, for comparison (benchmark) */
		(void)map_ring(l);
	/* The wake pipe's read end blocks: the TypeScript side reads it off its event loop. */
	if (pipe2(l->stop_fd, O_CLOEXEC) != 0 || pipe2(l->wake_fd, O_CLOEXEC) != 0) {
		*err = errno;
		goto fail;
	}
	(void)fcntl(l->wake_fd[1], F_SETFL, O_NONBLOCK);
	if (pthread_create(&l->thread, NULL, run, l) != 0) {
		*err = EAGAIN;
		goto fail;
	}
	l->thread_started = 1;
	return l;
fail:
	argus_listen_close(l);
	return NULL;
}

int argus_listen_set_ifaces(argus_listener *l, const int32_t *ifindexes, uint32_t n)
{
	if (!l || n > MAX_IFACES || (n && !ifindexes))
		return -EINVAL;
	pthread_mutex_lock(&l->mu);
	memcpy(l->ifaces, ifindexes, n * sizeof *ifindexes);
	l->n_ifaces = n;
	pthread_mutex_unlock(&l->mu);
	return 0;
}

int32_t argus_listen_wake_fd(const argus_listener *l)
{
	/* A duplicate the caller owns: a reader that closes its end when the stream
	 * ends must not close a descriptor this library still uses. */
	return (l && l->wake_fd[0] >= 0) ? fcntl(l->wake_fd[0], F_DUPFD_CLOEXEC, 0) : -1;
}

uint32_t argus_listen_read(argus_listener *l, struct argus_sighting *out, uint32_t max)
{
	if (!l || !out)
		return 0;
	pthread_mutex_lock(&l->mu);
	uint32_t n = 0;
	while (n < max && l->len > 0) {
		out[n++] = l->queue[l->head];
		l->head = (l->head + 1) % QUEUE_CAP;
		l->len--;
	}
	if (l->len == 0)
		l->wake_pending = 0;
	pthread_mutex_unlock(&l->mu);
	return n;
}

void argus_listen_stats(argus_listener *l, struct argus_listen_stats *out)
{
	if (!l || !out)
		return;
	pthread_mutex_lock(&l->mu);
	*out = l->st;
	pthread_mutex_unlock(&l->mu);
	if (l->fd >= 0) {
		struct tpacket_stats_v3 ks; /* starts like struct tpacket_stats */
		socklen_t kl = sizeof ks;
		/* Reading resets the kernel's counters: keep a running total. */
		if (getsockopt(l->fd, SOL_PACKET, PACKET_STATISTICS, &ks, &kl) == 0) {
			pthread_mutex_lock(&l->mu);
			l->st.kernel_drops += ks.tp_drops;
			out->kernel_drops = l->st.kernel_drops;
			pthread_mutex_unlock(&l->mu);
		}
	}
}

int argus_listen_inject(argus_listener *l, int32_t ifindex, const uint8_t *frame, size_t len)
{
	if (!l || !frame)
		return 0;
	pthread_mutex_lock(&l->mu);
	int r = take_frame(l, ifindex, frame, len, wall_us());
	pthread_mutex_unlock(&l->mu);
	return r;
}

void argus_listen_close(argus_listener *l)
{
	if (!l)
		return;
	if (l->thread_started) {
		uint8_t b = 1;
		(void)!write(l->stop_fd[1], &b, 1);
		pthread_join(l->thread, NULL);
	}
	int fds[] = { l->fd, l->stop_fd[0], l->stop_fd[1], l->wake_fd[0], l->wake_fd[1] };
	for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (l->ring)
		munmap(l->ring, l->ring_len);
	pthread_mutex_destroy(&l->mu);
	free(l->queue);
	free(l->seen);
	free(l->bufs);
	free(l);
}
