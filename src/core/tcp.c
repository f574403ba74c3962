/*
 * tcp.c --
 *
 *	TCP without a loop: the connect state machine (every remote address,
 *	each with every local address of its family, one step per call) and
 *	listening on every address with one port. See sock.h.
 */

#include "core/sock.h"
#include "core/sys.h"
#include "sockchan.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_PORT_RETRIES 10

void
sc__err_note(struct sc__connect *c, int stage, int code)
{
    if (stage >= c->stage) {
	c->stage = stage;
	sc__err_set(&c->err, code);
    }
}

static uint64_t
Now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

static int
SameAddr(const struct addrinfo *a, const struct addrinfo *b)
{
    if (a == NULL || b == NULL) {
	return a == b;
    }
    return a->ai_family == b->ai_family && a->ai_addrlen == b->ai_addrlen
	    && memcmp(a->ai_addr, b->ai_addr, a->ai_addrlen) == 0;
}

/* Append the pair (r, l) unless a piece before brought it already. */
static void
AddPair(struct sc__connect *c, const struct addrinfo *r,
	const struct addrinfo *l)
{
    int i;

    for (i = 0; i < c->npairs; i++) {
	if (SameAddr(c->pairs[i].r, r) && SameAddr(c->pairs[i].l, l)) {
	    return;
	}
    }
    c->pairs[c->npairs].r = r;
    c->pairs[c->npairs++].l = l;
}

/*
 * Append the pairs of one piece of addresses: each remote address with
 * each local address of its family, or alone without local addresses;
 * a pair already there (from this piece or one before) is not repeated.
 * Racing, the untried pairs are then interleaved by family, IPv6 first.
 * Returns 0, or -1 (no memory: nothing added).
 */
static int
AddPairs(struct sc__connect *c, const struct addrinfo *remote,
	const struct addrinfo *local)
{
    const struct addrinfo *r, *l;
    struct sc__pair *pairs;
    int n = 0, i, j, k;

    for (r = remote; r != NULL; r = r->ai_next) {
	if (local == NULL) {
	    n++;
	}
	for (l = local; l != NULL; l = l->ai_next) {
	    n += l->ai_family == r->ai_family;
	}
    }
    if (n == 0) {
	return 0;
    }
    pairs = sc__realloc(c->pairs, (size_t) (c->npairs + n) * sizeof(*pairs));
    if (pairs == NULL) {
	return -1;
    }
    c->pairs = pairs;
    for (r = remote; r != NULL; r = r->ai_next) {
	if (local == NULL) {
	    AddPair(c, r, NULL);
	}
	for (l = local; l != NULL; l = l->ai_next) {
	    if (l->ai_family == r->ai_family) {
		AddPair(c, r, l);
	    }
	}
    }
    if (c->delay > 0 && c->npairs - c->next > 1) {
	/* Interleave what is left to try: IPv6, other, IPv6, other... in
	 * each family's own order. One pass with a scratch copy. */
	int left = c->npairs - c->next;
	struct sc__pair *tmp = sc__malloc((size_t) left * sizeof(*tmp));

	if (tmp == NULL) {
	    return 0;		/* Still every pair, in the lookup's order. */
	}
	memcpy(tmp, pairs + c->next, (size_t) left * sizeof(*tmp));
	/* i walks the IPv6 pairs, j the others, k the places. */
	for (i = 0, j = 0, k = c->next; k < c->npairs; ) {
	    while (i < left && tmp[i].r->ai_family != AF_INET6) {
		i++;
	    }
	    if (i < left) {
		pairs[k++] = tmp[i++];
	    }
	    while (j < left && tmp[j].r->ai_family == AF_INET6) {
		j++;
	    }
	    if (j < left && k < c->npairs) {
		pairs[k++] = tmp[j++];
	    }
	}
	sc__free(tmp);
    }
    return 0;
}

/* Forget attempt i (its socket closed unless keep). */
static void
DropAttempt(struct sc__connect *c, int i, int keep)
{
    if (!keep) {
	sc__close(c->att[i].fd);
    }
    c->att[i] = c->att[--c->natt];
}

/* Record a connect() failure at its stage, with the local address the
 * attempt used (what -sockname shows after a failed connect, as Tcl). */
static void
ConnectError(struct sc__connect *c, int fd, int code)
{
    if (SC_STAGE_CONNECT >= c->stage) {
	socklen_t len = sizeof(c->failName);

	sc__err_note(c, SC_STAGE_CONNECT, code);
	c->failNameLen = 0;
	if (sc__getsockname(fd, &c->failName.sa, &len) == 0
		&& len <= sizeof(c->failName)) {
	    c->failNameLen = len;
	}
    }
}

/*
 * Start the next pairs until one connects or is in progress. Returns
 * SC_CONN_DONE (c->fd), SC_CONN_INPROGRESS (a new attempt in att[]), or
 * -1 when no pair is left.
 */
static int
Launch(struct sc__connect *c)
{
    while (c->next < c->npairs) {
	int p = c->next++;
	const struct addrinfo *r = c->pairs[p].r, *l = c->pairs[p].l;
	int fd, one = 1;

	c->started = 1;
	fd = sc__socket(r->ai_family,
		SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
	    sc__err_note(c, SC_STAGE_SOCKET, errno);
	    continue;
	}
	if (l != NULL) {
	    /* As Tcl: reuse the local address, so that -myport can be
	     * reused while an earlier connection lingers. */
	    (void) sc__setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one));
	    if (sc__bind(fd, l->ai_addr, l->ai_addrlen) < 0) {
		sc__err_note(c, SC_STAGE_BIND, errno);
		sc__close(fd);
		continue;
	    }
	}
	if (sc__connect(fd, r->ai_addr, r->ai_addrlen) == 0) {
	    c->fd = fd;
	    return SC_CONN_DONE;
	}
	if (errno == EINPROGRESS || errno == EINTR) {
	    c->att[c->natt].fd = fd;
	    c->att[c->natt++].pair = p;
	    return SC_CONN_INPROGRESS;
	}
	ConnectError(c, fd, errno);
	sc__close(fd);
    }
    return -1;
}

/*
 * Attempt i's socket is writable. Returns SC_CONN_DONE (c->fd is it),
 * SC_CONN_INPROGRESS (not yet), or SC_CONN_FAILED (noted and dropped).
 */
static int
Check(struct sc__connect *c, int i)
{
    int fd = c->att[i].fd, soErr = 0;
    socklen_t len = sizeof(soErr);

    if (sc__getsockopt(fd, SOL_SOCKET, SO_ERROR, &soErr, &len) < 0) {
	soErr = errno;
    }
    if (soErr == 0) {
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);

	/* Writable with no error may still be early (EINPROGRESS seen as
	 * done by some systems): a peer name says it is connected. */
	if (sc__getpeername(fd, (struct sockaddr *) &peer, &plen) == 0) {
	    c->fd = fd;
	    DropAttempt(c, i, 1);
	    return SC_CONN_DONE;
	}
	if (errno == ENOTCONN) {
	    return SC_CONN_INPROGRESS;
	}
	soErr = errno;
    }
    ConnectError(c, fd, soErr);
    DropAttempt(c, i, 0);
    return SC_CONN_FAILED;
}

/*
 * After any change: a winner closes the rest; otherwise start what the
 * rules say is due (failed: an attempt has just failed) and say when to
 * look again.
 */
static int
Settle(struct sc__connect *c, int r, int failed)
{
    uint64_t now, delay = (uint64_t) c->delay * 1000000u;

    if (r == SC_CONN_DONE) {
	while (c->natt > 0) {
	    DropAttempt(c, 0, 0);
	}
	c->nextAt = c->holdUntil = 0;
	return SC_CONN_DONE;
    }
    if (c->delay <= 0) {
	/* Serial: the next pair only when the one in flight has failed. */
	if (c->natt == 0 && Launch(c) == SC_CONN_DONE) {
	    return SC_CONN_DONE;
	}
	c->fd = c->natt > 0 ? c->att[0].fd : -1;
	return c->natt > 0 || c->lookups > 0 ? SC_CONN_INPROGRESS
		: SC_CONN_FAILED;
    }
    now = Now();
    if (c->holdUntil != 0 && now < c->holdUntil && !c->started) {
	c->nextAt = c->holdUntil;	/* The resolution delay. */
	return SC_CONN_INPROGRESS;
    }
    c->holdUntil = 0;
    while (c->next < c->npairs && c->natt < SC__RACE_MAX
	    && (c->natt == 0 || failed || now >= c->lastStart + delay)) {
	failed = 0;
	r = Launch(c);
	if (r == SC_CONN_DONE) {
	    return Settle(c, SC_CONN_DONE, 0);
	}
	if (r == SC_CONN_INPROGRESS) {
	    c->lastStart = now;
	}
    }
    c->nextAt = c->natt > 0 && c->natt < SC__RACE_MAX && c->next < c->npairs
	    ? c->lastStart + delay : 0;
    return c->natt > 0 || c->lookups > 0 ? SC_CONN_INPROGRESS
	    : SC_CONN_FAILED;
}

void
sc__connect_init(struct sc__connect *c, long delay, int lookups)
{
    c->remote = c->local = c->remote2 = c->local2 = NULL;
    c->fd = -1;
    c->stage = SC_STAGE_LOOKUP;
    /* With no usable pair at all (say, no local address of the remote's
     * family), this is what Tcl says. */
    sc__err_set(&c->err, EHOSTUNREACH);
    c->failNameLen = 0;
    c->delay = delay;
    c->lookups = lookups;
    c->started = 0;
    c->pairs = NULL;
    c->npairs = c->next = 0;
    c->natt = 0;
    c->nextAt = c->holdUntil = c->lastStart = 0;
}

int
sc__connect_add(struct sc__connect *c, struct addrinfo *remote,
	struct addrinfo *local, const struct sc__err *lookupErr)
{
    const struct addrinfo *ai;
    int six = 0;

    if (c->lookups > 0) {
	c->lookups--;
    }
    if (remote == NULL) {
	if (lookupErr != NULL && c->stage == SC_STAGE_LOOKUP
		&& c->npairs == 0) {
	    c->err = *lookupErr;
	}
	sc__freeaddrinfo(local);
	if (c->lookups == 0) {
	    c->holdUntil = 0;
	}
	return Settle(c, SC_CONN_INPROGRESS, 0);
    }
    if (c->remote == NULL && c->remote2 == NULL) {
	c->remote = remote;
	c->local = local;
    } else {
	/* Later pieces are kept on the second lists (for the free). */
	struct addrinfo **tail = &c->remote2;

	while (*tail != NULL) {
	    tail = &(*tail)->ai_next;
	}
	*tail = remote;
	for (tail = &c->local2; *tail != NULL; tail = &(*tail)->ai_next) {
	}
	*tail = local;
    }
    if (AddPairs(c, remote, local) < 0) {
	sc__err_note(c, SC_STAGE_SOCKET, ENOMEM);
	return Settle(c, SC_CONN_INPROGRESS, 1);
    }
    for (ai = remote; ai != NULL; ai = ai->ai_next) {
	six |= ai->ai_family == AF_INET6;
    }
    if (c->delay > 0 && !c->started && !six && c->lookups > 0) {
	/* RFC 8305's resolution delay: IPv4 came first; give the IPv6
	 * answer a moment before starting without it. */
	if (c->holdUntil == 0) {
	    c->holdUntil = Now()
		    + (uint64_t) SC__RESOLUTION_DELAY * 1000000u;
	}
    } else if (six || c->lookups == 0) {
	c->holdUntil = 0;
    }
    return Settle(c, SC_CONN_INPROGRESS, 0);
}

int
sc__connect_start(struct sc__connect *c, struct addrinfo *remote,
	struct addrinfo *local)
{
    int own = c->ownAlloc;

    sc__connect_init(c, c->delay, 1);
    c->ownAlloc = own;
    return sc__connect_add(c, remote, local, NULL);
}

int
sc__connect_step(struct sc__connect *c)
{
    int i, failed = 0;

    if (c->delay <= 0) {
	/* Serial: the caller says c->fd is writable. */
	if (c->natt == 0) {
	    return c->lookups > 0 ? SC_CONN_INPROGRESS : SC_CONN_FAILED;
	}
	i = Check(c, 0);
	if (i == SC_CONN_INPROGRESS) {
	    return SC_CONN_INPROGRESS;
	}
	return Settle(c, i, i == SC_CONN_FAILED);
    }
    if (c->natt > 0) {
	struct pollfd pfd[SC__RACE_MAX];
	int n = c->natt;

	for (i = 0; i < n; i++) {
	    pfd[i].fd = c->att[i].fd;
	    pfd[i].events = POLLOUT;
	    pfd[i].revents = 0;
	}
	if (sc__poll(pfd, (nfds_t) n, 0) > 0) {
	    /* From the end, so that dropping attempt i moves one already
	     * seen into its place. */
	    for (i = n - 1; i >= 0; i--) {
		if (pfd[i].revents == 0) {
		    continue;
		}
		switch (Check(c, i)) {
		case SC_CONN_DONE:
		    return Settle(c, SC_CONN_DONE, 0);
		case SC_CONN_FAILED:
		    failed = 1;
		    break;
		default:
		    break;
		}
	    }
	}
    }
    return Settle(c, SC_CONN_INPROGRESS, failed);
}

long
sc__connect_wait_ms(const struct sc__connect *c)
{
    uint64_t now;

    if (c->nextAt == 0) {
	return -1;
    }
    now = Now();
    return now >= c->nextAt ? 0 : (long) ((c->nextAt - now + 999999) / 1000000);
}

int
sc__connect_wait(const struct sc__connect *c, int wakeFd, int resolving,
	int timeoutMs)
{
    struct pollfd pfd[SC__RACE_MAX + 1];
    long race = sc__connect_wait_ms(c);
    int i, n = 0, ready = 0;

    if (race >= 0 && (timeoutMs < 0 || race < timeoutMs)) {
	timeoutMs = (int) race;
    }
    if (resolving && wakeFd < 0 && (timeoutMs < 0 || timeoutMs > 10)) {
	timeoutMs = 10;		/* No eventfd to wake us: look again soon. */
    }
    for (i = 0; i < c->natt; i++) {
	pfd[n].fd = c->att[i].fd;
	pfd[n].events = POLLOUT;
	pfd[n++].revents = 0;
    }
    if (wakeFd >= 0) {
	pfd[n].fd = wakeFd;
	pfd[n].events = POLLIN;
	pfd[n++].revents = 0;
    }
    if (sc__poll(pfd, (nfds_t) n, timeoutMs) < 0) {
	return -1;
    }
    for (i = 0; i < n; i++) {
	if (pfd[i].revents == 0) {
	    continue;
	}
	if (pfd[i].fd == wakeFd) {
	    uint64_t count;

	    (void) sc__read(wakeFd, &count, sizeof(count));
	} else {
	    ready = 1;
	}
    }
    return ready || sc__connect_wait_ms(c) == 0;
}

void
sc__connect_free(struct sc__connect *c)
{
    if (c->delay <= 0) {
	/* Serial: the attempt is c->fd, closed below, unless the caller
	 * took it (set c->fd to -1). */
	c->natt = 0;
    }
    while (c->natt > 0) {
	if (c->att[0].fd == c->fd) {
	    c->fd = -1;
	}
	DropAttempt(c, 0, 0);
    }
    if (c->fd >= 0) {
	sc__close(c->fd);
	c->fd = -1;
    }
    if (c->ownAlloc) {
	sc__free(c->remote);
    } else {
	sc__freeaddrinfo(c->remote);
    }
    sc__freeaddrinfo(c->local);
    sc__freeaddrinfo(c->remote2);
    sc__freeaddrinfo(c->local2);
    sc__free(c->pairs);
    c->pairs = NULL;
    c->npairs = c->next = 0;
    c->remote = c->local = c->remote2 = c->local2 = NULL;
}

/*
 *----------------------------------------------------------------------
 *
 * sc__tcp_listen --
 *
 *	See sock.h.
 *
 *----------------------------------------------------------------------
 */

static void
SetPort(struct sockaddr *sa, int port)
{
    if (sa->sa_family == AF_INET) {
	((struct sockaddr_in *) (void *) sa)->sin_port = htons((uint16_t) port);
    } else if (sa->sa_family == AF_INET6) {
	((struct sockaddr_in6 *) (void *) sa)->sin6_port
		= htons((uint16_t) port);
    }
}

static int
GetPort(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char host[64];
    int port;

    if (sc__getsockname(fd, (struct sockaddr *) &ss, &len) < 0) {
	return -1;
    }
    sc__addr_numeric((struct sockaddr *) &ss, len, host, sizeof(host), &port);
    return port;
}

/* One pass over the addresses. Returns the count, or -1 (retry: *again). */
static int
ListenAll(struct addrinfo *list, int port, unsigned flags, int backlog,
	int *fds, int maxFds, struct sc__err *err, int *stage, int *again)
{
    struct addrinfo *ai;
    int n = 0, chosen = port, one = 1, i;

    *again = 0;
    for (ai = list; ai != NULL && n < maxFds; ai = ai->ai_next) {
	int fd = sc__socket(ai->ai_family,
		SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

#define FAIL(st, code) \
	do { \
	    if ((st) >= *stage) { \
		*stage = (st); \
		sc__err_set(err, (code)); \
	    } \
	    goto next; \
	} while (0)

	if (fd < 0) {
	    FAIL(SC_STAGE_SOCKET, errno);
	}
	if ((flags & SC__LISTEN_REUSEADDR) && sc__setsockopt(fd, SOL_SOCKET,
		SO_REUSEADDR, &one, sizeof(one)) < 0) {
	    FAIL(SC_STAGE_SOCKET, errno);
	}
	if (flags & SC__LISTEN_REUSEPORT) {
#ifdef SO_REUSEPORT
	    if (sc__setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one,
		    sizeof(one)) < 0) {
		if (errno == ENOPROTOOPT) {
		    *stage = SC_STAGE_LISTEN + 1;	/* Final. */
		    err->code = ENOPROTOOPT;
		    snprintf(err->text, sizeof(err->text), "SO_REUSEPORT "
			    "isn't supported by this platform");
		    goto next;
		}
		FAIL(SC_STAGE_SOCKET, errno);
	    }
#else
	    *stage = SC_STAGE_LISTEN + 1;
	    err->code = ENOPROTOOPT;
	    snprintf(err->text, sizeof(err->text), "SO_REUSEPORT isn't "
		    "supported by this platform");
	    goto next;
#endif
	}
	if (ai->ai_family == AF_INET6) {
	    /* Each family on its own socket, on the same port. */
	    (void) sc__setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
	}
	if (chosen > 0) {
	    SetPort(ai->ai_addr, chosen);
	}
	if (sc__bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
	    if (errno == EADDRINUSE && port == 0 && n > 0) {
		/* The port the first family got is taken in this one:
		 * start again with a new port. */
		*again = 1;
	    }
	    FAIL(SC_STAGE_BIND, errno);
	}
	if (sc__listen(fd, backlog < 0 ? SOMAXCONN : backlog) < 0) {
	    FAIL(SC_STAGE_LISTEN, errno);
	}
	if (chosen == 0) {
	    chosen = GetPort(fd);
	}
	fds[n++] = fd;
	continue;
      next:
	if (fd >= 0) {
	    sc__close(fd);
	}
	if (*again) {
	    break;
	}
#undef FAIL
    }
    if (*again) {
	for (i = 0; i < n; i++) {
	    sc__close(fds[i]);
	}
	for (ai = list; ai != NULL; ai = ai->ai_next) {
	    SetPort(ai->ai_addr, 0);
	}
	return -1;
    }
    return n;
}

/*
 * Drop the repeats from a list (glibc gives 127.0.0.1 twice for
 * "localhost" and IPv4 when /etc/hosts also lists ::1 for it): the
 * second bind of one address would fail with "address already in use".
 * Tcl listens once per distinct address too.
 */
static void
Distinct(struct addrinfo *list)
{
    struct addrinfo *ai, *prev, *seen;

    for (prev = list, ai = list ? list->ai_next : NULL; ai != NULL;
	    ai = prev->ai_next) {
	for (seen = list; seen != ai; seen = seen->ai_next) {
	    if (seen->ai_family == ai->ai_family
		    && seen->ai_addrlen == ai->ai_addrlen
		    && memcmp(seen->ai_addr, ai->ai_addr, ai->ai_addrlen) == 0) {
		break;
	    }
	}
	if (seen == ai) {
	    prev = ai;
	    continue;
	}
	prev->ai_next = ai->ai_next;
	ai->ai_next = NULL;
	sc__freeaddrinfo(ai);	/* POSIX: any sublist may be freed. */
    }
}

int
sc__tcp_listen(const char *host, int port, int family, unsigned flags,
	int backlog, int *fds, int maxFds, struct sc__err *err)
{
    struct addrinfo *list;
    int n = -1, stage = SC_STAGE_LOOKUP, again = 0, tries;

    if (sc__resolve(host, port, family, 1, &list, err) < 0) {
	return -1;
    }
    Distinct(list);
    for (tries = 0; tries < MAX_PORT_RETRIES; tries++) {
	n = ListenAll(list, port, flags, backlog, fds, maxFds, err, &stage,
		&again);
	if (!again) {
	    break;
	}
    }
    sc__freeaddrinfo(list);
    if (n <= 0) {
	if (n == 0 && stage == SC_STAGE_LOOKUP) {
	    sc__err_set(err, EADDRNOTAVAIL);
	}
	return -1;
    }
    return n;
}
