/*
 * The sweep engine: transmit probes at a fixed rate while receiving, match
 * replies to targets, retry the silent ones and stop as soon as every target
 * has answered or run out of time.
 *
 * Bookkeeping is two FIFO queues of target indices ordered by last send time
 * (every push happens "now", so they stay sorted without a heap): `retry`
 * holds targets that may still be probed again, `final` those whose last
 * probe is out.
 *
 * Timing adapts to the replies seen so far instead of one long timeout:
 *  - a silent target is re-probed after max(floor, 3 x p75 RTT): the typical
 *    host's time. Re-probing a sleepy host early costs one frame; waiting
 *    for it on every retry would cost the whole sweep.
 *  - after its last probe a target is given up once that wait has passed AND
 *    1.3 x the longest first-probe-to-answer latency seen has passed since
 *    its first probe: when slow responders have shown themselves, silent
 *    targets get as long as they took; on a prompt LAN the sweep ends a few
 *    floor waits after the last probe. That span is never shorter than
 *    `linger_ms` since the first probe: a sleeping host that has not
 *    answered yet cannot have shown how slow it is.
 * Both are capped by the configured timeout.
 *
 * The engine runs in slices (argus_sweep_step) so the caller's event loop
 * keeps turning; rate and timers are wall-clock based, not slice based.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "internal.h"

#define MAX_TARGETS (1u << 22)
#define MAX_ATTEMPTS 16
#define RECV_BATCH 512 /* frames per socket per loop turn, so sending is not starved */

enum tstate { T_FRESH = 0, T_PENDING, T_ANSWERED, T_GAVE_UP };

struct target {
	uint32_t ip;
	uint8_t method;
	uint8_t attempts;
	uint8_t state;
	uint8_t answered_attempt;
	uint16_t flags;
	uint16_t dups;
	uint8_t mac[6];
	uint32_t rtt_us;
	uint64_t first_sent_us;
	uint64_t last_sent_us;
};

struct fifo {
	uint32_t *v;
	uint32_t cap, head, len;
};

struct argus_sweep {
	struct argus_sweep_config cfg;
	struct target *t;
	uint32_t n;
	uint32_t *by_ip; /* target indices sorted by ip, for reply lookup */
	uint32_t *answer_log; /* target indices in the order they answered */
	uint32_t cursor; /* next never-probed target */
	struct fifo retry, final;
	struct ratelimit rl;
	struct rttstat rtt;
	uint32_t wait_us, grace_us, rtt_seen;
	uint32_t max_latency_us; /* largest first-probe-to-answer time seen */
	uint8_t mac[6];
	int ifindex;
	uint32_t src_ip;
	int arp_fd, icmp_fd, icmp_dgram;
	int cancelled, done;
	uint64_t opened_us;
	/* After the kernel said "try again" (a full queue, a stopped link), wait a little before the
	 * next send instead of spinning on a send that keeps failing. */
	uint64_t tx_backoff_until;
	struct argus_sweep_progress prog;
};

#define TX_BACKOFF_US 1000

static int fifo_init(struct fifo *f, uint32_t cap)
{
	f->v = calloc(cap ? cap : 1, sizeof *f->v);
	f->cap = cap ? cap : 1;
	f->head = f->len = 0;
	return f->v ? 0 : -ENOMEM;
}

/* Each target sits in at most one queue at a time, so len never exceeds n. */
static void fifo_push(struct fifo *f, uint32_t x)
{
	f->v[(f->head + f->len) % f->cap] = x;
	f->len++;
}

static uint32_t fifo_peek(const struct fifo *f) { return f->v[f->head]; }

static void fifo_pop(struct fifo *f)
{
	f->head = (f->head + 1) % f->cap;
	f->len--;
}

static struct target *lookup(argus_sweep *s, uint32_t ip)
{
	uint32_t lo = 0, hi = s->n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		uint32_t v = s->t[s->by_ip[mid]].ip;
		if (v == ip)
			return &s->t[s->by_ip[mid]];
		if (v < ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* qsort_r, not qsort with a global: sweeps may run in several threads (Workers). */
static int by_ip_cmp(const void *a, const void *b, void *base)
{
	const struct target *t = base;
	uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
	uint32_t x = t[i].ip, y = t[j].ip;
	if (x != y)
		return x < y ? -1 : 1;
	return i < j ? -1 : i > j;
}

static void update_waits(argus_sweep *s)
{
	if (s->rtt_seen == s->rtt.count && s->wait_us)
		return;
	s->rtt_seen = s->rtt.count;
	uint64_t floor = (uint64_t)s->cfg.floor_ms * 1000, cap = (uint64_t)s->cfg.timeout_ms * 1000;
	if (floor > cap)
		floor = cap;
	uint64_t w = 3ull * rttstat_quantile(&s->rtt, 0.75);
	if (w < floor)
		w = floor;
	if (w > cap)
		w = cap;
	uint64_t g = (uint64_t)s->max_latency_us * 13 / 10;
	if (g < (uint64_t)s->cfg.linger_ms * 1000)
		g = (uint64_t)s->cfg.linger_ms * 1000;
	if (g > cap)
		g = cap;
	s->wait_us = (uint32_t)w;
	s->grace_us = (uint32_t)g;
	s->prog.wait_us = g > w ? g : w;
}

static void put_ip(uint8_t out[4], uint32_t ip)
{
	out[0] = (uint8_t)(ip >> 24);
	out[1] = (uint8_t)(ip >> 16);
	out[2] = (uint8_t)(ip >> 8);
	out[3] = (uint8_t)ip;
}

static uint32_t get_ip(const uint8_t in[4]) { return ((uint32_t)in[0] << 24) | ((uint32_t)in[1] << 16) | ((uint32_t)in[2] << 8) | in[3]; }

argus_sweep *argus_sweep_open(const char *ifname, const uint32_t *targets, const uint8_t *methods, uint32_t n,
                              const struct argus_sweep_config *cfg, int32_t *err)
{
	int e = 0;
	if (err)
		*err = 0;
	if (!cfg || (n && (!targets || !methods)) || n > MAX_TARGETS) {
		if (err)
			*err = EINVAL;
		return NULL;
	}
	argus_sweep *s = calloc(1, sizeof *s);
	if (!s) {
		if (err)
			*err = ENOMEM;
		return NULL;
	}
	s->arp_fd = s->icmp_fd = -1;
	s->cfg = *cfg;
	if (s->cfg.retries > MAX_ATTEMPTS - 1)
		s->cfg.retries = MAX_ATTEMPTS - 1;
	if (s->cfg.timeout_ms == 0)
		s->cfg.timeout_ms = 1;
	s->t = calloc(n ? n : 1, sizeof *s->t);
	s->by_ip = calloc(n ? n : 1, sizeof *s->by_ip);
	s->answer_log = calloc(n ? n : 1, sizeof *s->answer_log);
	if (!s->t || !s->by_ip || !s->answer_log || fifo_init(&s->retry, n) || fifo_init(&s->final, n)) {
		e = ENOMEM;
		goto out;
	}

	/* Duplicate targets are dropped (first one wins) so every reply maps to
	 * exactly one slot and "finished" can reach "total". */
	int need_arp = 0, need_icmp = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (methods[i] > ARGUS_METHOD_ICMP) {
			e = EINVAL;
			goto out;
		}
		s->t[i].ip = targets[i];
		s->t[i].method = methods[i];
		s->by_ip[i] = i;
	}
	qsort_r(s->by_ip, n, sizeof *s->by_ip, by_ip_cmp, s->t);
	/* by_ip_cmp breaks ties by index, so the first of a run is the one kept. */
	uint8_t *dup = calloc(n ? n : 1, 1);
	if (!dup) {
		e = ENOMEM;
		goto out;
	}
	for (uint32_t k = 1; k < n; k++)
		if (s->t[s->by_ip[k - 1]].ip == s->t[s->by_ip[k]].ip)
			dup[s->by_ip[k]] = 1;
	uint32_t kept = 0;
	for (uint32_t i = 0; i < n; i++)
		if (!dup[i])
			s->t[kept++] = s->t[i];
	free(dup);
	s->n = kept;
	for (uint32_t i = 0; i < kept; i++)
		s->by_ip[i] = i;
	qsort_r(s->by_ip, kept, sizeof *s->by_ip, by_ip_cmp, s->t);
	for (uint32_t i = 0; i < kept; i++) {
		need_arp |= s->t[i].method == ARGUS_METHOD_ARP;
		need_icmp |= s->t[i].method == ARGUS_METHOD_ICMP;
	}
	s->prog.total = kept;

	s->src_ip = cfg->src_ip;
	s->icmp_dgram = (cfg->flags & ARGUS_SWEEP_ICMP_DGRAM) != 0;
	if (!(cfg->flags & ARGUS_SWEEP_OFFLINE)) {
		if (need_arp && s->icmp_dgram) {
			e = EINVAL; /* ARP needs a packet socket; degraded mode is ICMP only */
			goto out;
		}
		if (ifname && ifname[0]) {
			uint32_t ip = 0;
			int r = rawsock_iface(ifname, s->mac, &s->ifindex, &ip);
			if (r < 0) {
				e = -r;
				goto out;
			}
			if (!s->src_ip)
				s->src_ip = ip;
		} else if (need_arp) {
			e = ENODEV;
			goto out;
		}
		if (need_arp && !s->src_ip) {
			e = EADDRNOTAVAIL;
			goto out;
		}
		int r = 0;
		if (need_arp)
			r = rawsock_open_arp(s->ifindex, s->src_ip, &s->arp_fd);
		if (r == 0 && need_icmp)
			r = rawsock_open_icmp(s->icmp_dgram, (uint16_t)cfg->icmp_id, &s->icmp_fd);
		if (r < 0) {
			e = -r;
			goto out;
		}
	}
	s->opened_us = now_us();
	ratelimit_init(&s->rl, cfg->rate_pps, s->opened_us);
	update_waits(s);
	s->done = kept == 0;
	return s;
out:
	argus_sweep_close(s);
	if (err)
		*err = e;
	return NULL;
}

void argus_sweep_close(argus_sweep *s)
{
	if (!s)
		return;
	if (s->arp_fd >= 0)
		close(s->arp_fd);
	if (s->icmp_fd >= 0)
		close(s->icmp_fd);
	free(s->t);
	free(s->by_ip);
	free(s->answer_log);
	free(s->retry.v);
	free(s->final.v);
	free(s);
}

void argus_sweep_cancel(argus_sweep *s)
{
	if (s)
		s->cancelled = 1;
}

static void answered(argus_sweep *s, struct target *t, uint64_t now, uint32_t rtt_us)
{
	t->state = T_ANSWERED;
	t->answered_attempt = t->attempts;
	t->rtt_us = rtt_us;
	s->answer_log[s->prog.answered++] = (uint32_t)(t - s->t);
	s->prog.finished++;
	rttstat_add(&s->rtt, rtt_us);
	uint64_t lat = now > t->first_sent_us ? now - t->first_sent_us : 0;
	if (lat > s->max_latency_us)
		s->max_latency_us = lat > 0xffffffffu ? 0xffffffffu : (uint32_t)lat;
}

/* A reply counts only if it is for a target of this sweep that we have
 * already probed with the same method; everything else is foreign. */
static struct target *asked(argus_sweep *s, uint32_t ip, uint8_t method)
{
	struct target *t = lookup(s, ip);
	if (!t || t->method != method || t->attempts == 0)
		return NULL;
	return t;
}

static int handle_arp(argus_sweep *s, const uint8_t *frame, size_t len, uint64_t now)
{
	struct argus_arp_info a;
	if (argus_decode_arp(frame, len, &a) != ARGUS_DECODE_OK || a.op != 2)
		return 0;
	if (a.flags & ARGUS_F_MULTICAST_SENDER)
		return 0;
	if (s->src_ip && get_ip(a.target_ip) != s->src_ip)
		return 0;
	struct target *t = asked(s, get_ip(a.sender_ip), ARGUS_METHOD_ARP);
	if (!t)
		return 0;
	if (t->state == T_ANSWERED) {
		if (t->dups < 0xffff)
			t->dups++;
		if (memcmp(t->mac, a.sender_mac, 6) != 0)
			t->flags |= ARGUS_F_CONFLICT;
		return 0;
	}
	if (t->state == T_GAVE_UP)
		s->prog.finished--; /* late but welcome: it is answered after all */
	memcpy(t->mac, a.sender_mac, 6);
	t->flags = a.flags & (ARGUS_F_VLAN | ARGUS_F_LLC | ARGUS_F_TRAILER | ARGUS_F_DIFF_FRAME_ADDR | ARGUS_F_LOCAL_ADMIN);
	uint64_t rtt = now > t->last_sent_us ? now - t->last_sent_us : 0;
	answered(s, t, now, rtt > 0xffffffffu ? 0xffffffffu : (uint32_t)rtt);
	return 1;
}

static int handle_icmp(argus_sweep *s, const uint8_t *pkt, size_t len, uint32_t from_ip, uint64_t now)
{
	struct argus_icmp_info ic;
	if (argus_decode_icmp(pkt, len, !s->icmp_dgram, &ic) != ARGUS_DECODE_OK)
		return 0;
	if (ic.type != 0 || ic.code != 0)
		return 0;
	/* A ping socket's kernel rewrites the identifier; a raw one must check it. */
	if (!s->icmp_dgram && ic.id != (uint16_t)s->cfg.icmp_id)
		return 0;
	uint32_t src = s->icmp_dgram ? from_ip : get_ip(ic.src_ip);
	struct target *t = asked(s, src, ARGUS_METHOD_ICMP);
	/* The echoed token must name this very target: a reply from X quoting
	 * the probe we sent to Y is not evidence that X is alive. */
	if (!t || ic.token != (uint32_t)(t - s->t))
		return 0;
	if (t->state == T_ANSWERED) {
		if (t->dups < 0xffff)
			t->dups++;
		return 0;
	}
	if (t->state == T_GAVE_UP)
		s->prog.finished--;
	t->flags = 0;
	/* seq says which probe came back; its send time is the last one only if
	 * it is the latest attempt, otherwise use the echoed timestamp if sane. */
	uint64_t sent = t->last_sent_us;
	if (ic.seq != t->attempts && ic.sent_us >= s->opened_us && ic.sent_us <= now)
		sent = ic.sent_us;
	uint64_t rtt = now > sent ? now - sent : 0;
	answered(s, t, now, rtt > 0xffffffffu ? 0xffffffffu : (uint32_t)rtt);
	if (ic.seq >= 1 && ic.seq <= t->attempts)
		t->answered_attempt = (uint8_t)ic.seq;
	return 1;
}

int argus_sweep_inject(argus_sweep *s, uint8_t method, const uint8_t *frame, size_t len)
{
	if (!s || !frame)
		return 0;
	uint64_t now = now_us();
	s->prog.received++;
	int r = method == ARGUS_METHOD_ARP ? handle_arp(s, frame, len, now) : handle_icmp(s, frame, len, 0, now);
	if (!r)
		s->prog.ignored++;
	return r;
}

/* Send one probe; OFFLINE sweeps only mark the target probed. */
static int transmit(argus_sweep *s, struct target *t, uint64_t now)
{
	uint8_t buf[64];
	int r = 0;
	uint8_t attempt = (uint8_t)(t->attempts + 1);
	if (!(s->cfg.flags & ARGUS_SWEEP_OFFLINE)) {
		if (t->method == ARGUS_METHOD_ARP) {
			size_t len = frame_build_arp_request(buf, sizeof buf, s->mac, s->src_ip, t->ip);
			r = rawsock_send_arp(s->arp_fd, s->ifindex, buf, len);
		} else {
			size_t len = frame_build_icmp_echo(buf, sizeof buf, (uint16_t)s->cfg.icmp_id, attempt, (uint32_t)(t - s->t), now);
			r = rawsock_send_icmp(s->icmp_fd, t->ip, buf, len);
		}
	}
	if (r < 0)
		return r;
	t->attempts = attempt;
	if (attempt == 1)
		t->first_sent_us = now;
	t->last_sent_us = now;
	t->state = T_PENDING;
	s->prog.sent++;
	s->prog.last_send_us = now - s->opened_us;
	return 0;
}

static int drain(argus_sweep *s, int fd, uint8_t method)
{
	uint8_t buf[2048];
	for (int i = 0; i < RECV_BATCH; i++) {
		uint32_t from = 0;
		long n = rawsock_recv(fd, buf, sizeof buf, &from);
		if (n == 0)
			return 0;
		if (n == -EAGAIN)
			continue;
		if (n < 0)
			return (int)n;
		uint64_t now = now_us();
		s->prog.received++;
		int ok = method == ARGUS_METHOD_ARP ? handle_arp(s, buf, (size_t)n, now) : handle_icmp(s, buf, (size_t)n, from, now);
		if (!ok)
			s->prog.ignored++;
	}
	return 0;
}

static uint64_t final_due(const argus_sweep *s, const struct target *t)
{
	uint64_t a = t->last_sent_us + s->wait_us, b = t->first_sent_us + s->grace_us;
	return a > b ? a : b;
}

/* Expire or re-probe queued targets whose wait is over. Returns <0 on a
 * send error, otherwise 0; sets *blocked when out of tokens or buffer. */
static int run_timers(argus_sweep *s, uint64_t now, int *blocked)
{
	uint32_t max_attempts = s->cfg.retries + 1;
	while (s->final.len) {
		struct target *t = &s->t[fifo_peek(&s->final)];
		if (t->state == T_PENDING && now < final_due(s, t))
			break;
		fifo_pop(&s->final);
		if (t->state == T_PENDING) {
			t->state = T_GAVE_UP;
			s->prog.finished++;
		}
	}
	while (s->retry.len && !*blocked) {
		struct target *t = &s->t[fifo_peek(&s->retry)];
		if (t->state != T_PENDING) {
			fifo_pop(&s->retry);
			continue;
		}
		if (now < t->last_sent_us + s->wait_us)
			break;
		if (ratelimit_take(&s->rl, now, 1) == 0) {
			*blocked = 1;
			break;
		}
		int r = transmit(s, t, now);
		if (r == -EAGAIN) {
			ratelimit_give_back(&s->rl, 1);
			s->tx_backoff_until = now + TX_BACKOFF_US;
			*blocked = 1;
			break;
		}
		if (r < 0)
			return r;
		fifo_pop(&s->retry);
		fifo_push(t->attempts >= max_attempts ? &s->final : &s->retry, (uint32_t)(t - s->t));
	}
	return 0;
}

static int send_fresh(argus_sweep *s, uint64_t now, int *blocked)
{
	uint32_t max_attempts = s->cfg.retries + 1;
	while (s->cursor < s->n && !*blocked) {
		uint32_t want = s->n - s->cursor;
		uint32_t got = ratelimit_take(&s->rl, now, want > 256 ? 256 : want);
		if (got == 0) {
			*blocked = 1;
			break;
		}
		for (uint32_t k = 0; k < got; k++) {
			struct target *t = &s->t[s->cursor];
			int r = transmit(s, t, now);
			if (r == -EAGAIN) {
				ratelimit_give_back(&s->rl, got - k);
				s->tx_backoff_until = now + TX_BACKOFF_US;
				*blocked = 1;
				break;
			}
			if (r < 0)
				return r;
			s->cursor++;
			fifo_push(t->attempts >= max_attempts ? &s->final : &s->retry, (uint32_t)(t - s->t));
		}
	}
	return 0;
}

/* The earliest moment something can happen without a reply arriving. */
static uint64_t next_event(argus_sweep *s, uint64_t now, int blocked)
{
	uint64_t next = UINT64_MAX;
	uint64_t token_at = blocked ? ratelimit_next_us(&s->rl, now) : now;
	if (blocked && token_at < s->tx_backoff_until)
		token_at = s->tx_backoff_until;
	if (s->cursor < s->n)
		next = token_at;
	if (s->retry.len) {
		struct target *t = &s->t[fifo_peek(&s->retry)];
		uint64_t due = t->last_sent_us + s->wait_us;
		if (due < token_at)
			due = token_at;
		if (due < next)
			next = due;
	}
	if (s->final.len) {
		uint64_t due = final_due(s, &s->t[fifo_peek(&s->final)]);
		if (due < next)
			next = due;
	}
	return next;
}

int argus_sweep_step(argus_sweep *s, uint32_t budget_ms)
{
	if (!s)
		return -EINVAL;
	if (s->cancelled || s->done)
		return 0;
	uint64_t start = now_us(), deadline = start + (uint64_t)budget_ms * 1000;
	for (;;) {
		int r;
		if (s->arp_fd >= 0 && (r = drain(s, s->arp_fd, ARGUS_METHOD_ARP)) < 0)
			return r;
		if (s->icmp_fd >= 0 && (r = drain(s, s->icmp_fd, ARGUS_METHOD_ICMP)) < 0)
			return r;
		update_waits(s);
		uint64_t now = now_us();
		s->prog.elapsed_us = now - s->opened_us;
		int blocked = now < s->tx_backoff_until;
		if ((r = run_timers(s, now, &blocked)) < 0)
			return r;
		if (!blocked && (r = send_fresh(s, now, &blocked)) < 0)
			return r;
		if (s->prog.answered == s->n || (s->cursor == s->n && s->retry.len == 0 && s->final.len == 0)) {
			/* Everything answered or given up; pending queue entries (if
			 * any) are all answered ones. */
			s->done = 1;
			s->prog.finished = s->n;
			return 0;
		}
		if (s->cancelled)
			return 0;
		if (now >= deadline)
			return 1;
		uint64_t next = next_event(s, now, blocked);
		if (next > deadline)
			next = deadline;
		uint64_t wait = next > now ? next - now : 0;
		struct pollfd pfd[2];
		nfds_t nfd = 0;
		if (s->arp_fd >= 0)
			pfd[nfd++] = (struct pollfd){ .fd = s->arp_fd, .events = POLLIN };
		if (s->icmp_fd >= 0)
			pfd[nfd++] = (struct pollfd){ .fd = s->icmp_fd, .events = POLLIN };
		struct timespec ts = { .tv_sec = (time_t)(wait / 1000000), .tv_nsec = (long)(wait % 1000000) * 1000 };
		if (nfd)
			(void)ppoll(pfd, nfd, &ts, NULL);
		else if (wait)
			nanosleep(&ts, NULL);
	}
}

void argus_sweep_progress(const argus_sweep *s, struct argus_sweep_progress *out)
{
	if (!s || !out)
		return;
	*out = s->prog;
	out->elapsed_us = now_us() - s->opened_us;
}

uint32_t argus_sweep_results(const argus_sweep *s, uint32_t from, struct argus_sweep_result *out, uint32_t max)
{
	if (!s || !out)
		return 0;
	uint32_t w = 0;
	for (uint64_t i = from; i < s->prog.answered && w < max; i++, w++) {
		const struct target *t = &s->t[s->answer_log[i]];
		struct argus_sweep_result *r = &out[w];
		memset(r, 0, sizeof *r);
		put_ip(r->ip, t->ip);
		memcpy(r->mac, t->mac, 6);
		r->method = t->method;
		r->attempt = t->answered_attempt;
		r->rtt_us = t->rtt_us;
		r->flags = t->flags;
		r->dups = t->dups;
		r->target = s->answer_log[i];
	}
	return w;
}

int argus_iface_info(const char *ifname, uint8_t *mac_out, int32_t *ifindex_out)
{
	uint8_t mac[6];
	int idx = 0;
	uint32_t ip;
	int r = rawsock_iface(ifname, mac, &idx, &ip);
	if (r < 0)
		return r;
	if (mac_out)
		memcpy(mac_out, mac, 6);
	if (ifindex_out)
		*ifindex_out = idx;
	return 0;
}

_Static_assert(sizeof(struct argus_arp_info) == 40, "ABI: argus_arp_info");
_Static_assert(sizeof(struct argus_icmp_info) == 24, "ABI: argus_icmp_info");
_Static_assert(sizeof(struct argus_sweep_config) == 32, "ABI: argus_sweep_config");
_Static_assert(sizeof(struct argus_sweep_result) == 24, "ABI: argus_sweep_result");
_Static_assert(sizeof(struct argus_sweep_progress) == 72, "ABI: argus_sweep_progress");
