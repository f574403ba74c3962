/*
 * test_sock.c --
 *
 *	The socket driver (src/chan/sock.c) over TCP: clients synchronous
 *	and asynchronous, servers, every option and message of socket(n)
 *	and TIP 456, on IPv4 and IPv6, against our own servers and sockets
 *	made by hand. The name lookups that tests need are answered through
 *	the seam's getaddrinfo, so no test ever asks a real resolver.
 */

#include "harness.h"
#include "core/sys.h"
#include "chan/chan.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* --- helpers ------------------------------------------------------------ */

struct accepted {
    sc_chan *chans[64];
    char addr[64][64];
    int ports[64];
    int n;
};

static void
Accept(void *clientData, sc_chan *chan, const char *address, int port)
{
    struct accepted *a = clientData;

    if (a->n < 64) {
	snprintf(a->addr[a->n], sizeof(a->addr[0]), "%s", address);
	a->ports[a->n] = port;
	a->chans[a->n++] = chan;
    } else {
	sc_close(chan);
    }
}

static void
CloseAccepted(struct accepted *a)
{
    int i;

    for (i = 0; i < a->n; i++) {
	sc_close(a->chans[i]);
    }
    a->n = 0;
}

/* The port of a server (or channel): the third word of -sockname. */
static int
PortOf(sc_chan *chan)
{
    char *v = sc_chan_cget(chan, "-sockname"), *p;
    int port;

    assert_non_null(v);
    p = strrchr(v, ' ');
    assert_non_null(p);
    port = atoi(p + 1);
    free(v);
    assert_true(port > 0);
    return port;
}

static sc_chan *
Server(sc_loop *loop, const char *host, struct accepted *a)
{
    sc_chan *server = sc_open_tcp_server(loop, "0", host, Accept, a);

    if (server == NULL) {
	fail_msg("server: %s", sc_errmsg(loop));
    }
    return server;
}

/* A port nobody listens on: bind one, read it, close it. */
static int
ClosedPort(int family)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0), port;
    char host[64];

    memset(&ss, 0, sizeof(ss));
    ss.ss_family = (sa_family_t) family;
    if (family == AF_INET) {
	((struct sockaddr_in *) &ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	len = sizeof(struct sockaddr_in);
    } else {
	((struct sockaddr_in6 *) &ss)->sin6_addr = in6addr_loopback;
	len = sizeof(struct sockaddr_in6);
    }
    assert_int_equal(bind(fd, (struct sockaddr *) &ss, len), 0);
    len = sizeof(ss);
    assert_int_equal(getsockname(fd, (struct sockaddr *) &ss, &len), 0);
    assert_int_equal(getnameinfo((struct sockaddr *) &ss, len, host,
	    sizeof(host), NULL, 0, NI_NUMERICHOST), 0);
    port = ntohs(family == AF_INET ? ((struct sockaddr_in *) &ss)->sin_port
	    : ((struct sockaddr_in6 *) &ss)->sin6_port);
    close(fd);
    return port;
}

static char *
Str(int n)
{
    static char buf[8][16];
    static int i;

    i = (i + 1) % 8;
    snprintf(buf[i], sizeof(buf[i]), "%d", n);
    return buf[i];
}

/*
 * Fake names for the tests, answered without a resolver: "multi.test" is
 * ::1 then 127.0.0.1; "slow.test" is 127.0.0.1 after a delay;
 * "no.such.host.invalid" does not exist. Everything else goes to the
 * real getaddrinfo, which for numeric hosts asks no one.
 */
static int (*realGetaddrinfo)(const char *, const char *,
	const struct addrinfo *, struct addrinfo **);
static int slowMs = 300;

static int
FakeGetaddrinfo(const char *node, const char *service,
	const struct addrinfo *hints, struct addrinfo **res)
{
    struct addrinfo h = *hints;

    if (node != NULL && strcmp(node, "no.such.host.invalid") == 0) {
	return EAI_NONAME;
    }
    if (node != NULL && strcmp(node, "slow.test") == 0) {
	struct timespec ts = {slowMs / 1000, (slowMs % 1000) * 1000000L};

	nanosleep(&ts, NULL);	/* A slow resolver, on the worker. */
	if (h.ai_family == AF_INET6) {
	    return EAI_NONAME;	/* IPv4 only (never a real lookup). */
	}
	h.ai_flags |= AI_NUMERICHOST;
	return realGetaddrinfo("127.0.0.1", service, &h, res);
    }
    if (node != NULL && strcmp(node, "multi.test") == 0) {
	struct addrinfo *v6 = NULL, *v4 = NULL;
	int r;

	h.ai_flags |= AI_NUMERICHOST;
	if (h.ai_family != AF_INET
		&& (r = realGetaddrinfo("::1", service, &h, &v6)) != 0) {
	    return r;
	}
	if (h.ai_family != AF_INET6
		&& (r = realGetaddrinfo("127.0.0.1", service, &h, &v4)) != 0) {
	    return r;
	}
	if (v6 == NULL) {
	    *res = v4;
	} else {
	    struct addrinfo *tail = v6;

	    while (tail->ai_next) {
		tail = tail->ai_next;
	    }
	    tail->ai_next = v4;
	    *res = v6;
	}
	return 0;
    }
    return realGetaddrinfo(node, service, hints, res);
}

static int
Setup(void **state)
{
    realGetaddrinfo = getaddrinfo;
    sc__sys.getaddrinfo = FakeGetaddrinfo;
    return sct_setup(state);
}

/* The fake stays: a lookup a test let go (closed, timed out) may still
 * be on its way into getaddrinfo, and must never reach a real resolver. */
static int
Teardown(void **state)
{
    return sct_teardown(state);
}

#undef SCT
#define SCT(fn) cmocka_unit_test_setup_teardown(fn, Setup, Teardown)

struct flag {
    int set;
    int mask;
};

static void
SetInt(void *clientData)
{
    *(int *) clientData = 1;
}

static void
SetFlag(void *clientData, int mask)
{
    struct flag *f = clientData;

    f->set++;
    f->mask = mask;
}

/* --- clients and servers ------------------------------------------------ */

static void
Exchange(sc_loop *loop, const char *host, struct accepted *a, sc_chan *client)
{
    char *line = NULL, peer[160];
    size_t cap = 0;

    (void) host;
    sct_wait_for(loop, &a->n, 5000);
    assert_int_equal(sc_puts(client, "hello"), 0);
    assert_int_equal(sc_flush(client), 0);
    assert_int_equal(sc_gets(a->chans[0], &line, &cap), 5);
    assert_string_equal(line, "hello");
    assert_int_equal(sc_puts(a->chans[0], "back"), 0);
    assert_int_equal(sc_flush(a->chans[0]), 0);
    assert_int_equal(sc_gets(client, &line, &cap), 4);
    assert_string_equal(line, "back");
    /* The accept procedure got the client's numeric address and port,
     * which are the client's -sockname and the server side's -peername. */
    snprintf(peer, sizeof(peer), "%s %s %d", a->addr[0], a->addr[0],
	    a->ports[0]);
    sct_expect(client, "-sockname", peer);
    sct_expect(a->chans[0], "-peername", peer);
    free(line);
}

static void
sync_client_ipv4(void **state)
{
    sc_loop *loop = sct_loop();
    struct accepted a = {0};
    sc_chan *server = Server(loop, "127.0.0.1", &a), *client;
    char expect[64];

    (void) state;
    client = sc_open_tcp_client(loop, "127.0.0.1", Str(PortOf(server)),
	    NULL);
    assert_non_null(client);
    assert_int_equal(strncmp(sc_chan_name(client), "sock", 4), 0);
    Exchange(loop, "127.0.0.1", &a, client);
    assert_string_equal(a.addr[0], "127.0.0.1");
    snprintf(expect, sizeof(expect), "127.0.0.1 127.0.0.1 %d",
	    PortOf(server));
    sct_expect(client, "-peername", expect);
    sct_expect(client, "-connecting", "0");
    sct_expect(client, "-error", "");
    sct_expect(client, "-translation", "auto crlf");
    sc_close(client);
    CloseAccepted(&a);
    sc_close(server);
    sct_loop_free(loop);
}

static void
sync_client_ipv6(void **state)
{
    sc_loop *loop = sct_loop();
    struct accepted a = {0};
    sc_chan *server = Server(loop, "::1", &a), *client;

    (void) state;
    client = sc_open_tcp_client(loop, "::1", Str(PortOf(server)), NULL);
    assert_non_null(client);
    Exchange(loop, "::1", &a, client);
    assert_string_equal(a.addr[0], "::1");
    sc_close(client);
    CloseAccepted(&a);
    sc_close(server);
    sct_loop_free(loop);
}

/* No host: IPv4 and IPv6 wildcards on one port, IPv4 listed first. */
static void
server_on_every_interface(void **state)
{
    sc_loop *loop = sct_loop();
    struct accepted a = {0};
    sc_chan *server = sc_open_tcp_server(loop, "0", NULL, Accept, &a);
    sc_chan *c4, *c6;
    char expect[128], *all;
    int port;

    (void) state;
    assert_non_null(server);
    port = PortOf(server);
    snprintf(expect, sizeof(expect), "0.0.0.0 0.0.0.0 %d :: :: %d", port,
	    port);
    sct_expect(server, "-sockname", expect);
    /* A server's full option list has -sockname and no -peername. */
    all = sc_chan_cget(server, NULL);
    assert_non_null(strstr(all, "-sockname {0.0.0.0 0.0.0.0"));
    assert_null(strstr(all, "-peername"));
    free(all);
    c4 = sc_open_tcp_client(loop, "127.0.0.1", Str(port), NULL);
    c6 = sc_open_tcp_client(loop, "::1", Str(port), NULL);
    assert_non_null(c4);
    assert_non_null(c6);
    sct_wait_count(loop, &a.n, 2, 5000);
    assert_int_equal(a.n, 2);
    sc_close(c4);
    sc_close(c6);
    CloseAccepted(&a);
    sc_close(server);
    sct_loop_free(loop);
}

static void
sync_refused_fails_at_the_call(void **state)
{
    sc_loop *loop = sct_loop();
    int port = ClosedPort(AF_INET);

    (void) state;
    assert_null(sc_open_tcp_client(loop, "127.0.0.1", Str(port), NULL));
    assert_string_equal(sc_errmsg(loop),
	    "couldn't open socket: connection refused");
    assert_int_equal(errno, ECONNREFUSED);
    sct_loop_free(loop);
}

/*
 * An asynchronous connect to a refused port never fails at the call:
 * the channel comes back, a writable event fires, -error tells why once,
 * and reads say the socket is not connected.
 */
static void
async_refused_reports_through_error(void **state)
{
    sc_loop *loop = sct_loop();
    sc_tcp_options o = {NULL, NULL, SC_TCP_ASYNC, 0};
    struct flag f = {0, 0};
    sc_chan *c;
    char buf[8], expect[80];
    int i;

    (void) state;
    for (i = 0; i < 20; i++) {
	/* Many times: a fast refusal must never come from the call. */
	c = sc_open_tcp_client(loop, "127.0.0.1", Str(ClosedPort(AF_INET)),
		&o);
	assert_non_null(c);
	sc_close(c);
    }
    c = sc_open_tcp_client(loop, "127.0.0.1", Str(ClosedPort(AF_INET)), &o);
    assert_non_null(c);
    assert_int_equal(sc_chan_event(c, SC_WRITABLE, SetFlag, &f), 0);
    sct_wait_for(loop, &f.set, 5000);
    sct_expect(c, "-connecting", "0");
    sct_expect(c, "-error", "connection refused");
    sct_expect(c, "-error", "");		/* Cleared once read. */
    assert_int_equal(sc_read(c, buf, sizeof(buf)), SC_ERROR);
    snprintf(expect, sizeof(expect), "error reading \"%s\": socket is not "
	    "connected", sc_chan_name(c));
    assert_string_equal(sc_errmsg(loop), expect);
    sc_close(c);
    sct_loop_free(loop);
}

static void
async_success_and_io_while_connecting(void **state)
{
    sc_loop *loop = sct_loop();
    sc_tcp_options o = {NULL, NULL, SC_TCP_ASYNC, 0};
    struct accepted a = {0};
    sc_chan *server = Server(loop, "127.0.0.1", &a), *c;
    struct flag f = {0, 0};
    char *line = NULL, buf[8];
    size_t cap = 0;

    (void) state;
    c = sc_open_tcp_client(loop, "127.0.0.1", Str(PortOf(server)), &o);
    assert_non_null(c);
    /* Nonblocking while connecting: reads would block, writes queue. */
    sct_expect(c, "-blocking", "0");
    assert_int_equal(sc_puts(c, "early"), 0);
    assert_int_equal(sc_flush(c), 0);
    if (sc_read(c, buf, sizeof(buf)) != SC_BLOCKED) {
	sct_expect(c, "-connecting", "0");	/* Connected very fast. */
    }
    assert_int_equal(sc_chan_event(c, SC_WRITABLE, SetFlag, &f), 0);
    sct_wait_for(loop, &f.set, 5000);
    sct_expect(c, "-error", "");
    sct_expect(c, "-connecting", "0");
    assert_int_equal(sc_chan_event(c, SC_WRITABLE, NULL, NULL), 0);
    sct_wait_for(loop, &a.n, 5000);
    assert_int_equal(sc_gets(a.chans[0], &line, &cap), 5);
    assert_string_equal(line, "early");
    free(line);
    sc_close(c);
    CloseAccepted(&a);
    sc_close(server);
    sct_loop_free(loop);
}

/* A blocking operation on a channel still connecting waits for it. */
static void
blocking_read_waits_for_connect(void **state)
{
    sc_loop *loop = sct_loop();
    sc_tcp_options o = {NULL, NULL, SC_TCP_ASYNC, 0};
    struct accepted a = {0};
    sc_chan *server = Server(loop, "127.0.0.1", &a), *c;

    (void) state;
    slowMs = 200;
    c = sc_open_tcp_client(loop, "slow.test", Str(PortOf(server)), &o);
    assert_non_null(c);
    sct_expect(c, "-connecting", "1");
    sct_expect(c, "-peername", "");
    assert_int_equal(sc_chan_set_blocking(c, 1), 0);
    assert_int_equal(sc_puts(c, "sync"), 0);
    assert_int_equal(sc_flush(c), 0);	/* Waits for the connection. */
    sct_expect(c, "-connecting", "0");
    sct_wait_for(loop, &a.n, 5000);
    sc_close(c);
    CloseAccepted(&a);
    sc_close(server);
    /* The orphaned lookup's result still arrives, and is dropped. */
    assert_int_equal(sc_vwait(loop, NULL), 0);
    sct_loop_free(loop);
}

/* The name lookup of an asynchronous connect never blocks the loop. */
struct ticker {
    sc_loop *loop;
    int ticks;
    int stop;
};

static void
Tick(void *clientData)
{
    struct ticker *t = clientData;

    t->ticks++;
    if (!t->stop) {
	assert_true(sc_create_timer(t->loop, 10, Tick, t) != 0);
    }
}

static void
async_lookup_off_the_loop(void **state)
{
    sc_loop *loop = sct_loop();
    sc_tcp_options o = {NULL, NULL, SC_TCP_ASYNC, 0};
    struct accepted a = {0};
    sc_chan *server = Server(loop, "127.0.0.1", &a), *c;
    struct flag f = {0, 0};
    struct ticker t = {loop, 0, 0};
    uint64_t start;

    (void) state;
    slowMs = 400;
    start = sct_ms();
    c = sc_open_tcp_client(loop, "slow.test", Str(PortOf(server)), &o);
    assert_non_null(c);
    assert_true(sct_ms() - start < 200);	/* The call did not wait. */
    sct_expect(c, "-connecting", "1");
    assert_int_equal(sc_chan_event(c, SC_WRITABLE, SetFlag, &f), 0);
    /* Meanwhile the loop keeps running its timers. */
    assert_true(sc_create_timer(loop, 10, Tick, &t) != 0);
    sct_wait_for(loop, &f.set, 5000);
    assert_true(t.ticks >= 10);
    sct_expect(c, "-error", "");
    sct_expect(c, "-connecting", "0");
    sct_wait_for(loop, &a.n, 5000);
    t.stop = 1;
    assert_int_equal(sc_chan_event(c, SC_WRITABLE, NULL, NULL), 0);
    sc_close(c);
    CloseAccepted(&a);
    sc_close(server);
    assert_int_equal(sc_vwait(loop, NULL), 0);	/* The last tick. */
    sct_loop_free(loop);
}

static void
async_unknown_host(void **state)
{
    sc_loop *loop = sct_loop();
    sc_tcp_options o = {NULL, NULL, SC_TCP_ASYNC, 0};
    struct flag f = {0, 0};
    sc_chan *c;

    (void) state;
    c = sc_open_tcp_client(loop, "no.such.host.invalid", "80", &o);
    assert_non_null(c);
    assert_int_equal(sc_chan_event(c, SC_WRITABLE, SetFlag, &f), 0);
    sct_wait_for(loop, &f.set, 5000);
    sct_expect(c, "-error", gai_strerror(EAI_NONAME));
    sc_close(c);
    /* Synchronous: at the call, in Tcl's words. */
    assert_null(sc_open_tcp_client(loop, "no.such.host.invalid", "80", NULL));
    {
	char expect[128];

	snprintf(expect, sizeof(expect), "couldn't open socket: %s",
		gai_strerror(EAI_NONAME));
	assert_string_equal(sc_errmsg(loop), expect);
    }
    sct_loop_free(loop);
}

/* A name with several addresses, a server on one: the next one works. */
static void
several_addresses_one_server(void **state)
{
    sc_loop *loop = sct_loop();
    struct accepted a = {0};
    sc_chan *server = Server(loop, "127.0.0.1", &a), *c;
    int port = PortOf(server);

    (void) state;
    c = sc_open_tcp_client(loop, "multi.test", Str(port), NULL);
    assert_non_null(c);
    sct_wait_for(loop, &a.n, 5000);
    assert_string_equal(a.addr[0], "127.0.0.1");
    sc_close(c);
    CloseAccepted(&a);
    sc_close(server);
    /* None listening: the error of the farthest attempt. */
    assert_null(sc_open_tcp_client(loop, "multi.test",
	    Str(ClosedPort(AF_INET)), NULL));
    assert_string_equal(sc_errmsg(loop),
	    "couldn't open socket: connection refused");
    sct_loop_free(loop);
}

static void
myaddr_and_myport(void **state)
{
    sc_loop *loop = sct_loop();
    struct accepted a = {0};
    sc_chan *server = Server(loop, NULL, &a), *c;
    int port = PortOf(server), mine = ClosedPort(AF_INET);
    sc_tcp_options o = {"127.0.0.1", NULL, 0, 0};
    char expect[64];

    (void) state;
    o.myport = Str(mine);
    c = sc_open_tcp_client(loop, "127.0.0.1", Str(port), &o);
    assert_non_null(c);
    snprintf(expect, sizeof(expect), "127.0.0.1 127.0.0.1 %d", mine);
    sct_expect(c, "-sockname", expect);
    sct_wait_for(loop, &a.n, 5000);
    assert_int_equal(a.ports[0], mine);
    sc_close(c);
    /* A local address of the other family only: no usable pair. */
    o.myaddr = "::1";
    o.myport = NULL;
    assert_null(sc_open_tcp_client(loop, "127.0.0.1", Str(port), &o));
    assert_string_equal(sc_errmsg(loop),
	    "couldn't open socket: host is unreachable");
    /* A local address this host does not have. */
    o.myaddr = "192.0.2.42";
    assert_null(sc_open_tcp_client(loop, "127.0.0.1", Str(port), &o));
    assert_string_equal(sc_errmsg(loop),
	    "couldn't open socket: cannot assign requested address");
    CloseAccepted(&a);
    sc_close(server);
    sct_loop_free(loop);
}

/*
 * A listener with a backlog of 0, filled by one connection and never
 * accepting, drops further SYNs on Linux: a silent port, no firewall.
 */
static int
SilentPort(int *lfd, int *filler)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);

    *lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(*lfd, (struct sockaddr *) &sin, sizeof(sin)), 0);
    assert_int_equal(listen(*lfd, 0), 0);
    assert_int_equal(getsockname(*lfd, (struct sockaddr *) &sin, &len), 0);
    *filler = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal(connect(*filler, (struct sockaddr *) &sin, sizeof(sin)),
	    0);
    return ntohs(sin.sin_port);
}

static void
connect_timeout(void **state)
{
    sc_loop *loop = sct_loop();
    sc_tcp_options o = {NULL, NULL, 0, 200};
    struct flag f = {0, 0};
    int lfd, filler, port = SilentPort(&lfd, &filler);
    uint64_t start = sct_ms(), took;
    sc_chan *c;

    (void) state;
    c = sc_open_tcp_client(loop, "127.0.0.1", Str(port), &o);
    took = sct_ms() - start;
    if (c != NULL) {
	/* This kernel completed the handshake despite the backlog. */
	sc_close(c);
	close(filler);
	close(lfd);
	sct_loop_free(loop);
	skip();
    }
    assert_string_equal(sc_errmsg(loop),
	    "couldn't open socket: connection timed out");
    assert_true(took >= 190 && took < 3000);

    o.flags = SC_TCP_ASYNC;
    c = sc_open_tcp_client(loop, "127.0.0.1", Str(port), &o);
    assert_non_null(c);
    assert_int_equal(sc_chan_event(c, SC_WRITABLE, SetFlag, &f), 0);
    sct_wait_for(loop, &f.set, 5000);
    sct_expect(c, "-error", "connection timed out");
    sc_close(c);
    close(filler);
    close(lfd);
    sct_loop_free(loop);
}

static void
reuseport_shares_a_port(void **state)
{
    sc_loop *loop = sct_loop();
    struct accepted a = {0}, b = {0};
    sc_chan *s1, *s2;
    char *port;

    (void) state;
    s1 = sc_open_tcp_server_ex(loop, "0", "127.0.0.1",
	    SC_TCP_REUSEADDR | SC_TCP_REUSEPORT, -1, Accept, &a);
    assert_non_null(s1);
    port = Str(PortOf(s1));
    s2 = sc_open_tcp_server_ex(loop, port, "127.0.0.1",
	    SC_TCP_REUSEADDR | SC_TCP_REUSEPORT, -1, Accept, &b);
    if (s2 == NULL) {
	fail_msg("second -reuseport server: %s", sc_errmsg(loop));
    }
    /* Without -reuseport, the port is taken. */
    assert_null(sc_open_tcp_server_ex(loop, port, "127.0.0.1",
	    SC_TCP_REUSEADDR, -1, Accept, &b));
    assert_string_equal(sc_errmsg(loop),
	    "couldn't open socket: address already in use");
    /* The kernel spreads connections over both (by the 4-tuple's hash:
     * 32 connections all on one server would be a 1 in 2^31 chance). */
    {
	sc_chan *clients[32];
	int i;

	for (i = 0; i < 32; i++) {
	    clients[i] = sc_open_tcp_client(loop, "127.0.0.1", port, NULL);
	    assert_non_null(clients[i]);
	}
	{
	    int late = 0;
	    sc_timer t = sc_create_timer(loop, 5000, SetInt, &late);

	    while (a.n + b.n < 32 && !late) {
		sc_do_one_event(loop, SC_ALL_EVENTS);
	    }
	    sc_delete_timer(loop, t);
	}
	assert_int_equal(a.n + b.n, 32);
	assert_true(a.n > 0);
	assert_true(b.n > 0);
	for (i = 0; i < 32; i++) {
	    sc_close(clients[i]);
	}
    }
    CloseAccepted(&a);
    CloseAccepted(&b);
    sc_close(s1);
    sc_close(s2);
    sct_loop_free(loop);
}

/* Out of descriptors: the server pauses instead of spinning, and comes
 * back by itself when descriptors free up. */
static void
emfile_on_accept_never_spins(void **state)
{
    sc_loop *loop = sct_loop();
    struct accepted a = {0};
    sc_chan *server = Server(loop, "127.0.0.1", &a);
    struct rlimit old, low;
    int port = PortOf(server), clients[4], i, spare[64], nspare = 0;
    unsigned long accepts;
    uint64_t start;

    (void) state;
    if (getenv("SOCKCHAN_VALGRIND") != NULL) {
	/* valgrind keeps descriptors of its own below the limit and does
	 * not let a program lower it: EMFILE never comes. */
	sc_close(server);
	sct_loop_free(loop);
	skip();
    }
    for (i = 0; i < 4; i++) {
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t) port);
	clients[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(clients[i], (struct sockaddr *) &sin,
		sizeof(sin)), 0);
    }
    /* Use up every descriptor below a lowered limit. */
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
    low = old;
    low.rlim_cur = 64;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    while (nspare < 64 && (spare[nspare] = dup(0)) >= 0) {
	nspare++;
    }
    accepts = sc__sys_calls(SC_SYS_ACCEPT4);
    start = sct_ms();
    while (sct_ms() - start < 300) {
	sc_do_one_event(loop, SC_ALL_EVENTS);
    }
    /* A spin would make thousands of calls in 300 ms; the backoff a few. */
    assert_true(sc__sys_calls(SC_SYS_ACCEPT4) - accepts < 50);
    assert_int_equal(a.n, 0);
    for (i = 0; i < nspare; i++) {
	close(spare[i]);
    }
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
    sct_wait_count(loop, &a.n, 4, 5000);
    assert_int_equal(a.n, 4);
    for (i = 0; i < 4; i++) {
	close(clients[i]);
    }
    CloseAccepted(&a);
    sc_close(server);
    sct_loop_free(loop);
}

/* A peer that resets during a large write: an error, not a signal. */
static void
peer_resets_during_large_write(void **state)
{
    sc_loop *loop = sct_loop();
    struct accepted a = {0};
    sc_chan *server = Server(loop, "127.0.0.1", &a), *w;
    struct linger lg = {1, 0};
    static char big[1 << 20];
    int fd, i, failed = 0;
    struct sockaddr_in sin;

    (void) state;
    signal(SIGPIPE, SIG_DFL);
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sin.sin_port = htons((uint16_t) PortOf(server));
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal(connect(fd, (struct sockaddr *) &sin, sizeof(sin)), 0);
    sct_wait_for(loop, &a.n, 5000);
    w = a.chans[0];
    assert_int_equal(sc_chan_configure(w, "-translation", "binary"), 0);
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)),
	    0);
    close(fd);				/* Reset. */
    for (i = 0; i < 64 && !failed; i++) {
	failed = sc_write(w, big, sizeof(big)) == SC_ERROR
		|| sc_flush(w) == SC_ERROR;
    }
    assert_true(failed);
    assert_true(strstr(sc_errmsg(loop), "connection reset by peer") != NULL
	    || strstr(sc_errmsg(loop), "broken pipe") != NULL);
    signal(SIGPIPE, SIG_IGN);
    CloseAccepted(&a);
    sc_close(server);
    sct_loop_free(loop);
}

static void
closing_server_keeps_connections(void **state)
{
    sc_loop *loop = sct_loop();
    struct accepted a = {0};
    sc_chan *server = Server(loop, "127.0.0.1", &a), *c;
    char *line = NULL;
    size_t cap = 0;

    (void) state;
    c = sc_open_tcp_client(loop, "127.0.0.1", Str(PortOf(server)), NULL);
    assert_non_null(c);
    sct_wait_for(loop, &a.n, 5000);
    assert_int_equal(sc_close(server), 0);
    assert_int_equal(sc_puts(a.chans[0], "still here"), 0);
    assert_int_equal(sc_flush(a.chans[0]), 0);
    assert_int_equal(sc_gets(c, &line, &cap), 10);
    assert_string_equal(line, "still here");
    free(line);
    sc_close(c);
    CloseAccepted(&a);
    sct_loop_free(loop);
}

static void
server_channel_cannot_be_read_or_written(void **state)
{
    sc_loop *loop = sct_loop();
    struct accepted a = {0};
    sc_chan *server = Server(loop, "127.0.0.1", &a);
    char *line = NULL, expect[80];
    size_t cap = 0;

    (void) state;
    assert_int_equal(sc_gets(server, &line, &cap), SC_ERROR);
    snprintf(expect, sizeof(expect), "channel \"%s\" wasn't opened for "
	    "reading", sc_chan_name(server));
    assert_string_equal(sc_errmsg(loop), expect);
    assert_int_equal(sc_puts(server, "x"), SC_ERROR);
    assert_null(sc_chan_cget(server, "-peername"));
    assert_string_equal(sc_errmsg(loop),
	    "can't get peername: socket is not connected");
    free(line);
    sc_close(server);
    sct_loop_free(loop);
}

static void
bad_ports_and_flags(void **state)
{
    sc_loop *loop = sct_loop();
    struct accepted a = {0};
    sc_tcp_options o = {NULL, NULL, 1 << 9, 0};

    (void) state;
    assert_null(sc_open_tcp_client(loop, "127.0.0.1", "abc", NULL));
    assert_string_equal(sc_errmsg(loop), "expected integer but got \"abc\"");
    assert_null(sc_open_tcp_client(loop, "127.0.0.1", "70000", NULL));
    assert_string_equal(sc_errmsg(loop),
	    "couldn't open socket: port number too high");
    assert_null(sc_open_tcp_client(loop, "127.0.0.1", "-1", NULL));
    assert_string_equal(sc_errmsg(loop),
	    "couldn't open socket: invalid port number");
    assert_null(sc_open_tcp_server(loop, "70000", NULL, Accept, &a));
    assert_string_equal(sc_errmsg(loop),
	    "couldn't open socket: port number too high");
    assert_null(sc_open_tcp_server(loop, "abc", NULL, Accept, &a));
    assert_string_equal(sc_errmsg(loop),
	    "couldn't open socket: invalid port number");
    assert_null(sc_open_tcp_server(loop, "0", NULL, NULL, NULL));
    assert_null(sc_open_tcp_client(loop, "127.0.0.1", "80", &o));
    assert_null(sc_open_tcp_client(NULL, "127.0.0.1", "80", NULL));
    /* A service name works where a number does. */
    {
	sc_chan *c = sc_open_tcp_client(loop, "127.0.0.1", "http",
		&(sc_tcp_options) {NULL, NULL, SC_TCP_ASYNC, 0});

	assert_non_null(c);
	sc_close(c);
    }
    sct_loop_free(loop);
}

static void
keepalive_nodelay_reversedns(void **state)
{
    sc_loop *loop = sct_loop();
    struct accepted a = {0};
    sc_chan *server = Server(loop, "127.0.0.1", &a), *c;
    char *all;

    (void) state;
    c = sc_open_tcp_client(loop, "127.0.0.1", Str(PortOf(server)), NULL);
    assert_non_null(c);
    sct_expect(c, "-keepalive", "0");
    sct_expect(c, "-nodelay", "0");
    assert_int_equal(sc_chan_configure(c, "-keepalive", "1"), 0);
    assert_int_equal(sc_chan_configure(c, "-nodelay", "yes"), 0);
    sct_expect(c, "-keepalive", "1");
    sct_expect(c, "-nodelay", "1");
    assert_int_equal(sc_chan_configure(c, "-nodelay", "maybe"), -1);
    assert_string_equal(sc_errmsg(loop),
	    "expected boolean value but got \"maybe\"");
    all = sc_chan_cget(c, NULL);
    assert_non_null(strstr(all, "-translation {auto crlf}"));
    assert_non_null(strstr(all, "-keepalive 1 -nodelay 1 -peername {127.0.0.1"));
    free(all);
    assert_int_equal(sc_chan_configure(c, "-peername", "x"), -1);
    assert_non_null(strstr(sc_errmsg(loop), "bad option \"-peername\": "
	    "should be one of -blocking,"));
    assert_non_null(strstr(sc_errmsg(loop), "-outputlimit, -connecting, "
	    "-error, -keepalive, -nodelay, -peername, -reversedns, or "
	    "-sockname"));
    sct_expect(c, "-reversedns", "0");
    assert_int_equal(sc_chan_configure(c, "-reversedns", "1"), 0);
    sct_expect(c, "-reversedns", "1");
    sc_close(c);
    CloseAccepted(&a);
    sc_close(server);
    sct_loop_free(loop);
}

/* The accept procedure closes the server: no more accepts, no crash. */
struct closer {
    sc_chan *server;
    int calls;
};

static void
AcceptAndClose(void *clientData, sc_chan *chan, const char *address,
	int port)
{
    struct closer *c = clientData;

    (void) address;
    (void) port;
    c->calls++;
    sc_close(chan);
    sc_close(c->server);
}

static void
accept_proc_closes_server(void **state)
{
    sc_loop *loop = sct_loop();
    struct closer cl = {NULL, 0};
    sc_chan *c1, *c2;
    int port;

    (void) state;
    cl.server = sc_open_tcp_server(loop, "0", "127.0.0.1", AcceptAndClose,
	    &cl);
    assert_non_null(cl.server);
    port = PortOf(cl.server);
    c1 = sc_open_tcp_client(loop, "127.0.0.1", Str(port), NULL);
    c2 = sc_open_tcp_client(loop, "127.0.0.1", Str(port), NULL);
    assert_non_null(c1);
    assert_non_null(c2);
    sct_wait_for(loop, &cl.calls, 5000);
    assert_int_equal(sc_vwait(loop, NULL), 0);
    assert_int_equal(cl.calls, 1);
    /* No one listens any more. */
    assert_null(sc_open_tcp_client(loop, "127.0.0.1", Str(port), NULL));
    sc_close(c1);
    sc_close(c2);
    sct_loop_free(loop);
}

/* Half-close over TCP: the server reads to end of file, then answers. */
static void
half_close_then_answer(void **state)
{
    sc_loop *loop = sct_loop();
    struct accepted a = {0};
    sc_chan *server = Server(loop, "127.0.0.1", &a), *c;
    char *data = NULL, *line = NULL;
    size_t cap = 0;

    (void) state;
    c = sc_open_tcp_client(loop, "127.0.0.1", Str(PortOf(server)), NULL);
    assert_non_null(c);
    sct_wait_for(loop, &a.n, 5000);
    assert_int_equal(sc_puts(c, "question"), 0);
    assert_int_equal(sc_close_half(c, SC_WRITABLE), 0);
    assert_int_equal(sc_read_all(a.chans[0], &data), 9);
    assert_string_equal(data, "question\n");
    assert_int_equal(sc_puts(a.chans[0], "answer"), 0);
    assert_int_equal(sc_close(a.chans[0]), 0);
    a.n = 0;
    assert_int_equal(sc_gets(c, &line, &cap), 6);
    assert_string_equal(line, "answer");
    assert_int_equal(sc_gets(c, &line, &cap), SC_EOF);
    free(data);
    free(line);
    sc_close(c);
    sc_close(server);
    sct_loop_free(loop);
}

/* --- found by review: lifetimes and modes ------------------------------ */

/* An async connect that moves on to a second address (::1 refused, then
 * 127.0.0.1): the new attempt is watched even when its socket gets the
 * old one's number. */
static void
async_second_address(void **state)
{
    sc_loop *loop = sct_loop();
    sc_tcp_options o = {NULL, NULL, SC_TCP_ASYNC, 0};
    struct accepted a = {0};
    sc_chan *server = Server(loop, "127.0.0.1", &a), *c;
    struct flag f = {0, 0};

    (void) state;
    c = sc_open_tcp_client(loop, "multi.test", Str(PortOf(server)), &o);
    assert_non_null(c);
    assert_int_equal(sc_chan_event(c, SC_WRITABLE, SetFlag, &f), 0);
    sct_wait_for(loop, &f.set, 5000);
    sct_expect(c, "-error", "");
    sct_wait_for(loop, &a.n, 5000);
    sc_close(c);
    CloseAccepted(&a);
    sc_close(server);
    sct_loop_free(loop);
}

/* Timed out while the lookup runs, then the lookup comes in: dropped. */
static void
timeout_during_lookup(void **state)
{
    sc_loop *loop = sct_loop();
    sc_tcp_options o = {NULL, NULL, SC_TCP_ASYNC, 100};
    struct accepted a = {0};
    sc_chan *server = Server(loop, "127.0.0.1", &a), *c;
    struct flag f = {0, 0};

    (void) state;
    slowMs = 400;
    c = sc_open_tcp_client(loop, "slow.test", Str(PortOf(server)), &o);
    assert_non_null(c);
    assert_int_equal(sc_chan_event(c, SC_WRITABLE, SetFlag, &f), 0);
    sct_wait_for(loop, &f.set, 5000);
    sct_expect(c, "-error", "connection timed out");
    assert_int_equal(sc_chan_event(c, SC_WRITABLE, NULL, NULL), 0);
    /* Let the lookup's late result arrive. */
    {
	int late = 0;
	sc_timer t = sc_create_timer(loop, 600, SetInt, &late);

	while (!late) {
	    sc_do_one_event(loop, SC_ALL_EVENTS);
	}
	sc_delete_timer(loop, t);
    }
    assert_int_equal(a.n, 0);		/* It never connected. */
    sct_expect(c, "-connecting", "0");
    sc_close(c);
    sc_close(server);
    sct_loop_free(loop);
}

/* The loop freed while a lookup is out: the result finds it gone. */
static void
loop_freed_with_lookup_out(void **state)
{
    sc_loop *loop = sct_loop(), *other;
    sc_tcp_options o = {NULL, NULL, SC_TCP_ASYNC, 0};
    sc_chan *c;
    int late = 0;

    (void) state;
    slowMs = 200;
    c = sc_open_tcp_client(loop, "slow.test", "9", &o);
    assert_non_null(c);
    sc_close(c);
    /* Closed, the client let its lookup go: nothing holds the loop. */
    assert_int_equal(sc_loop_handlers(loop, SC_FILE_EVENTS), 0);
    sc_loop_free(loop);
    /* Wait past the lookup on another loop (ASan would catch a post into
     * the freed one). */
    other = sct_loop();
    assert_true(sc_create_timer(other, 500, SetInt, &late) != 0);
    assert_int_equal(sc_vwait(other, &late), 0);
    sct_loop_free(other);
}

/* A failing poll while a blocking read waits for the connection: the
 * socket is closed once, not twice. */
static void
poll_failure_closes_once(void **state)
{
    sc_loop *loop = sct_loop();
    sc_tcp_options o = {NULL, NULL, SC_TCP_ASYNC, 0};
    int lfd, filler, port, probe;
    char buf[4];
    sc_chan *c;

    (void) state;
    {
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *) &sin, sizeof(sin)), 0);
	assert_int_equal(listen(lfd, 0), 0);
	getsockname(lfd, (struct sockaddr *) &sin, &len);
	filler = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(filler, (struct sockaddr *) &sin,
		sizeof(sin)), 0);
	port = ntohs(sin.sin_port);
    }
    c = sc_open_tcp_client(loop, "127.0.0.1", Str(port), &o);
    assert_non_null(c);
    {
	char *v = sc_chan_cget(c, "-connecting");
	int connecting = strcmp(v, "1") == 0;

	free(v);
	if (!connecting) {
	    sc_close(c);	/* The handshake completed after all. */
	    close(filler);
	    close(lfd);
	    sct_loop_free(loop);
	    skip();
	}
    }
    assert_int_equal(sc_chan_set_blocking(c, 1), 0);
    sc__fault_set(SC_SYS_POLL, 1, 0, ENOMEM);	/* Every poll fails. */
    assert_int_equal(sc_read(c, buf, sizeof(buf)), SC_ERROR);
    sc__fault_clear();
    probe = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sc_close(c);
    /* The number the attempt had may now be probe's: still open. */
    assert_true(fcntl(probe, F_GETFD) >= 0);
    close(probe);
    close(filler);
    close(lfd);
    sct_loop_free(loop);
}

/* A half-close asked for while connecting is applied once connected. */
static void
half_close_while_connecting(void **state)
{
    sc_loop *loop = sct_loop();
    sc_tcp_options o = {NULL, NULL, SC_TCP_ASYNC, 0};
    struct accepted a = {0};
    sc_chan *server = Server(loop, "127.0.0.1", &a), *c;
    char *all = NULL;

    (void) state;
    slowMs = 100;
    c = sc_open_tcp_client(loop, "slow.test", Str(PortOf(server)), &o);
    assert_non_null(c);
    assert_int_equal(sc_puts(c, "early"), 0);
    assert_int_equal(sc_close_half(c, SC_WRITABLE), 0);
    sct_wait_for(loop, &a.n, 5000);
    /* The client's queue goes out from the loop, then its end of file. */
    {
	int late = 0;
	sc_timer t = sc_create_timer(loop, 5000, SetInt, &late);

	while (sc_pending(c, SC_WRITABLE) > 0 && !late) {
	    sc_do_one_event(loop, SC_ALL_EVENTS);
	}
	sc_delete_timer(loop, t);
	assert_false(late);
    }
    assert_int_equal(sc_read_all(a.chans[0], &all), 6);
    assert_string_equal(all, "early\n");
    free(all);
    sc_close(c);
    CloseAccepted(&a);
    sc_close(server);
    assert_int_equal(sc_vwait(loop, NULL), 0);
    sct_loop_free(loop);
}

/* Modes and flags of the descriptors: a synchronous client and an
 * accepted connection are blocking (as in Tcl), all are close-on-exec,
 * and a reset on a socket reads as end of file. */
static void
descriptor_modes_and_reset(void **state)
{
    sc_loop *loop = sct_loop();
    struct accepted a = {0};
    sc_chan *server = Server(loop, "127.0.0.1", &a), *c;
    struct linger lg = {1, 0};
    char buf[8];
    int fd;

    (void) state;
    c = sc_open_tcp_client(loop, "127.0.0.1", Str(PortOf(server)), NULL);
    assert_non_null(c);
    sct_wait_for(loop, &a.n, 5000);
    fd = sc_chan_fd(c, SC_READABLE);
    assert_false(fcntl(fd, F_GETFL) & O_NONBLOCK);
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    fd = sc_chan_fd(a.chans[0], SC_READABLE);
    assert_false(fcntl(fd, F_GETFL) & O_NONBLOCK);
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    sct_expect(a.chans[0], "-blocking", "1");
    /* The client resets; the server side reads end of file. */
    assert_int_equal(setsockopt(sc_chan_fd(c, SC_READABLE), SOL_SOCKET,
	    SO_LINGER, &lg, sizeof(lg)), 0);
    assert_int_equal(sc_puts(a.chans[0], "unread"), 0);
    assert_int_equal(sc_flush(a.chans[0]), 0);
    sc_close(c);
    assert_int_equal(sc_read(a.chans[0], buf, sizeof(buf)), SC_EOF);
    CloseAccepted(&a);
    sc_close(server);
    sct_loop_free(loop);
}


/* --- issue 15: timeouts over the lookup, lookups that never queue ------- */

/* A synchronous client's timeout bounds its name lookup too. */
static void
sync_timeout_bounds_lookup(void **state)
{
    sc_loop *loop = sct_loop();
    sc_tcp_options o = {NULL, NULL, 0, 300};
    uint64_t t0;

    (void) state;
    slowMs = 1500;
    t0 = sct_ms();
    assert_null(sc_open_tcp_client(loop, "slow.test", "9", &o));
    assert_true(sct_ms() - t0 < 1000);
    assert_string_equal(sc_errmsg(loop),
	    "couldn't open socket: connection timed out");
    assert_int_equal(sc_vwait(loop, NULL), 0);
    sct_loop_free(loop);
}

/* An asynchronous client made blocking before it connects: a blocking
 * write waits for the connect within the timeout, lookup included. */
static void
blocking_wait_keeps_timeout(void **state)
{
    sc_loop *loop = sct_loop();
    sc_tcp_options o = {NULL, NULL, SC_TCP_ASYNC, 300};
    sc_chan *c;
    uint64_t t0;

    (void) state;
    slowMs = 1500;
    t0 = sct_ms();
    c = sc_open_tcp_client(loop, "slow.test", "9", &o);
    assert_non_null(c);
    assert_int_equal(sc_chan_set_blocking(c, 1), 0);
    assert_int_equal(sc_puts(c, "x"), 0);
    assert_int_equal(sc_flush(c), SC_ERROR);
    assert_true(sct_ms() - t0 < 1000);
    sct_expect(c, "-error", "connection timed out");
    sc_close(c);
    assert_int_equal(sc_vwait(loop, NULL), 0);
    sct_loop_free(loop);
}

/* A client closed while its lookup runs: nothing waits for the lookup. */
static void
closed_client_lets_vwait_return(void **state)
{
    sc_loop *loop = sct_loop();
    sc_tcp_options o = {NULL, NULL, SC_TCP_ASYNC, 0};
    sc_chan *c;
    uint64_t t0;

    (void) state;
    slowMs = 1500;
    c = sc_open_tcp_client(loop, "slow.test", "9", &o);
    assert_non_null(c);
    sc_close(c);
    t0 = sct_ms();
    assert_int_equal(sc_vwait(loop, NULL), 0);
    assert_true(sct_ms() - t0 < 200);
    sct_loop_free(loop);
}

/* Eight slow lookups running: a fast one is not queued behind them. */
static void
fast_lookup_never_waits(void **state)
{
    sc_loop *loop = sct_loop();
    sc_tcp_options o = {NULL, NULL, SC_TCP_ASYNC, 0};
    struct accepted a = {0};
    sc_chan *server = Server(loop, "127.0.0.1", &a), *slow[8], *c;
    struct flag f = {0, 0};
    uint64_t t0;
    int i;

    (void) state;
    slowMs = 1500;
    for (i = 0; i < 8; i++) {
	slow[i] = sc_open_tcp_client(loop, "slow.test", "9", &o);
	assert_non_null(slow[i]);
    }
    t0 = sct_ms();
    c = sc_open_tcp_client(loop, "multi.test", Str(PortOf(server)), &o);
    assert_non_null(c);
    assert_int_equal(sc_chan_event(c, SC_WRITABLE, SetFlag, &f), 0);
    sct_wait_for(loop, &f.set, 5000);
    assert_true(sct_ms() - t0 < 500);
    sct_expect(c, "-error", "");
    sct_wait_for(loop, &a.n, 5000);
    for (i = 0; i < 8; i++) {
	sc_close(slow[i]);
    }
    sc_close(c);
    CloseAccepted(&a);
    sc_close(server);
    sct_loop_free(loop);
}


/* After a failed connect, -sockname is the local address the attempt
 * used, as in Tcl; "" while connecting. */
static void
failed_connect_sockname(void **state)
{
    sc_loop *loop = sct_loop();
    sc_tcp_options o = {NULL, NULL, SC_TCP_ASYNC, 0};
    struct flag f = {0, 0};
    sc_chan *c;
    char *v;

    (void) state;
    c = sc_open_tcp_client(loop, "127.0.0.1", Str(ClosedPort(AF_INET)), &o);
    assert_non_null(c);
    assert_int_equal(sc_chan_event(c, SC_WRITABLE, SetFlag, &f), 0);
    sct_wait_for(loop, &f.set, 5000);
    sct_expect(c, "-error", "connection refused");
    v = sc_chan_cget(c, "-sockname");
    assert_non_null(v);
    assert_int_equal(strncmp(v, "127.0.0.1 127.0.0.1 ", 20), 0);
    assert_true(atoi(v + 20) > 0);
    free(v);
    sct_expect(c, "-peername", "");
    sc_close(c);
    sct_loop_free(loop);
}

static const struct CMUnitTest tests[] = {
    SCT(sync_client_ipv4),
    SCT(sync_client_ipv6),
    SCT(server_on_every_interface),
    SCT(sync_refused_fails_at_the_call),
    SCT(async_refused_reports_through_error),
    SCT(async_success_and_io_while_connecting),
    SCT(blocking_read_waits_for_connect),
    SCT(async_lookup_off_the_loop),
    SCT(async_unknown_host),
    SCT(several_addresses_one_server),
    SCT(myaddr_and_myport),
    SCT(connect_timeout),
    SCT(reuseport_shares_a_port),
    SCT(emfile_on_accept_never_spins),
    SCT(peer_resets_during_large_write),
    SCT(closing_server_keeps_connections),
    SCT(server_channel_cannot_be_read_or_written),
    SCT(bad_ports_and_flags),
    SCT(keepalive_nodelay_reversedns),
    SCT(accept_proc_closes_server),
    SCT(half_close_then_answer),
    SCT(async_second_address),
    SCT(timeout_during_lookup),
    SCT(loop_freed_with_lookup_out),
    SCT(sync_timeout_bounds_lookup),
    SCT(blocking_wait_keeps_timeout),
    SCT(closed_client_lets_vwait_return),
    SCT(fast_lookup_never_waits),
    SCT(failed_connect_sockname),
    SCT(poll_failure_closes_once),
    SCT(half_close_while_connecting),
    SCT(descriptor_modes_and_reset),
};

SCT_MAIN(tests)
