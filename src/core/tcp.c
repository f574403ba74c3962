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
#include <stdio.h>
#include <string.h>
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

/* The next (remote, local) pair with matching families, or 0 at the end. */
static int
NextPair(struct sc__connect *c, int first)
{
    for (;;) {
	if (first) {
	    first = 0;
	    c->r = c->remote;
	    c->l = c->local;
	} else if (c->local != NULL && c->l != NULL
		&& (c->l = c->l->ai_next) != NULL) {
	    /* Next local address for the same remote. */
	} else if (c->r != NULL) {
	    c->r = c->r->ai_next;
	    c->l = c->local;
	}
	if (c->r == NULL) {
	    return 0;
	}
	if (c->local == NULL) {
	    return 1;
	}
	if (c->l != NULL && c->l->ai_family == c->r->ai_family) {
	    return 1;
	}
	/* A local address of another family, or none left for this
	 * remote: on to the next. */
    }
}

/*
 * Try the current pair. Returns SC_CONN_DONE, SC_CONN_INPROGRESS, or -1
 * when this pair failed (the caller moves on).
 */
static int
Attempt(struct sc__connect *c)
{
    const struct addrinfo *r = c->r, *l = c->l;
    int fd, one = 1;

    fd = sc__socket(r->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
    if (fd < 0) {
	sc__err_note(c, SC_STAGE_SOCKET, errno);
	return -1;
    }
    if (l != NULL) {
	/* As Tcl: reuse the local address, so that -myport can be reused
	 * while an earlier connection lingers. */
	(void) sc__setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
		sizeof(one));
	if (sc__bind(fd, l->ai_addr, l->ai_addrlen) < 0) {
	    sc__err_note(c, SC_STAGE_BIND, errno);
	    sc__close(fd);
	    return -1;
	}
    }
    if (sc__connect(fd, r->ai_addr, r->ai_addrlen) == 0) {
	c->fd = fd;
	return SC_CONN_DONE;
    }
    if (errno == EINPROGRESS || errno == EINTR) {
	c->fd = fd;
	return SC_CONN_INPROGRESS;
    }
    sc__err_note(c, SC_STAGE_CONNECT, errno);
    sc__close(fd);
    return -1;
}

/* From the current pair on, until one connects or is in progress. */
static int
Run(struct sc__connect *c, int first)
{
    while (NextPair(c, first)) {
	int r = Attempt(c);

	first = 0;
	if (r >= 0) {
	    return r;
	}
    }
    return SC_CONN_FAILED;
}

int
sc__connect_start(struct sc__connect *c, struct addrinfo *remote,
	struct addrinfo *local)
{
    c->remote = remote;
    c->local = local;
    c->r = c->l = NULL;
    c->fd = -1;
    c->stage = SC_STAGE_LOOKUP;
    /* With no usable pair at all (say, no local address of the remote's
     * family), this is what Tcl says. */
    sc__err_set(&c->err, EHOSTUNREACH);
    return Run(c, 1);
}

int
sc__connect_step(struct sc__connect *c)
{
    int soErr = 0;
    socklen_t len = sizeof(soErr);

    if (c->fd < 0) {
	return SC_CONN_FAILED;
    }
    if (sc__getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soErr, &len) < 0) {
	soErr = errno;
    }
    if (soErr == 0) {
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);

	/* Writable with no error may still be early (EINPROGRESS seen as
	 * done by some systems): a peer name says it is connected. */
	if (sc__getpeername(c->fd, (struct sockaddr *) &peer, &plen) == 0) {
	    return SC_CONN_DONE;
	}
	if (errno == ENOTCONN) {
	    return SC_CONN_INPROGRESS;
	}
	soErr = errno;
    }
    sc__err_note(c, SC_STAGE_CONNECT, soErr);
    sc__close(c->fd);
    c->fd = -1;
    return Run(c, 0);
}

void
sc__connect_free(struct sc__connect *c)
{
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
    c->remote = c->local = NULL;
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

int
sc__tcp_listen(const char *host, int port, int family, unsigned flags,
	int backlog, int *fds, int maxFds, struct sc__err *err)
{
    struct addrinfo *list;
    int n = -1, stage = SC_STAGE_LOOKUP, again = 0, tries;

    if (sc__resolve(host, port, family, 1, &list, err) < 0) {
	return -1;
    }
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
