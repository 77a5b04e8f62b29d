/*
 * The Ethernet header walk, the one place that reads link-layer framing:
 * Ethernet II, up to two VLAN tags (802.1ad outer, 802.1Q inner), and 802.3
 * with an 802.2 LLC/SNAP header. Both the sweep's ARP decoder (frame.c) and
 * the passive decoders (sighting.c) start here. The frame is attacker-
 * controlled: every read is checked against what is left, and an 802.3 length
 * only ever shortens the payload.
 */
#include <string.h>
#include "internal.h"

#define ETH_MAX_LEN_FIELD 1500 /* type/length values up to this are 802.3 lengths */

static uint16_t be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }

int ether_walk(const uint8_t *frame, size_t len, struct ether *out)
{
	memset(out, 0, sizeof *out);
	out->vlan_id = 0xffff;
	if (!frame || len < ETH_HLEN_)
		return ARGUS_DECODE_TOO_SHORT;
	const uint8_t *p = frame + ETH_HLEN_;
	size_t left = len - ETH_HLEN_;
	uint16_t type = be16(frame + 12);
	out->outer_type = type;

	/* At most two tags (802.1ad outer + 802.1Q inner); more is not a LAN we watch. */
	for (int tags = 0; (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ) && tags < 2; tags++) {
		if (left < 4)
			return ARGUS_DECODE_TOO_SHORT;
		if (out->vlan_id == 0xffff || type == ETHERTYPE_VLAN)
			out->vlan_id = be16(p) & 0x0fff;
		out->flags |= ARGUS_F_VLAN;
		out->tags++;
		type = be16(p + 2);
		p += 4;
		left -= 4;
	}

	if (type <= ETH_MAX_LEN_FIELD) {
		/* 802.3 length + 802.2 LLC/SNAP header: AA AA 03, OUI 00 00 00, ethertype. */
		if (left < 8)
			return ARGUS_DECODE_TOO_SHORT;
		if (p[0] != 0xaa || p[1] != 0xaa || p[2] != 0x03 || p[3] || p[4] || p[5])
			return ARGUS_DECODE_NOT_ARP;
		/* The 802.3 length bounds the payload; padding after it is not ours. */
		if ((size_t)type < 8)
			return ARGUS_DECODE_MALFORMED;
		if ((size_t)type < left) {
			out->flags |= ARGUS_F_PADDED;
			left = type;
		}
		type = be16(p + 6);
		p += 8;
		left -= 8;
		out->flags |= ARGUS_F_LLC;
	}
	out->type = type;
	out->payload = p;
	out->left = left;
	return ARGUS_DECODE_OK;
}
