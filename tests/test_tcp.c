/*
 * test_tcp.c --
 *
 *	TCP without a loop (src/core/tcp.c): the connect state machine over
 *	several addresses, "the attempt that got farthest", and listening on
 *	one port for both families, with the retry when the second family's
 *	bind finds the port taken.
 */

#include "harness.h"
#include "core/sock.h"
#include "core/sys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

static struct addrinfo *
List(const char *host, int port)
{
    struct addrinfo *list;
    struct sc__err err;

    assert_int_equal(sc__resolve(host, port, SC__FAMILY_ANY, 0, &list,
	    &err), 0);
    return list;
}

static struct addrinfo *
Join(struct addrinfo *a, struct addrinfo *b)
{
    struct addrinfo *tail = a;

    while (tail->ai_next != NULL) {
	tail = tail->ai_next;
    }
    tail->ai_next = b;
    return a;
}

/* Drive the machine with poll until it is done or failed. */
static int
Run(struct sc__connect *c, int r)
{
    while (r == SC_CONN_INPROGRESS) {
	struct pollfd pfd = {c->fd, POLLOUT, 0};

	assert_true(poll(&pfd, 1, 5000) == 1);
	r = sc__connect_step(c);
    }
    return r;
}


/* The port of a listening or connected socket (local side). */
static int
PortOf(int fd, int peer)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char host[64];
    int port;

    assert_int_equal(peer ? getpeername(fd, (struct sockaddr *) &ss, &len)
	    : getsockname(fd, (struct sockaddr *) &ss, &len), 0);
    sc__addr_numeric((struct sockaddr *) &ss, len, host, sizeof(host), &port);
    return port;
}

/*
 * A port on 127.0.0.1 that never answers: a listener with backlog 0 whose
 * accept queue one connection fills, so that later SYNs are dropped (the
 * connect stays in progress, as to an address that is silent). Returns
 * the port; *lfd and *filler are to close.
 */
static int
SilentPort(int *lfd, int *filler)
{
    struct sc__err err;
    struct pollfd pfd;
    int port, fd;

    assert_int_equal(sc__tcp_listen("127.0.0.1", 0, SC__FAMILY_ANY, 0, 0,
	    lfd, 1, &err), 1);
    port = PortOf(*lfd, 0);
    {
	struct addrinfo *ai = List("127.0.0.1", port);

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	(void) connect(fd, ai->ai_addr, ai->ai_addrlen);
	sc__freeaddrinfo(ai);
    }
    pfd.fd = fd;
    pfd.events = POLLOUT;
    pfd.revents = 0;
    assert_int_equal(poll(&pfd, 1, 5000), 1);	/* In the accept queue. */
    *filler = fd;
    return port;
}

/* Drive a racing machine: poll every attempt, with the machine's own
 * wake-up time, until it is done or failed. */
static int
Race(struct sc__connect *c, int r)
{
    uint64_t until = sct_ms() + 10000;

    while (r == SC_CONN_INPROGRESS) {
	struct pollfd pfd[SC__RACE_MAX];
	long wait = sc__connect_wait_ms(c);
	int i;

	assert_true(sct_ms() < until);
	for (i = 0; i < c->natt; i++) {
	    pfd[i].fd = c->att[i].fd;
	    pfd[i].events = POLLOUT;
	    pfd[i].revents = 0;
	}
	assert_true(c->natt > 0 || wait >= 0);
	(void) poll(pfd, (nfds_t) c->natt, wait < 0 ? 5000 : (int) wait);
	r = sc__connect_step(c);
    }
    return r;
}

/* Descriptors open in this process. */
static int
OpenFds(void)
{
    int fd, n = 0;

    for (fd = 0; fd < 1024; fd++) {
	n += fcntl(fd, F_GETFD) >= 0;
    }
    return n;
}

/*
 * Happy Eyeballs: the first address is silent, the second listens: the
 * race connects to the second one delay ms after the first started (a
 * serial connect would wait for the first's timeout), and the silent
 * attempt is closed.
 */
static void
race_silent_then_live(void **state)
{
    struct sc__connect c = {0};
    struct sc__err err;
    int slfd, filler, sport, lfd, lport, before;
    uint64_t t0, ms;

    (void) state;
    sport = SilentPort(&slfd, &filler);
    assert_int_equal(sc__tcp_listen("127.0.0.1", 0, SC__FAMILY_ANY, 0, 8,
	    &lfd, 1, &err), 1);
    lport = PortOf(lfd, 0);
    before = OpenFds();
    c.delay = 100;
    t0 = sct_ms();
    assert_int_equal(Race(&c, sc__connect_start(&c, Join(List("127.0.0.1",
	    sport), List("127.0.0.1", lport)), NULL)), SC_CONN_DONE);
    ms = sct_ms() - t0;
    assert_true(ms >= 90 && ms < 1000);
    assert_int_equal(PortOf(c.fd, 1), lport);
    assert_int_equal(c.natt, 0);
    assert_int_equal(OpenFds(), before + 1);	/* The winner alone. */
    close(c.fd);
    c.fd = -1;
    sc__connect_free(&c);
    close(filler);
    close(slfd);
    close(lfd);
}

/* Every attempt fails: the farthest error, and the local address of the
 * failed connect (what -sockname shows afterwards). */
static void
race_all_fail(void **state)
{
    struct sc__connect c = {0};
    struct sc__err err;
    int fds[1], port;

    (void) state;
    assert_int_equal(sc__tcp_listen("127.0.0.1", 0, SC__FAMILY_ANY, 0, 1,
	    fds, 1, &err), 1);
    port = PortOf(fds[0], 0);
    close(fds[0]);
    c.delay = 250;
    sc__fault_set(SC_SYS_SOCKET, 2, 1, EMFILE);
    assert_int_equal(Race(&c, sc__connect_start(&c, Join(List("127.0.0.1",
	    port), List("127.0.0.1", port)), NULL)), SC_CONN_FAILED);
    sc__fault_clear();
    assert_string_equal(c.err.text, "connection refused");
    assert_true(c.failNameLen > 0);
    assert_int_equal(c.natt, 0);
    sc__connect_free(&c);
}

/* Families interleaved, IPv6 first; an IPv4 answer alone waits the
 * resolution delay for the IPv6 one, and no longer once that failed. */
static void
race_order_and_resolution_delay(void **state)
{
    struct sc__connect c = {0};
    struct sc__err why;
    int lfd, filler, port;

    (void) state;
    port = SilentPort(&lfd, &filler);
    sc__connect_init(&c, 250, 2);
    assert_int_equal(sc__connect_add(&c, Join(List("127.0.0.1", port),
	    List("127.0.0.2", port)), NULL, NULL), SC_CONN_INPROGRESS);
    assert_int_equal(c.natt, 0);	/* Waiting for IPv6... */
    assert_true(sc__connect_wait_ms(&c) > 0
	    && sc__connect_wait_ms(&c) <= SC__RESOLUTION_DELAY);
    snprintf(why.text, sizeof(why.text), "no address");
    why.code = 0;
    assert_int_equal(sc__connect_add(&c, NULL, NULL, &why),
	    SC_CONN_INPROGRESS);
    assert_int_equal(c.natt, 1);	/* ...no longer once it failed. */
    sc__connect_free(&c);

    sc__connect_init(&c, 250, 1);
    (void) sc__connect_add(&c, Join(Join(List("127.0.0.1", port),
	    List("127.0.0.2", port)), Join(List("::1", port),
	    List("::2", port))), NULL, NULL);
    assert_int_equal(c.npairs, 4);
    assert_int_equal(c.pairs[0].r->ai_family, AF_INET6);
    assert_int_equal(c.pairs[1].r->ai_family, AF_INET);
    assert_int_equal(c.pairs[2].r->ai_family, AF_INET6);
    assert_int_equal(c.pairs[3].r->ai_family, AF_INET);
    sc__connect_free(&c);
    close(filler);
    close(lfd);
}

static void
second_address_connects(void **state)
{
    int fds[2], lfd, port;
    struct sc__connect c = {0};
    struct sc__err err;

    (void) state;
    assert_int_equal(sc__tcp_listen("127.0.0.1", 0, SC__FAMILY_ANY,
	    SC__LISTEN_REUSEADDR, 8, fds, 2, &err), 1);
    lfd = fds[0];
    {
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	assert_int_equal(getsockname(lfd, (struct sockaddr *) &sin, &len), 0);
	port = ntohs(sin.sin_port);
    }
    /* ::1 has no listener on that port; 127.0.0.1 has. */
    assert_int_equal(Run(&c, sc__connect_start(&c, Join(List("::1", port),
	    List("127.0.0.1", port)), NULL)), SC_CONN_DONE);
    assert_true(c.fd >= 0);
    close(c.fd);
    c.fd = -1;
    sc__connect_free(&c);
    close(lfd);
}

static void
farthest_error_wins(void **state)
{
    struct sc__connect c = {0};
    struct addrinfo *local;
    struct sc__err err;
    int fds[2], port;

    (void) state;
    /* Take a port, then free it: connecting there is refused. */
    assert_int_equal(sc__tcp_listen("127.0.0.1", 0, SC__FAMILY_ANY, 0, 1,
	    fds, 2, &err), 1);
    {
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	getsockname(fds[0], (struct sockaddr *) &sin, &len);
	port = ntohs(sin.sin_port);
    }
    close(fds[0]);
    assert_int_equal(Run(&c, sc__connect_start(&c, List("127.0.0.1", port),
	    NULL)), SC_CONN_FAILED);
    assert_int_equal(c.err.code, ECONNREFUSED);
    assert_int_equal(c.stage, SC_STAGE_CONNECT);
    sc__connect_free(&c);

    /* A socket failure first, then a refusal: the refusal got farther. */
    sc__fault_set(SC_SYS_SOCKET, 1, 1, EMFILE);
    assert_int_equal(Run(&c, sc__connect_start(&c, Join(List("::1", port),
	    List("127.0.0.1", port)), NULL)), SC_CONN_FAILED);
    sc__fault_clear();
    assert_string_equal(c.err.text, "connection refused");
    sc__connect_free(&c);

    /* The same two, the refusal first: still the refusal (farthest, not
     * last). */
    sc__fault_set(SC_SYS_SOCKET, 2, 1, EMFILE);
    assert_int_equal(Run(&c, sc__connect_start(&c, Join(List("127.0.0.1",
	    port), List("::1", port)), NULL)), SC_CONN_FAILED);
    sc__fault_clear();
    assert_string_equal(c.err.text, "connection refused");
    sc__connect_free(&c);

    /* Only a local address of the other family: no pair at all. */
    assert_int_equal(sc__resolve("::1", 0, SC__FAMILY_ANY, 1, &local, &err),
	    0);
    assert_int_equal(sc__connect_start(&c, List("127.0.0.1", port), local),
	    SC_CONN_FAILED);
    assert_string_equal(c.err.text, "host is unreachable");
    sc__connect_free(&c);
}

/* Port 0 and two families: when the second family's bind finds the
 * chosen port taken, the whole server starts again on a new port. */
static void
same_port_for_both_families(void **state)
{
    struct sc__err err;
    int fds[4], n, i, ports[4];

    (void) state;
    sc__fault_set(SC_SYS_BIND, 2, 1, EADDRINUSE);
    n = sc__tcp_listen(NULL, 0, SC__FAMILY_ANY, SC__LISTEN_REUSEADDR, -1,
	    fds, 4, &err);
    sc__fault_clear();
    assert_true(n >= 2);
    for (i = 0; i < n; i++) {
	struct sockaddr_in6 ss;
	socklen_t len = sizeof(ss);

	assert_int_equal(getsockname(fds[i], (struct sockaddr *) &ss, &len),
		0);
	ports[i] = ntohs(ss.sin6_port);	/* Same offset in both. */
	assert_int_equal(ports[i], ports[0]);
	close(fds[i]);
    }
}

static void
listen_errors(void **state)
{
    struct sc__err err;
    int fds[2], again[2];

    (void) state;
    assert_int_equal(sc__tcp_listen("127.0.0.1", 0, SC__FAMILY_ANY, 0, 4,
	    fds, 2, &err), 1);
    {
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	getsockname(fds[0], (struct sockaddr *) &sin, &len);
	assert_int_equal(sc__tcp_listen("127.0.0.1", ntohs(sin.sin_port),
		SC__FAMILY_ANY, 0, 4, again, 2, &err), -1);
    }
    assert_string_equal(err.text, "address already in use");
    close(fds[0]);
    /* The farthest stage: a listen failure beats a socket failure. */
    sc__fault_set(SC_SYS_LISTEN, 1, 0, EACCES);
    assert_int_equal(sc__tcp_listen("127.0.0.1", 0, SC__FAMILY_ANY, 0, 4,
	    fds, 2, &err), -1);
    sc__fault_clear();
    assert_string_equal(err.text, "permission denied");
}

static const struct CMUnitTest tests[] = {
    SCT(second_address_connects),
    SCT(farthest_error_wins),
    SCT(same_port_for_both_families),
    SCT(listen_errors),
    SCT(race_silent_then_live),
    SCT(race_all_fail),
    SCT(race_order_and_resolution_delay),
};

SCT_MAIN(tests)
