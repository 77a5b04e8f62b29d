/*
 * Token bucket for the transmit rate. The sweep runs in short slices with
 * gaps in between (the JavaScript event loop gets its turn), so tokens keep
 * accruing across a gap up to a small burst; that keeps the long-run rate on
 * target without sending a gap's worth of packets in one spike.
 */
#include <time.h>
#include "internal.h"

uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void ratelimit_init(struct ratelimit *rl, uint32_t pps, uint64_t now)
{
	if (pps == 0)
		pps = 1;
	rl->rate = pps / 1e6;
	/* 100 ms worth, at least one packet: enough to ride over a slice gap or
	 * a preemption on a busy machine without losing the average, small
	 * enough (a few dozen KB of ARP) not to matter to any LAN as a burst. */
	rl->burst = pps / 10.0 < 1.0 ? 1.0 : pps / 10.0;
	rl->tokens = 1.0;
	rl->last_us = now;
}

static void refill(struct ratelimit *rl, uint64_t now)
{
	if (now > rl->last_us) {
		rl->tokens += (double)(now - rl->last_us) * rl->rate;
		if (rl->tokens > rl->burst)
			rl->tokens = rl->burst;
		rl->last_us = now;
	}
}

uint32_t ratelimit_take(struct ratelimit *rl, uint64_t now, uint32_t want)
{
	refill(rl, now);
	uint32_t have = rl->tokens >= 1.0 ? (uint32_t)rl->tokens : 0;
	uint32_t n = have < want ? have : want;
	rl->tokens -= n;
	return n;
}

void ratelimit_give_back(struct ratelimit *rl, uint32_t n) { rl->tokens += n; }

uint64_t ratelimit_next_us(const struct ratelimit *rl, uint64_t now)
{
	if (rl->tokens >= 1.0)
		return now;
	double missing = 1.0 - rl->tokens;
	uint64_t base = rl->last_us > now ? rl->last_us : now;
	return base + (uint64_t)(missing / rl->rate) + 1;
}
