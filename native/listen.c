/*
 * The passive listener: one AF_PACKET socket, not bound to any interface, with
 * a kernel filter that passes only ARP, IPv4 UDP to or from ports 67, 68
 * and 5353, IPv6 neighbour discovery (also behind extension headers) and IPv6
 * UDP to or from 5353 or to 547 (DHCPv6) (the socket, its filter and its ring are rawsock.c's, with the
 * other packet sockets); a thread of its own blocks in poll() on it (so a quiet LAN costs
 * nothing: no timer, no wake-up), decodes what passes, drops repeats and
 * queues sightings for the TypeScript side, which it wakes through a pipe.
 *
 * - Unbound, the socket lives through interface flaps: a link going down and
 *   up, or an interface deleted and created again (new ifindex), needs no
 *   reopening, only a new interface set (argus_listen_set_ifaces).
 * - Frames arrive in a memory-mapped TPACKET_V3 ring: the kernel fills blocks
 *   and hands one over when it is full or 10 ms after its first frame,
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
#include "internal.h"

#define QUEUE_CAP 8192
#define MAX_IFACES 32
#define BATCH 64
#define SNAP 2048          /* DHCP, DHCPv6 and mDNS fit; a longer frame is decoded as far as it goes */
#define COALESCE_NS 10000000L /* 10 ms between drains */
#define SEEN_WAYS 4
#define SEEN_SETS 4096     /* repeat filter: 16,384 entries, 4-way set associative */

struct seen_slot {
	uint64_t hash;
	uint64_t at_us;
};

struct argus_listener {
	int fd, stop_fd[2], wake_fd[2];
	struct rawsock_ring ring; /* TPACKET_V3 blocks; ring.map NULL when the kernel refused them */
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
	h = fnv(h, s->eth_src, sizeof *s - offsetof(struct argus_sighting, eth_src));
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
	struct rawsock_frame frames[BATCH];
	for (int rounds = 0; rounds < 64; rounds++) {
		int n = rawsock_recv_batch(l->fd, l->bufs, SNAP, frames, BATCH);
		if (n <= 0) {
			if (n < 0) {
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
		for (int i = 0; i < n; i++)
			if (!frames[i].outgoing)
				queued |= take_frame(l, frames[i].ifindex, frames[i].data, frames[i].len, now);
		if (queued)
			wake(l);
		pthread_mutex_unlock(&l->mu);
		if (n < BATCH)
			return;
	}
}

struct ring_pass {
	struct argus_listener *l;
	uint64_t now;
	int queued;
};

static void ring_frame(void *ctx, int32_t ifindex, const uint8_t *frame, size_t len)
{
	struct ring_pass *r = ctx;
	r->queued |= take_frame(r->l, ifindex, frame, len, r->now);
}

/* Hands every block the kernel has passed to us through take_frame, oldest first. */
static void drain_ring(struct argus_listener *l)
{
	for (uint32_t n = 0; n < RAWSOCK_RING_BLOCKS && rawsock_ring_ready(&l->ring); n++) {
		struct ring_pass r = { l, wall_us(), 0 };
		pthread_mutex_lock(&l->mu);
		rawsock_ring_take(&l->ring, ring_frame, &r);
		if (r.queued)
			wake(l);
		pthread_mutex_unlock(&l->mu);
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
			(void)rawsock_take_error(l->fd);
			pthread_mutex_lock(&l->mu);
			l->st.errors++;
			pthread_mutex_unlock(&l->mu);
		}
		if (l->ring.map) {
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
	int r = rawsock_open_listen(SNAP, &l->fd);
	if (r < 0) {
		*err = -r;
		goto fail;
	}
	if (getenv("ARGUS_LISTEN_NO_RING") == NULL) /* the recvmmsg path, for comparison (benchmark) */
		(void)rawsock_ring_map(l->fd, SNAP, &l->ring);
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
		/* Reading resets the kernel's counter: keep a running total. */
		uint32_t drops;
		if (rawsock_drops(l->fd, &drops) == 0) {
			pthread_mutex_lock(&l->mu);
			l->st.kernel_drops += drops;
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
	rawsock_ring_unmap(&l->ring);
	pthread_mutex_destroy(&l->mu);
	free(l->queue);
	free(l->seen);
	free(l->bufs);
	free(l);
}
