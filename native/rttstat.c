/*
 * Round-trip time statistics for the adaptive wait: a histogram with four
 * buckets per doubling (about 19% resolution), so adding a sample and
 * reading a quantile cost the same for 10 or 65,000 replies.
 */
#include "internal.h"

static unsigned bucket_of(uint32_t us)
{
	if (us < 4)
		return us;
	unsigned msb = 31u - (unsigned)__builtin_clz(us);
	return 4u * msb + ((us >> (msb - 2)) & 3u);
}

static uint32_t bucket_upper(unsigned idx)
{
	if (idx < 4)
		return idx + 1;
	unsigned msb = idx / 4, frac = idx % 4;
	uint64_t up = (uint64_t)(4 + frac + 1) << (msb - 2);
	return up > 0xffffffffu ? 0xffffffffu : (uint32_t)up;
}

void rttstat_add(struct rttstat *r, uint32_t us)
{
	r->count++;
	if (us > r->max_us)
		r->max_us = us;
	r->bucket[bucket_of(us)]++;
}

uint32_t rttstat_quantile(const struct rttstat *r, double q)
{
	if (r->count == 0)
		return 0;
	uint64_t rank = (uint64_t)(q * r->count + 0.999999);
	if (rank < 1)
		rank = 1;
	uint64_t seen = 0;
	for (unsigned i = 0; i < RTT_BUCKETS; i++) {
		seen += r->bucket[i];
		if (seen >= rank) {
			uint32_t up = bucket_upper(i);
			return up < r->max_us ? up : r->max_us;
		}
	}
	return r->max_us;
}
