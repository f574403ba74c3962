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
};

SCT_MAIN(tests)
