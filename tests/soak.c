/*
 * soak.c --
 *
 *	Load and soak: a sockchan echo server (a child process, written as
 *	a user would write it: channels, a readable handler, sc_read,
 *	sc_write, an output limit for backpressure) against many client
 *	connections driven by raw epoll in this process. Every byte a client
 *	sends comes from a stream it can recompute, so every byte echoed is
 *	checked. Some clients read one byte a second (slow readers), some
 *	reset in mid-transfer; every other client ends by half-closing and
 *	must still read its whole echo. All connections are opened at once,
 *	more than the listen backlog holds.
 *
 *	Passes (exit 0) when no byte was lost or changed, every connection
 *	got what it should, and the server's memory after warm-up stayed
 *	flat and within its output limits. Prints one "soak:" line of
 *	figures. Bounded: it stops by itself after -t seconds (plus a grace
 *	for the endings) and kills its server by PID.
 *
 *	usage: soak [-c CONNECTIONS] [-t SECONDS] [-s SLOW] [-r RESETS]
 */

#define _GNU_SOURCE
#include "sockchan.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define OUT_LIMIT (64 * 1024)	/* The server's per-connection queue. */
#define WINDOW (128 * 1024)	/* A client's bytes in flight at most. */
#define CHUNK 16384

/* --- the server (child) -------------------------------------------------- */

static void ServerReadable(void *clientData, int mask);

/* Read only what the output queue has room for; when it has none, wait
 * for room instead of reading (so memory stays within OUT_LIMIT). */
static void
ServerWritable(void *clientData, int mask)
{
    sc_chan *chan = clientData;

    (void) mask;
    if (sc_pending(chan, SC_WRITABLE) < OUT_LIMIT / 2) {
	sc_chan_event(chan, SC_WRITABLE, NULL, NULL);
	sc_chan_event(chan, SC_READABLE, ServerReadable, chan);
    }
}

static void
ServerReadable(void *clientData, int mask)
{
    sc_chan *chan = clientData;
    static char buf[CHUNK];
    size_t room = OUT_LIMIT - sc_pending(chan, SC_WRITABLE);
    long n;

    (void) mask;
    if (room == 0 || sc_pending(chan, SC_WRITABLE) >= OUT_LIMIT) {
	sc_chan_event(chan, SC_READABLE, NULL, NULL);
	sc_chan_event(chan, SC_WRITABLE, ServerWritable, chan);
	return;
    }
    n = sc_read(chan, buf, room < sizeof(buf) ? room : sizeof(buf));
    if (n == SC_BLOCKED) {
	return;
    }
    if (n > 0 && sc_write(chan, buf, (size_t) n) == n) {
	return;
    }
    sc_close(chan);		/* End of file (or an error): flush, close. */
}

static void
ServerAccept(void *clientData, sc_chan *chan, const char *addr, int port)
{
    (void) clientData;
    (void) addr;
    (void) port;
    if (sc_chan_set_blocking(chan, 0) < 0
	    || sc_chan_configure(chan, "-translation", "binary") < 0
	    || sc_chan_set_outputlimit(chan, OUT_LIMIT) < 0
	    || sc_chan_event(chan, SC_READABLE, ServerReadable, chan) < 0) {
	sc_close(chan);
    }
}

static int
RunServer(int report)
{
    sc_loop *loop = sc_loop_new(0);
    sc_chan *server;
    char *name, *p;
    int port;

    server = loop ? sc_open_tcp_server(loop, "0", "127.0.0.1", ServerAccept,
	    NULL) : NULL;
    if (server == NULL || (name = sc_chan_cget(server, "-sockname")) == NULL) {
	fprintf(stderr, "soak server: %s\n", loop ? sc_errmsg(loop) : "");
	return 1;
    }
    p = strrchr(name, ' ');
    port = p ? atoi(p + 1) : 0;
    free(name);
    if (write(report, &port, sizeof(port)) != sizeof(port)) {
	return 1;
    }
    close(report);
    sc_vwait(loop, NULL);
    return 0;
}

/* --- the clients ---------------------------------------------------------- */

enum kind { NORMAL, SLOW, RESET };

struct conn {
    int fd;
    uint32_t id;
    uint8_t kind, connected, shutWr, done;
    uint64_t sent, got;
    uint64_t limit;		/* Bytes to send before the ending. */
};

static uint64_t
Mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* Byte pos of connection id's stream. */
static void
Fill(uint32_t id, uint64_t pos, unsigned char *buf, size_t n)
{
    size_t i = 0;

    while (i < n) {
	uint64_t w = Mix(((uint64_t) id << 40) ^ ((pos + i) >> 3));
	unsigned shift = (unsigned) ((pos + i) & 7);

	for (; shift < 8 && i < n; shift++, i++) {
	    buf[i] = (unsigned char) (w >> (shift * 8));
	}
    }
}

static uint64_t
NowMs(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

static long
RssKb(pid_t pid)
{
    char path[64], line[256];
    FILE *f;
    long kb = -1;

    snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
    if ((f = fopen(path, "r")) == NULL) {
	return -1;
    }
    while (fgets(line, sizeof(line), f)) {
	if (strncmp(line, "VmRSS:", 6) == 0) {
	    kb = atol(line + 6);
	}
    }
    fclose(f);
    return kb;
}

static struct {
    uint64_t checked, sentTotal, resets, halfClosed, slowBytes;
    int failures;
} st;

static void
Fail(struct conn *c, const char *what)
{
    if (st.failures++ < 10) {
	fprintf(stderr, "soak: connection %u (kind %d): %s (sent %llu, "
		"got %llu)\n", c->id, c->kind, what,
		(unsigned long long) c->sent, (unsigned long long) c->got);
    }
}

static void
Watch(int ep, struct conn *c)
{
    struct epoll_event ev;
    int wantOut = !c->connected || (c->kind != SLOW && !c->shutWr
	    && c->sent - c->got < WINDOW)
	    || (c->kind == SLOW && c->sent < c->limit);

    ev.events = EPOLLIN | (wantOut ? EPOLLOUT : 0);
    if (c->kind == SLOW && c->connected) {
	ev.events &= ~(uint32_t) EPOLLIN;	/* Read by the timer. */
    }
    ev.data.ptr = c;
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void
Close(int ep, struct conn *c)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
    c->done = 1;
}

/* Check n bytes just read against the stream. */
static int
Check(struct conn *c, const unsigned char *buf, size_t n)
{
    unsigned char want[CHUNK];

    if (c->got + n > c->sent) {
	Fail(c, "more echoed than sent");
	return -1;
    }
    Fill(c->id, c->got, want, n);
    if (memcmp(buf, want, n) != 0) {
	Fail(c, "echo differs from what was sent");
	return -1;
    }
    c->got += n;
    st.checked += n;
    return 0;
}

static void
Readable(int ep, struct conn *c, size_t max)
{
    unsigned char buf[CHUNK];
    ssize_t n = read(c->fd, buf, max < sizeof(buf) ? max : sizeof(buf));

    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
	return;
    }
    if (n <= 0) {
	if (c->kind == NORMAL && !(c->shutWr && c->got == c->sent)) {
	    Fail(c, n < 0 ? strerror(errno) : "end of file before the echo");
	}
	st.halfClosed += c->kind == NORMAL && c->shutWr && c->got == c->sent;
	Close(ep, c);
	return;
    }
    if (Check(c, buf, (size_t) n) < 0) {
	Close(ep, c);
    }
}

static void
Writable(int ep, struct conn *c, int ending)
{
    unsigned char buf[CHUNK];
    uint64_t room;
    ssize_t n;

    if (!c->connected) {
	int err = 0;
	socklen_t len = sizeof(err);

	getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err != 0) {
	    Fail(c, strerror(err));
	    Close(ep, c);
	    return;
	}
	c->connected = 1;
    }
    if (c->kind == RESET && c->sent >= c->limit) {
	struct linger lg = {1, 0};

	setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	st.resets++;
	Close(ep, c);		/* A reset in mid-transfer. */
	return;
    }
    if (ending && c->kind == NORMAL && !c->shutWr) {
	shutdown(c->fd, SHUT_WR);	/* Half-close; keep reading. */
	c->shutWr = 1;
	Watch(ep, c);
	return;
    }
    room = c->kind == SLOW ? c->limit - c->sent
	    : c->shutWr ? 0 : WINDOW - (c->sent - c->got);
    if (room > CHUNK) {
	room = CHUNK;
    }
    if (room > 0) {
	Fill(c->id, c->sent, buf, (size_t) room);
	n = write(c->fd, buf, (size_t) room);
	if (n > 0) {
	    c->sent += (uint64_t) n;
	    st.sentTotal += (uint64_t) n;
	} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
	    Fail(c, strerror(errno));
	    Close(ep, c);
	    return;
	}
    }
    Watch(ep, c);
}

static void
Usage(void)
{
    fprintf(stderr, "usage: soak [-c CONNECTIONS] [-t SECONDS] [-s SLOW] "
	    "[-r RESETS]\n");
    exit(2);
}

int
main(int argc, char **argv)
{
    int conns = 10000, seconds = 60, slow = 20, resets = 200, opt, ep;
    int report[2], port, i, open;
    struct conn *cs;
    struct rlimit rl;
    struct sockaddr_in sin;
    uint64_t start, end, nextTick;
    long rssWarm = -1, rssEnd = -1, rssMax = 0;
    pid_t pid;

    while ((opt = getopt(argc, argv, "c:t:s:r:")) != -1) {
	switch (opt) {
	case 'c': conns = atoi(optarg); break;
	case 't': seconds = atoi(optarg); break;
	case 's': slow = atoi(optarg); break;
	case 'r': resets = atoi(optarg); break;
	default: Usage();
	}
    }
    if (conns < 1 || seconds < 1 || slow < 0 || resets < 0
	    || slow + resets >= conns) {
	Usage();
    }
    /* Room for every connection, in both processes. */
    rl.rlim_cur = rl.rlim_max = (rlim_t) conns + 1024;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < (rlim_t) conns + 64) {
	    fprintf(stderr, "soak: can't have %d descriptors (limit %llu)\n",
		    conns + 64, (unsigned long long) rl.rlim_cur);
	    return 77;
	}
    }
    signal(SIGPIPE, SIG_IGN);
    if (pipe(report) < 0 || (pid = fork()) < 0) {
	perror("soak");
	return 1;
    }
    if (pid == 0) {
	/* The server dies with this process, however that ends. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	close(report[0]);
	_exit(RunServer(report[1]));
    }
    close(report[1]);
    /* A deadline for the whole run: the endings get 15 s, then 30 more. */
    alarm((unsigned) seconds + 45);
    if (read(report[0], &port, sizeof(port)) != sizeof(port)) {
	fprintf(stderr, "soak: the server did not start\n");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return 1;
    }
    close(report[0]);

    /* Every connection at once: more than the backlog holds. */
    ep = epoll_create1(EPOLL_CLOEXEC);
    cs = calloc((size_t) conns, sizeof(*cs));
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t) port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (i = 0; i < conns; i++) {
	struct conn *c = &cs[i];
	struct epoll_event ev;

	c->id = (uint32_t) i;
	c->kind = i < slow ? SLOW : i < slow + resets ? RESET : NORMAL;
	c->limit = c->kind == SLOW ? 4u << 20 : c->kind == RESET
		? 1000 + Mix((uint64_t) i) % 200000 : UINT64_MAX;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		0);
	if (c->fd < 0 || (connect(c->fd, (struct sockaddr *) &sin,
		sizeof(sin)) < 0 && errno != EINPROGRESS)) {
	    Fail(c, strerror(errno));
	    if (c->fd >= 0) {
		close(c->fd);
	    }
	    c->fd = -1;
	    c->done = 1;
	    continue;
	}
	ev.events = EPOLLIN | EPOLLOUT;
	ev.data.ptr = c;
	epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
    }

    start = NowMs();
    end = start + (uint64_t) seconds * 1000;
    nextTick = start + 1000;
    for (open = conns;;) {
	struct epoll_event evs[256];
	uint64_t now = NowMs();
	int n, ending = now >= end;

	if (now >= nextTick) {
	    long rss = RssKb(pid);

	    nextTick += 1000;
	    if (rss > rssMax) {
		rssMax = rss;
	    }
	    if (rssWarm < 0 && now >= start + (uint64_t) seconds * 1000 / 3) {
		rssWarm = rss;
	    }
	    rssEnd = rss;
	    for (i = 0; i < slow; i++) {	/* One byte a second. */
		if (!cs[i].done) {
		    size_t before = (size_t) cs[i].got;

		    Readable(ep, &cs[i], 1);
		    st.slowBytes += cs[i].got - before;
		}
	    }
	    if (ending) {
		/* Let the endings happen: kick every normal connection. */
		for (i = 0, open = 0; i < conns; i++) {
		    if (!cs[i].done) {
			open++;
			if (cs[i].kind != SLOW && cs[i].connected) {
			    Writable(ep, &cs[i], 1);
			}
		    }
		}
		if (open == slow || now > end + 15000) {
		    break;
		}
	    }
	}
	n = epoll_wait(ep, evs, 256, 100);
	for (i = 0; i < n; i++) {
	    struct conn *c = evs[i].data.ptr;

	    if (!c->done && (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		    && c->connected) {
		Readable(ep, c, CHUNK);
	    }
	    if (!c->done && (evs[i].events & (EPOLLOUT | EPOLLERR))) {
		Writable(ep, c, ending);
	    }
	}
    }

    /* The slow readers: the server holds at most OUT_LIMIT for each. */
    for (i = 0; i < conns; i++) {
	if (!cs[i].done) {
	    if (cs[i].kind == NORMAL) {
		Fail(&cs[i], "still open after the end");
	    }
	    Close(ep, &cs[i]);
	}
    }
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    close(ep);
    free(cs);

    {
	/* Flat: after warm-up, no more than 10% and 8 MB of growth. */
	long growth = rssEnd - rssWarm;
	int flat = rssWarm > 0 && growth <= rssWarm / 10 + 8192;

	printf("soak: connections=%d seconds=%d bytes_sent=%llu "
		"bytes_checked=%llu resets=%llu half_closed=%llu "
		"slow_readers=%d slow_bytes=%llu rss_warm_kb=%ld "
		"rss_end_kb=%ld rss_max_kb=%ld failures=%d result=%s\n",
		conns, seconds, (unsigned long long) st.sentTotal,
		(unsigned long long) st.checked,
		(unsigned long long) st.resets,
		(unsigned long long) st.halfClosed, slow,
		(unsigned long long) st.slowBytes, rssWarm, rssEnd, rssMax,
		st.failures, st.failures == 0 && flat ? "ok" : "FAILED");
	if (!flat) {
	    fprintf(stderr, "soak: the server grew from %ld to %ld kB after "
		    "warm-up\n", rssWarm, rssEnd);
	}
	return st.failures == 0 && flat ? 0 : 1;
    }
}
