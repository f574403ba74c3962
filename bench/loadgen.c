/*
 * loadgen.c --
 *
 *	The load generator of the benchmark suite: one process, one epoll
 *	loop, separate from the server it measures. Every result is one
 *	line of "key=value" words that bench/run.sh parses.
 *
 *	Usage: loadgen MODE [-h HOST] [-p PORT] [-c CONNS] [-t SECONDS]
 *	               [-b BYTES] [-s SIZE] [-n COUNT] [-T SECS] [-R BYTES]
 *	               [-W BYTES] [-D 0|1]
 *
 *	  wait      connect to HOST:PORT every 10 ms until it answers or
 *	            -t seconds pass (exit 0 or 1): how run.sh waits for a
 *	            server without sleeping.
 *	  pingpong  -c connections, each with one -s byte message (64) in
 *	            flight, for -t seconds or -n messages in all; msgs/s.
 *	  bulk      -b bytes through one connection, the echo read back
 *	            concurrently; MB/s (10^6 bytes); gap= the longest time
 *	            between two reads that returned data, gaps10ms= the sum
 *	            of those over 10 ms. -T SECS prints a progress line to
 *	            standard error every SECS; -R/-W BYTES set SO_RCVBUF/
 *	            SO_SNDBUF; -D 0 leaves Nagle on (TCP_NODELAY is set by
 *	            default, in every mode).
 *	  accept    short connections (connect, read to end of file, close),
 *	            -c at a time, for -t seconds; connections/s.
 *	  idle      open -c connections from 127.0.0.2, .3, ... (to get past
 *	            the ephemeral port range), print "ready", and hold them
 *	            until standard input ends or -t seconds pass.
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

struct conn {
    int fd;
    size_t got;			/* Bytes of the current echo read back. */
    int connected;
};

static const char *host = "127.0.0.1";
static int port = 0;
static long conns = 1;
static double seconds = 1.0;
static long long bytes = 1LL << 30;
static size_t msgSize = 64;
static long long count = 0;
static double traceEvery = 0;	/* -T: bulk progress lines, seconds apart. */
static int rcvBuf = 0, sndBuf = 0;	/* -R, -W: SO_RCVBUF, SO_SNDBUF. */
static int noDelay = 1;		/* -D 0: leave Nagle on. */

static double
Now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
Die(const char *what)
{
    fprintf(stderr, "loadgen: %s: %s\n", what, strerror(errno));
    exit(1);
}

static struct sockaddr_in
Address(void)
{
    struct sockaddr_in sa;

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t) port);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
	fprintf(stderr, "loadgen: not an IPv4 address: %s\n", host);
	exit(2);
    }
    return sa;
}

/* A nonblocking socket, its connect started. With srcIndex >= 0 it is
 * bound first to 127.0.0.(2 + srcIndex % 250), port chosen at connect. */
static int
StartConnect(long srcIndex)
{
    struct sockaddr_in sa = Address();
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0) {
	Die("socket");
    }
    if (noDelay) {
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    if (rcvBuf > 0) {
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvBuf, sizeof(rcvBuf));
    }
    if (sndBuf > 0) {
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndBuf, sizeof(sndBuf));
    }
    if (srcIndex >= 0) {
	struct sockaddr_in me;

	memset(&me, 0, sizeof(me));
	me.sin_family = AF_INET;
	me.sin_addr.s_addr = htonl(0x7f000002u + (uint32_t) (srcIndex % 250));
	(void) setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
		sizeof(one));
	if (bind(fd, (struct sockaddr *) &me, sizeof(me)) < 0) {
	    Die("bind");
	}
    }
    if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0
	    && errno != EINPROGRESS) {
	Die("connect");
    }
    return fd;
}

/* Waits (up to the deadline) until fd's connect is done. */
static void
FinishConnect(int fd, double deadline)
{
    struct pollfd p = {fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof(err);

    while (poll(&p, 1, 100) == 0) {
	if (Now() > deadline) {
	    errno = ETIMEDOUT;
	    Die("connect");
	}
    }
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
	errno = err;
	Die("connect");
    }
}

static void
RaiseFileLimit(rlim_t want)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want) {
	rl.rlim_cur = want;
	if (rl.rlim_max < want) {
	    rl.rlim_max = want;	/* Works as root; otherwise take the max. */
	}
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
	    getrlimit(RLIMIT_NOFILE, &rl);
	    rl.rlim_cur = rl.rlim_max;
	    setrlimit(RLIMIT_NOFILE, &rl);
	}
    }
}

static int
Wait(void)
{
    double deadline = Now() + seconds;

    for (;;) {
	struct sockaddr_in sa = Address();
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd >= 0 && connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0) {
	    close(fd);
	    return 0;
	}
	if (fd >= 0) {
	    close(fd);
	}
	if (Now() > deadline) {
	    fprintf(stderr, "loadgen: nothing listens on %s:%d\n", host, port);
	    return 1;
	}
	poll(NULL, 0, 10);
    }
}

/* Writes the whole message (small: the socket takes it at once). */
static void
SendMessage(struct conn *c, const char *msg)
{
    size_t off = 0;

    while (off < msgSize) {
	ssize_t n = send(c->fd, msg + off, msgSize - off, MSG_NOSIGNAL);

	if (n < 0) {
	    if (errno == EINTR) {
		continue;
	    }
	    if (errno == EAGAIN) {
		struct pollfd p = {c->fd, POLLOUT, 0};

		poll(&p, 1, 100);
		continue;
	    }
	    Die("send");
	}
	off += (size_t) n;
    }
    c->got = 0;
}

static int
PingPong(void)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct conn *cs = calloc((size_t) conns, sizeof(*cs));
    char *msg = malloc(msgSize), buf[65536];
    struct epoll_event evs[256];
    long long msgs = 0;
    double start, end, deadline;
    long i;

    if (ep < 0 || cs == NULL || msg == NULL) {
	Die("setup");
    }
    RaiseFileLimit((rlim_t) conns + 64);
    memset(msg, 'x', msgSize);
    deadline = Now() + 30;
    for (i = 0; i < conns; i++) {
	struct epoll_event ev = {EPOLLIN, {.ptr = &cs[i]}};

	cs[i].fd = StartConnect(conns > 20000 ? i : -1);
	FinishConnect(cs[i].fd, deadline);
	if (epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev) < 0) {
	    Die("epoll_ctl");
	}
    }
    start = Now();
    end = start + seconds;
    for (i = 0; i < conns; i++) {
	SendMessage(&cs[i], msg);
    }
    for (;;) {
	int n = epoll_wait(ep, evs, 256, 100), k;
	double now;

	if (n < 0 && errno != EINTR) {
	    Die("epoll_wait");
	}
	for (k = 0; k < n; k++) {
	    struct conn *c = evs[k].data.ptr;
	    ssize_t r = recv(c->fd, buf, sizeof(buf), 0);

	    if (r == 0) {
		fprintf(stderr, "loadgen: the server closed a connection\n");
		return 1;
	    }
	    if (r < 0) {
		if (errno == EAGAIN || errno == EINTR) {
		    continue;
		}
		Die("recv");
	    }
	    c->got += (size_t) r;
	    if (c->got >= msgSize) {
		msgs++;
		if (count == 0 || msgs + conns <= count) {
		    SendMessage(c, msg);
		}
	    }
	}
	now = Now();
	if (count > 0 ? msgs >= count : now >= end) {
	    end = now;
	    break;
	}
	if (now > start + seconds + 60) {
	    fprintf(stderr, "loadgen: pingpong stalled\n");
	    return 1;
	}
    }
    printf("mode=pingpong conns=%ld size=%zu msgs=%lld secs=%.3f rate=%.0f\n",
	    conns, msgSize, msgs, end - start, msgs / (end - start));
    return 0;
}

static int
Bulk(void)
{
    static char out[65536], in[65536];
    int fd = StartConnect(-1);
    long long sent = 0, got = 0, lastGot = 0;
    double start, deadline = Now() + 10, nextTrace = 0, lastTrace = 0;
    double longest = 0, stalled = 0;	/* The longest gap between reads. */
    double lastRead;
    size_t i;

    for (i = 0; i < sizeof(out); i++) {
	out[i] = (char) (i * 7);
    }
    FinishConnect(fd, deadline);
    start = Now();
    deadline = start + 600;
    lastRead = lastTrace = start;
    nextTrace = start + traceEvery;
    while (got < bytes) {
	struct pollfd p = {fd, POLLIN | (sent < bytes ? POLLOUT : 0), 0};
	double now;

	if (poll(&p, 1, traceEvery > 0 ? 10 : 1000) < 0 && errno != EINTR) {
	    Die("poll");
	}
	now = Now();
	if (traceEvery > 0 && now >= nextTrace) {
	    /* t, bytes sent, bytes read back, in flight, MB/s since last. */
	    fprintf(stderr, "trace t=%.3f sent=%lld got=%lld inflight=%lld "
		    "rate=%.1f\n", now - start, sent, got, sent - got,
		    (got - lastGot) / (now - lastTrace) / 1e6);
	    lastGot = got;
	    lastTrace = now;
	    nextTrace = now + traceEvery;
	}
	if (now > deadline) {
	    fprintf(stderr, "loadgen: bulk stalled\n");
	    return 1;
	}
	if (p.revents & POLLIN) {
	    ssize_t r = recv(fd, in, sizeof(in), 0);

	    if (r == 0) {
		fprintf(stderr, "loadgen: the server closed after %lld bytes\n",
			got);
		return 1;
	    }
	    if (r > 0) {
		double t = Now();

		if (t - lastRead > longest) {
		    longest = t - lastRead;
		}
		if (t - lastRead > 0.01) {
		    stalled += t - lastRead;
		}
		lastRead = t;
		got += r;
	    } else if (errno != EAGAIN && errno != EINTR) {
		Die("recv");
	    }
	}
	if ((p.revents & POLLOUT) && sent < bytes) {
	    long long left = bytes - sent;
	    ssize_t w = send(fd, out, left < (long long) sizeof(out)
		    ? (size_t) left : sizeof(out), MSG_NOSIGNAL);

	    if (w > 0) {
		sent += w;
	    } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
		Die("send");
	    }
	}
    }
    {
	double secs = Now() - start;

	printf("mode=bulk bytes=%lld secs=%.3f rate=%.1f gap=%.3f "
		"gaps10ms=%.3f\n", got, secs, got / secs / 1e6, longest,
		stalled);
    }
    close(fd);
    return 0;
}

static int
Accept(void)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event evs[256];
    char buf[4096];
    long long done = 0, src = 0;
    double start = Now(), end = start + seconds, now;
    long i, open = 0;

    if (ep < 0) {
	Die("epoll_create1");
    }
    for (;;) {
	int n, k;

	now = Now();
	while (now < end && open < conns) {
	    struct epoll_event ev = {EPOLLIN, {.fd = StartConnect(src++)}};

	    if (epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0) {
		Die("epoll_ctl");
	    }
	    open++;
	}
	if (open == 0) {
	    break;
	}
	if (now > end + 10) {
	    fprintf(stderr, "loadgen: accept stalled\n");
	    return 1;
	}
	n = epoll_wait(ep, evs, 256, 100);
	for (k = 0; k < n; k++) {
	    int fd = evs[k].data.fd;
	    ssize_t r;

	    while ((r = recv(fd, buf, sizeof(buf), 0)) > 0) {
	    }
	    if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
		continue;
	    }
	    if (r < 0 && errno != ECONNRESET) {
		Die("recv");
	    }
	    close(fd);		/* Closing removes it from the epoll set. */
	    open--;
	    if (r == 0) {
		done++;
	    }
	}
    }
    (void) i;
    now = Now();
    printf("mode=accept conns=%ld done=%lld secs=%.3f rate=%.0f\n", conns,
	    done, now - start, done / (now - start));
    return done > 0 ? 0 : 1;
}

static int
Idle(void)
{
    int *fds = malloc((size_t) conns * sizeof(int));
    double deadline = Now() + 120;
    long i, started = 0, finished = 0;
    const long window = 512;
    char c;

    if (fds == NULL) {
	Die("malloc");
    }
    RaiseFileLimit((rlim_t) conns + 64);
    /* Keep a window of connects in progress. */
    while (finished < conns) {
	while (started < conns && started - finished < window) {
	    fds[started] = StartConnect(started);
	    started++;
	}
	FinishConnect(fds[finished++], deadline);
    }
    printf("ready conns=%ld\n", conns);
    fflush(stdout);
    /* Hold them until stdin ends (run.sh closes it) or time is up. */
    {
	struct pollfd p = {0, POLLIN, 0};

	if (poll(&p, 1, (int) (seconds * 1000)) > 0) {
	    (void) read(0, &c, 1);
	}
    }
    for (i = 0; i < conns; i++) {
	close(fds[i]);
    }
    return 0;
}

int
main(int argc, char **argv)
{
    const char *mode;
    int opt;

    if (argc < 2) {
	fprintf(stderr, "usage: loadgen wait|pingpong|bulk|accept|idle "
		"[-h host] [-p port] [-c conns] [-t secs] [-b bytes] "
		"[-s size] [-n count] [-T secs] [-R rcvbuf] [-W sndbuf] "
		"[-D 0|1]\n");
	return 2;
    }
    mode = argv[1];
    optind = 2;
    while ((opt = getopt(argc, argv, "h:p:c:t:b:s:n:T:R:W:D:")) != -1) {
	switch (opt) {
	case 'h': host = optarg; break;
	case 'p': port = atoi(optarg); break;
	case 'c': conns = atol(optarg); break;
	case 't': seconds = atof(optarg); break;
	case 'b': bytes = atoll(optarg); break;
	case 's': msgSize = (size_t) atol(optarg); break;
	case 'n': count = atoll(optarg); break;
	case 'T': traceEvery = atof(optarg); break;
	case 'R': rcvBuf = atoi(optarg); break;
	case 'W': sndBuf = atoi(optarg); break;
	case 'D': noDelay = atoi(optarg); break;
	default: return 2;
	}
    }
    if (port <= 0 || conns <= 0 || msgSize == 0 || msgSize > 65536) {
	fprintf(stderr, "loadgen: bad arguments\n");
	return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    if (strcmp(mode, "wait") == 0) {
	return Wait();
    } else if (strcmp(mode, "pingpong") == 0) {
	return PingPong();
    } else if (strcmp(mode, "bulk") == 0) {
	return Bulk();
    } else if (strcmp(mode, "accept") == 0) {
	return Accept();
    } else if (strcmp(mode, "idle") == 0) {
	return Idle();
    }
    fprintf(stderr, "loadgen: unknown mode %s\n", mode);
    return 2;
}
