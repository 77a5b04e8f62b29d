/*
 * Public API of the Argus scanning core (libargus-<arch>.so), loaded from
 * TypeScript with bun:ffi (src/net/native-loader.ts and its bindings). Everything here is plain
 * integers, pointers and fixed-layout byte records so the FFI side can read
 * results with a DataView; the layouts below are part of the ABI.
 *
 * IPv4 addresses cross the API as uint32 in host byte order (10.0.0.1 ==
 * 0x0A000001); inside records they are 4 bytes in network order.
 */
#ifndef ARGUS_H
#define ARGUS_H

#include <stddef.h>
#include <stdint.h>

#define ARGUS_API __attribute__((visibility("default")))

/* ---- frame decoding (frame.c) ------------------------------------------ */

enum argus_decode_status {
	ARGUS_DECODE_OK = 0,
	ARGUS_DECODE_TOO_SHORT = 1, /* frame ends before the ARP/ICMP header does */
	ARGUS_DECODE_NOT_ARP = 2,   /* some other ethertype / protocol */
	ARGUS_DECODE_MALFORMED = 3, /* ARP with address sizes/protocol we do not speak */
};

/* Flags describing how a frame was framed and anything suspicious in it. */
enum argus_frame_flag {
	ARGUS_F_VLAN = 1 << 0,            /* carried an 802.1Q tag */
	ARGUS_F_LLC = 1 << 1,             /* 802.2 LLC/SNAP framing */
	ARGUS_F_TRAILER = 1 << 2,         /* ARP protocol type 0x1000 (RFC 893 trailer) */
	ARGUS_F_PADDED = 1 << 3,          /* bytes after the ARP payload (padding/trailer) */
	ARGUS_F_DIFF_FRAME_ADDR = 1 << 4, /* Ethernet source != ARP sender MAC */
	ARGUS_F_LOCAL_ADMIN = 1 << 5,     /* sender MAC locally administered (randomised) */
	ARGUS_F_MULTICAST_SENDER = 1 << 6,/* sender MAC has the group bit set: never a host */
	ARGUS_F_CONFLICT = 1 << 7,        /* (sweep) a later reply claimed the IP with another MAC */
};

/* Decoded ARP packet: 40 bytes, offsets fixed. */
struct argus_arp_info {
	uint8_t eth_dst[6];    /* 0  */
	uint8_t eth_src[6];    /* 6  */
	uint8_t sender_mac[6]; /* 12 */
	uint8_t target_mac[6]; /* 18 */
	uint8_t sender_ip[4];  /* 24 network order */
	uint8_t target_ip[4];  /* 28 network order */
	uint16_t op;           /* 32 1 = request, 2 = reply */
	uint16_t vlan_id;      /* 34 0xffff when untagged */
	uint16_t flags;        /* 36 enum argus_frame_flag */
	uint16_t arp_offset;   /* 38 where the ARP header starts in the frame */
};

/* Decode one Ethernet frame holding ARP (Ethernet II, 802.1Q, LLC/SNAP,
 * padding and trailers accepted). Never reads outside [frame, frame+len). */
ARGUS_API int argus_decode_arp(const uint8_t *frame, size_t len, struct argus_arp_info *out);

/* Decoded ICMP echo reply, as received on a raw (IP header included) or
 * datagram (ICMP only) socket: 24 bytes. */
struct argus_icmp_info {
	uint8_t src_ip[4]; /* 0 network order; 0 when the IP header was absent */
	uint16_t id;       /* 4 */
	uint16_t seq;      /* 6 */
	uint32_t token;    /* 8 our payload token (target index), if present */
	uint8_t type;      /* 12 */
	uint8_t code;      /* 13 */
	uint16_t payload;  /* 14 payload length */
	uint64_t sent_us;  /* 16 send time echoed in our payload, 0 if absent */
};

ARGUS_API int argus_decode_icmp(const uint8_t *pkt, size_t len, int has_ip_header, struct argus_icmp_info *out);

/* ---- sweep engine (sweep.c) -------------------------------------------- */

enum argus_method { ARGUS_METHOD_ARP = 0, ARGUS_METHOD_ICMP = 1 };

enum argus_sweep_flag {
	ARGUS_SWEEP_OFFLINE = 1 << 0, /* no sockets: frames come from argus_sweep_inject (tests) */
	ARGUS_SWEEP_ICMP_DGRAM = 1 << 1, /* use an unprivileged ICMP datagram socket, no ARP */
};

/* Configuration: 32 bytes. */
struct argus_sweep_config {
	uint32_t rate_pps;    /* 0  transmit rate, packets per second */
	uint32_t retries;     /* 4  extra probes for a silent target */
	uint32_t timeout_ms;  /* 8  upper bound of the wait after a probe */
	uint32_t floor_ms;    /* 12 lower bound of the adaptive wait */
	uint32_t src_ip;      /* 16 our IPv4 on the interface (host order); 0 = ask the kernel */
	uint32_t flags;       /* 20 enum argus_sweep_flag */
	uint32_t icmp_id;     /* 24 ICMP identifier (low 16 bits) */
	uint32_t linger_ms;   /* 28 least time from a target's first probe to giving it up */
};

/* One found host: 24 bytes. */
struct argus_sweep_result {
	uint8_t ip[4];      /* 0 network order */
	uint8_t mac[6];     /* 4 zero for ICMP */
	uint8_t method;     /* 10 enum argus_method that answered */
	uint8_t attempt;    /* 11 which probe (1 = first) was outstanding when it answered */
	uint32_t rtt_us;    /* 12 from that probe */
	uint16_t flags;     /* 16 enum argus_frame_flag */
	uint16_t dups;      /* 18 extra replies after the first */
	uint32_t target;    /* 20 index into the target array */
};

/* Progress: 72 bytes of uint64. */
struct argus_sweep_progress {
	uint64_t sent;        /* probes transmitted */
	uint64_t received;    /* frames that passed the filter and decoded */
	uint64_t answered;    /* targets that answered */
	uint64_t finished;    /* targets answered or given up */
	uint64_t total;       /* targets */
	uint64_t ignored;     /* frames dropped: malformed, foreign, unasked */
	uint64_t elapsed_us;  /* since open */
	uint64_t wait_us;     /* current adaptive wait */
	uint64_t last_send_us;/* since open, of the latest transmission (sent / this = achieved rate) */
};

typedef struct argus_sweep argus_sweep;

/* Open a sweep over `n` targets (host order, any order, duplicates allowed)
 * with per-target methods. On failure returns NULL and stores an errno value
 * in *err (EPERM/EACCES = no CAP_NET_RAW). Sockets are opened here. */
ARGUS_API argus_sweep *argus_sweep_open(const char *ifname, const uint32_t *targets, const uint8_t *methods,
                                        uint32_t n, const struct argus_sweep_config *cfg, int32_t *err);

/* Run the sweep for at most budget_ms (transmit, receive, retry, time out).
 * Returns 1 while work remains, 0 when done (all answered or timed out, or
 * cancelled), negative errno on a socket error. */
ARGUS_API int argus_sweep_step(argus_sweep *s, uint32_t budget_ms);

/* Stop transmitting now; the next step returns 0. Results so far stay readable. */
ARGUS_API void argus_sweep_cancel(argus_sweep *s);

ARGUS_API void argus_sweep_progress(const argus_sweep *s, struct argus_sweep_progress *out);

/* Copy answered hosts (in target order) from index `from`; returns how many
 * were written (<= max). */
ARGUS_API uint32_t argus_sweep_results(const argus_sweep *s, uint32_t from, struct argus_sweep_result *out, uint32_t max);

/* Feed a received frame through the same path as the socket (OFFLINE sweeps,
 * tests). method says which socket it came from. Returns 1 if it answered a
 * target, 0 if ignored. */
ARGUS_API int argus_sweep_inject(argus_sweep *s, uint8_t method, const uint8_t *frame, size_t len);

/* Interface facts: MAC (6 bytes out) and ifindex; 0 or -errno. The passive listener follows its
 * interfaces by ifindex (a deleted and re-created interface gets a new one). */
ARGUS_API int argus_iface_info(const char *ifname, uint8_t *mac_out, int32_t *ifindex_out);

ARGUS_API void argus_sweep_close(argus_sweep *s);

/* Unprivileged: send an empty UDP datagram to `port` of each address (host
 * order) so the kernel ARP-resolves them; returns how many were sent. */
ARGUS_API uint32_t argus_udp_nudge(const uint32_t *ips, uint32_t n, uint16_t port);

/* ---- passive listening (sighting.c decodes, listen.c listens) ---------- */

enum argus_sighting_source { ARGUS_SRC_ARP = 1, ARGUS_SRC_DHCP = 2, ARGUS_SRC_MDNS = 3, ARGUS_SRC_NDP = 4, ARGUS_SRC_DHCP6 = 5 };

/* nd_flags of an NDP sighting. */
enum argus_nd_flag {
	ARGUS_ND_ROUTER = 1 << 0, /* the sender is a router: a Router Advertisement, or an NA with the R flag */
	ARGUS_ND_EXT_HEADERS = 1 << 1, /* the message came behind IPv6 extension headers (real NDP has none) */
};

/* Extra status of argus_decode_sighting: a well-formed frame of none of the
 * watched kinds (ARP, DHCP, mDNS, IPv6 neighbour discovery, DHCPv6). */
#define ARGUS_DECODE_IGNORED 4

/* What one frame says about the host that sent it (or, for a DHCP server's
 * OFFER, ACK or NAK, the client it names): 480 bytes, offsets fixed. Text
 * fields are raw bytes with a length (no terminator), truncated to their
 * capacity; the TypeScript side sanitises them. `eth_src` is who really sent
 * the frame: evidence counts only when it is the host the sighting names
 * (mac), so a DHCP chaddr or ARP sender that differs from it is a spoofing hint.
 * 512 bytes since ABI 7, which added the IPv6 neighbour discovery fields; ABI 9 added
 * DHCPv6 and mDNS over IPv6 (ip6 is their IPv6 source) and duid_mac. */
struct argus_sighting {
	uint8_t mac[6];          /* 0   ARP sender / DHCP chaddr / Ethernet source (mDNS) */
	uint8_t source;          /* 6   enum argus_sighting_source */
	uint8_t dhcp_type;       /* 7   DHCP option 53 (1 DISCOVER .. 8 INFORM), 0 = none; DHCPv6: the
	                                message type (1 SOLICIT, 3 REQUEST, 4 CONFIRM, 5 RENEW, 6 REBIND,
	                                11 INFORMATION-REQUEST) */
	uint8_t ip[4];           /* 8   network order, 0.0.0.0 = none: ARP sender, DHCP ciaddr
	                                (yiaddr of a server's ACK), IPv4 source (mDNS) */
	uint8_t aux_ip[4];       /* 12  DHCP option 50 (requested address); ARP target address */
	uint32_t ifindex;        /* 16  interface it arrived on */
	uint16_t flags;          /* 20  enum argus_frame_flag of the host's MAC */
	uint8_t arp_op;          /* 22  1 request, 2 reply (ARP) */
	uint8_t dhcp_op;         /* 23  BOOTP op: 1 from a client, 2 from a server */
	uint8_t hostname_len;    /* 24  */
	uint8_t prl_len;         /* 25  */
	uint8_t vendor_len;      /* 26  */
	uint8_t services_len;    /* 27  */
	uint8_t model_len;       /* 28  */
	uint8_t mdns_response;   /* 29  1 when the mDNS message was a response (announcement) */
	uint8_t pad[2];          /* 30  */
	uint64_t seen_us;        /* 32  CLOCK_REALTIME, microseconds (0 when decoded offline) */
	char hostname[64];       /* 40  DHCP option 12, or the mDNS A/SRV host name without ".local" */
	uint8_t prl[64];         /* 104 DHCP option 55, parameter request list */
	char vendor[64];         /* 168 DHCP option 60, vendor class identifier */
	char services[160];      /* 232 mDNS service types, comma separated ("_ipp._tcp,_http._tcp") */
	char model[64];          /* 392 mDNS _device-info TXT "model=" */
	uint8_t eth_src[6];      /* 456 Ethernet source address of the frame */
	uint8_t pad2[2];         /* 462 */
	uint8_t server_id[4];    /* 464 DHCP option 54 (server identifier), network order, 0 = none */
	uint8_t src_ip[4];       /* 468 IPv4 source address of a UDP frame (DHCP, mDNS), 0 for ARP */
	uint8_t ip6[16];         /* 472 NDP, DHCPv6, mDNS over IPv6: IPv6 source address of the frame, :: = none */
	uint8_t aux_ip6[16];     /* 488 NDP: a Neighbor Advertisement's target when the O flag says
	                                the sender owns it (a proxy clears it), :: = none */
	uint8_t nd_type;         /* 504 ICMPv6 type: 133 RS, 134 RA, 135 NS, 136 NA; 0 = not NDP */
	uint8_t nd_flags;        /* 505 enum argus_nd_flag */
	uint8_t duid_mac[6];     /* 506 DHCPv6: the link-layer address inside the client's DUID (types 1
	                                and 3, Ethernet), zero otherwise. What the client says, never
	                                who sent the frame: evidence only ever counts for eth_src. */
};

/* Decode one Ethernet frame (ARP, IPv4 UDP to/from ports 67/68/5353, an
 * ICMPv6 Router/Neighbor Solicitation/Advertisement with hop limit 255,
 * directly or behind Hop-by-Hop/Routing/Destination Options headers
 * (flagged ARGUS_ND_EXT_HEADERS; never behind a Fragment header), a DHCPv6 client message from port 546 to 547 of
 * ff02::1:2 with a client identifier, or IPv6 UDP to/from port 5353, both
 * without extension headers) into a sighting. DHCPv6 option 39 (client FQDN)
 * gives the hostname (its first label); the sighting's mac is always the
 * Ethernet source for DHCPv6 and mDNS. A server's DHCP OFFER, ACK and NAK are passed up (so a
 * rogue server is seen); its other replies are IGNORED. OK, IGNORED (another kind of traffic, an ARP probe from
 * 0.0.0.0), or TOO_SHORT/MALFORMED. Never reads outside [frame, frame+len);
 * DNS name compression may only point backwards, so loops cannot happen. */
ARGUS_API int argus_decode_sighting(const uint8_t *frame, size_t len, struct argus_sighting *out);

typedef struct argus_listener argus_listener;

enum argus_listen_flag {
	ARGUS_LISTEN_OFFLINE = 1 << 0, /* no socket and no thread: frames come from argus_listen_inject */
};

/* Counters: 8 x uint64. */
struct argus_listen_stats {
	uint64_t frames;       /* frames that passed the kernel filter */
	uint64_t sightings;    /* decoded into a sighting and queued */
	uint64_t repeats;      /* identical to a recent sighting, dropped */
	uint64_t ignored;      /* foreign interface, undecodable, not watched */
	uint64_t overflow;     /* queue full, dropped */
	uint64_t kernel_drops; /* dropped by the kernel (socket buffer full) */
	uint64_t errors;       /* socket errors survived (interface down, ...) */
	uint64_t wakeups;      /* listener thread wake-ups */
};

/* Open a listener: one AF_PACKET socket on all interfaces with a kernel
 * filter for ARP, DHCP, mDNS (IPv4 and IPv6), IPv6 neighbour discovery and DHCPv6, read by a thread of its own that decodes,
 * drops repeats (same sighting within repeat_ms) and queues sightings.
 * Nothing is accepted until argus_listen_set_ifaces names interfaces. An
 * unbound socket survives an interface going down, up, away and back.
 * Returns NULL with an errno in *err (EPERM/EACCES = no CAP_NET_RAW). */
ARGUS_API argus_listener *argus_listen_open(uint32_t flags, uint32_t repeat_ms, int32_t *err);

/* The interfaces (ifindex) whose frames count; replaces the previous set (at most 32). */
ARGUS_API int argus_listen_set_ifaces(argus_listener *l, const int32_t *ifindexes, uint32_t n);

/* A new descriptor (the caller closes it) for the read end of a pipe that gets
 * a byte when sightings are queued after the queue was drained; it reaches
 * end-of-file when the listener is closed. -1 for OFFLINE listeners. */
ARGUS_API int32_t argus_listen_wake_fd(const argus_listener *l);

/* Take up to max queued sightings, oldest first; returns how many. */
ARGUS_API uint32_t argus_listen_read(argus_listener *l, struct argus_sighting *out, uint32_t max);

ARGUS_API void argus_listen_stats(argus_listener *l, struct argus_listen_stats *out);

/* Feed a frame through the decode/dedup/queue path (OFFLINE listeners,
 * tests). Returns 1 if it was queued. */
ARGUS_API int argus_listen_inject(argus_listener *l, int32_t ifindex, const uint8_t *frame, size_t len);

/* Stop the thread, close the socket and the pipe, free. */
ARGUS_API void argus_listen_close(argus_listener *l);

/* ---- kernel address and link events (netlink.c) ----------------------- */

typedef struct argus_netwatch argus_netwatch;

/* Open a NETLINK_ROUTE socket subscribed to IPv4 address and link events,
 * read by a thread of its own. NULL with an errno in *err. */
ARGUS_API argus_netwatch *argus_netwatch_open(int32_t *err);

/* A new descriptor (the caller closes it) for the read end of a pipe that gets
 * a byte after each batch of kernel messages holding an address or link event
 * (RTM_NEWADDR, RTM_DELADDR, RTM_NEWLINK, RTM_DELLINK) or after lost events;
 * it reaches end-of-file when the watcher is closed. */
ARGUS_API int32_t argus_netwatch_wake_fd(const argus_netwatch *w);

/* Stop the thread, close the socket and the pipes, free. */
ARGUS_API void argus_netwatch_close(argus_netwatch *w);

/* ---- departure probes (probe.c) --------------------------------------- */

/* One answer to a departure probe: 12 bytes. */
struct argus_probe_reply {
	uint8_t ip[4];  /* 0 ARP sender address, network order */
	uint8_t mac[6]; /* 4 ARP sender (and Ethernet source) MAC */
	uint16_t flags; /* 10 enum argus_frame_flag */
};

typedef struct argus_prober argus_prober;

/* Open a prober on interface `ifname` speaking from `src_ip` (host order; 0 =
 * the interface's address): an AF_PACKET socket bound to it with a kernel
 * filter for ARP replies to that address. NULL with an errno in *err
 * (EPERM/EACCES = no CAP_NET_RAW, ENODEV = no such interface). */
ARGUS_API argus_prober *argus_prober_open(const char *ifname, uint32_t src_ip, int32_t *err);

/* Send one ARP request for `target_ip` (host order) to the unicast MAC
 * `dst_mac` (6 bytes) only. 0, -EAGAIN (socket full), -EINVAL for a group
 * MAC, or -errno (the interface is down: -ENETDOWN). */
ARGUS_API int argus_prober_send(argus_prober *p, const uint8_t *dst_mac, uint32_t target_ip);

/* Replies waiting (never blocks): up to max, whose Ethernet source is their
 * ARP sender; returns how many were written. */
ARGUS_API uint32_t argus_prober_read(argus_prober *p, struct argus_probe_reply *out, uint32_t max);

/* Requests sent since open. */
ARGUS_API uint64_t argus_prober_sent(const argus_prober *p);

ARGUS_API void argus_prober_close(argus_prober *p);

/* ---- IPv6 neighbours, actively (probe6.c) ----------------------------- */

/* One answer to an IPv6 probe: 32 bytes (ABI 8). */
struct argus_nd6_reply {
	uint8_t ip6[16];     /* 0  the address it speaks for: an echo reply's source, an advertisement's target */
	uint8_t mac[6];      /* 16 the Ethernet source: the only MAC the answer is evidence for */
	uint8_t type;        /* 22 ICMPv6 type: 129 echo reply, 136 neighbour advertisement */
	uint8_t nd_flags;    /* 23 enum argus_nd_flag (an advertisement with the R flag) */
	uint16_t flags;      /* 24 enum argus_frame_flag of the sender's MAC */
	uint8_t reserved[6]; /* 26 */
};

typedef struct argus_nd6 argus_nd6;

/* Open an IPv6 prober on `ifname`: an AF_PACKET socket bound to it with a kernel filter for
 * ICMPv6 echo replies and neighbour advertisements. NULL with an errno in *err (EPERM/EACCES = no
 * CAP_NET_RAW, ENODEV = no such interface). */
ARGUS_API argus_nd6 *argus_nd6_open(const char *ifname, int32_t *err);

/* One ICMPv6 echo request to all nodes (ff02::1) from `src` (16 bytes, one of our own unicast
 * addresses on the interface): hosts answer from their address of the same kind. 0, -EAGAIN,
 * -EINVAL (:: or multicast src) or -errno. */
ARGUS_API int argus_nd6_echo_all(argus_nd6 *p, const uint8_t *src);

/* One neighbour solicitation for `target` (16 bytes) to its solicited-node multicast group, from
 * `src` with our MAC as the source link-layer option. 0, -EAGAIN, -EINVAL or -errno. */
ARGUS_API int argus_nd6_solicit(argus_nd6 *p, const uint8_t *src, const uint8_t *target);

/* Answers waiting (never blocks), addressed to our MAC: up to max; returns how many were written. */
ARGUS_API uint32_t argus_nd6_read(argus_nd6 *p, struct argus_nd6_reply *out, uint32_t max);

/* Decode one frame as an answer: an echo reply carrying `echo_id` and our payload, or a neighbour
 * advertisement with hop limit 255 and the override flag for a unicast target whose link-layer
 * option (if any) is the Ethernet source. Untagged Ethernet II only, never from a group MAC.
 * OK, IGNORED, TOO_SHORT or MALFORMED; never reads outside [frame, frame+len). */
ARGUS_API int argus_decode_nd6_reply(const uint8_t *frame, size_t len, uint16_t echo_id, struct argus_nd6_reply *out);

/* Our echo identifier (low 16 bits), and the probes sent since open. */
ARGUS_API uint32_t argus_nd6_echo_id(const argus_nd6 *p);
ARGUS_API uint64_t argus_nd6_sent(const argus_nd6 *p);

ARGUS_API void argus_nd6_close(argus_nd6 *p);

/* Layout/ABI version checked by the TypeScript loader. */
ARGUS_API uint32_t argus_abi_version(void);

/* The records' layout as compiled (layout.c): entry i of argus_layout_count()
 * is a name ("sighting" for a record's size, "sighting.ip" for a field's
 * offset) with its value in *value; NULL past the end. */
ARGUS_API uint32_t argus_layout_count(void);
ARGUS_API const char *argus_layout_entry(uint32_t i, uint32_t *value);

#define ARGUS_ABI_VERSION 9

#endif
