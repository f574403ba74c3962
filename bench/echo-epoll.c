/*
 * echo-epoll.c --
 *
 *	The floor: an echo server on raw epoll and descriptors, with the
 *	same backpressure rule as the others (what the client did not take
 *	stays queued; no reading while it does).
 *
 *	Usage: echo-epoll echo|line PORT
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

struct conn {
    int fd;
    char *pending;		/* Unsent bytes (malloc'd), or NULL. */
    size_t off, len;
};

static char buf[64 * 1024];
static int ep, lineMode;

static void
Close(struct conn *c)
{
    close(c->fd);
    free(c->pending);
    free(c);
}

/* Sends what is pending; 0 when all went, 1 when some is left, -1 on error. */
static int
Drain(struct conn *c)
{
    while (c->off < c->len) {
	ssize_t w = send(c->fd, c->pending + c->off, c->len - c->off,
		MSG_NOSIGNAL);

	if (w < 0) {
	    return errno == EAGAIN ? 1 : errno == EINTR ? Drain(c) : -1;
	}
	c->off += (size_t) w;
    }
    free(c->pending);
    c->pending = NULL;
    c->off = c->len = 0;
    return 0;
}

static void
Readable(struct conn *c)
{
    ssize_t n = recv(c->fd, buf, sizeof(buf), 0), w;

    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
	return;
    }
    if (n <= 0) {
	Close(c);
	return;
    }
    w = send(c->fd, buf, (size_t) n, MSG_NOSIGNAL);
    if (w < 0 && errno != EAGAIN) {
	Close(c);
	return;
    }
    if (w < 0) {
	w = 0;
    }
    if (w < n) {			/* Keep the rest; stop reading. */
	struct epoll_event ev = {EPOLLOUT, {.ptr = c}};

	c->len = (size_t) (n - w);
	c->off = 0;
	c->pending = malloc(c->len);
	memcpy(c->pending, buf + w, c->len);
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    }
}

int
main(int argc, char **argv)
{
    struct sockaddr_in sa;
    struct conn listener = {-1, NULL, 0, 0};
    struct epoll_event ev, evs[256];
    struct rlimit rl;
    int one = 1;

    if (argc != 3 || (strcmp(argv[1], "echo") && strcmp(argv[1], "line"))) {
	fprintf(stderr, "usage: echo-epoll echo|line PORT\n");
	return 2;
    }
    lineMode = strcmp(argv[1], "line") == 0;
    signal(SIGPIPE, SIG_IGN);
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
    }
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t) atoi(argv[2]));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    listener.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (listener.fd < 0 || ep < 0
	    || setsockopt(listener.fd, SOL_SOCKET, SO_REUSEADDR, &one,
		sizeof(one)) < 0
	    || bind(listener.fd, (struct sockaddr *) &sa, sizeof(sa)) < 0
	    || listen(listener.fd, SOMAXCONN) < 0) {
	perror("echo-epoll");
	return 1;
    }
    ev.events = EPOLLIN;
    ev.data.ptr = &listener;
    epoll_ctl(ep, EPOLL_CTL_ADD, listener.fd, &ev);
    for (;;) {
	int n = epoll_wait(ep, evs, 256, -1), k;

	for (k = 0; k < n; k++) {
	    struct conn *c = evs[k].data.ptr;

	    if (c == &listener) {
		int fd;

		while ((fd = accept4(listener.fd, NULL, NULL,
			SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		    if (lineMode) {
			static const char line[] = "Thu Nov 21 12:00:00 UTC 2024\n";

			(void) send(fd, line, sizeof(line) - 1, MSG_NOSIGNAL);
			close(fd);
			continue;
		    }
		    c = calloc(1, sizeof(*c));
		    c->fd = fd;
		    ev.events = EPOLLIN;
		    ev.data.ptr = c;
		    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
		}
	    } else if (c->pending != NULL) {
		int r = Drain(c);

		if (r < 0) {
		    Close(c);
		} else if (r == 0) {
		    ev.events = EPOLLIN;
		    ev.data.ptr = c;
		    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
		}
	    } else {
		Readable(c);
	    }
	}
    }
}
