/*
 * Kernel address and link events for the passive watch: a NETLINK_ROUTE socket
 * subscribed to IPv4 address and link changes (RTM_NEWADDR, RTM_DELADDR,
 * RTM_NEWLINK, RTM_DELLINK). A thread of its own blocks in poll() on it and,
 * for each batch that holds such an event, writes one byte to a pipe the
 * TypeScript side sleeps on; it then re-reads its interfaces at once instead
 * of on a timer. The messages themselves are not interpreted: the interface
 * list is read again whole, so nothing here can go out of step with it.
 *
 * A socket buffer overrun (ENOBUFS: events were lost) also wakes the reader,
 * since a re-read is exactly what recovers from a lost event.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include "internal.h"

struct argus_netwatch {
	int fd, stop_fd[2], wake_fd[2];
	pthread_t thread;
	int thread_started;
};

/* Whether a batch of netlink messages holds an address or link event. */
static int relevant(const uint8_t *buf, size_t len)
{
	size_t left = len;
	for (const struct nlmsghdr *h = (const struct nlmsghdr *)buf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
		switch (h->nlmsg_type) {
		case RTM_NEWADDR:
		case RTM_DELADDR:
		case RTM_NEWLINK:
		case RTM_DELLINK:
			return 1;
		default:
			break;
		}
	}
	return 0;
}

static void *run(void *arg)
{
	struct argus_netwatch *w = arg;
	/* Aligned for struct nlmsghdr; 8 KiB holds a page of messages, the kernel's usual batch. */
	static _Thread_local uint64_t buf[1024];
	struct pollfd p[2] = { { .fd = w->fd, .events = POLLIN }, { .fd = w->stop_fd[0], .events = POLLIN } };
	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		int hit = 0;
		for (;;) {
			ssize_t n = recv(w->fd, buf, sizeof buf, MSG_DONTWAIT);
			if (n > 0) {
				hit |= relevant((const uint8_t *)buf, (size_t)n);
				continue;
			}
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == ENOBUFS) { /* events were lost: re-read everything */
				hit = 1;
				continue;
			}
			break; /* EAGAIN: drained */
		}
		if (hit) {
			uint8_t b = 1;
			(void)!write(w->wake_fd[1], &b, 1); /* a full pipe already says "re-read" */
		}
	}
	return NULL;
}

argus_netwatch *argus_netwatch_open(int32_t *err)
{
	int32_t dummy;
	if (!err)
		err = &dummy;
	*err = 0;
	struct argus_netwatch *w = calloc(1, sizeof *w);
	if (!w) {
		*err = ENOMEM;
		return NULL;
	}
	w->fd = w->stop_fd[0] = w->stop_fd[1] = w->wake_fd[0] = w->wake_fd[1] = -1;
	w->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (w->fd < 0) {
		*err = errno;
		goto fail;
	}
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR };
	if (bind(w->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		*err = errno;
		goto fail;
	}
	/* The wake pipe's read end blocks: the TypeScript side reads it off its event loop. */
	if (pipe2(w->stop_fd, O_CLOEXEC) != 0 || pipe2(w->wake_fd, O_CLOEXEC) != 0) {
		*err = errno;
		goto fail;
	}
	(void)fcntl(w->wake_fd[1], F_SETFL, O_NONBLOCK);
	if (pthread_create(&w->thread, NULL, run, w) != 0) {
		*err = EAGAIN;
		goto fail;
	}
	w->thread_started = 1;
	return w;
fail:
	argus_netwatch_close(w);
	return NULL;
}

int32_t argus_netwatch_wake_fd(const argus_netwatch *w)
{
	/* A duplicate the caller owns, as argus_listen_wake_fd. */
	return (w && w->wake_fd[0] >= 0) ? fcntl(w->wake_fd[0], F_DUPFD_CLOEXEC, 0) : -1;
}

void argus_netwatch_close(argus_netwatch *w)
{
	if (!w)
		return;
	if (w->thread_started) {
		uint8_t b = 1;
		(void)!write(w->stop_fd[1], &b, 1);
		pthread_join(w->thread, NULL);
	}
	int fds[] = { w->fd, w->stop_fd[0], w->stop_fd[1], w->wake_fd[0], w->wake_fd[1] };
	for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(w);
}
