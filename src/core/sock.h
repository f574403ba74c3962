/*
 * sock.h --
 *
 *	Sockets without a loop or buffers: addresses, the TCP connect state
 *	machine, listening on every address, accept, the asynchronous name
 *	lookup. This is the part of sockchan that the Tcl extension shares
 *	(on Tcl's own notifier), so it depends on nothing but the system.
 *
 *	Error convention: calls that can fail for a reason the user should
 *	read fill a struct sc__err: an errno value (or 0 for a name-lookup
 *	failure) and the text Tcl would put after "couldn't open socket: ".
 *	Internal; not installed.
 */

#ifndef SC_CORE_SOCK_H
#define SC_CORE_SOCK_H

#include <netdb.h>
#include <stddef.h>
#include <sys/socket.h>

struct sc__err {
    int code;			/* errno, or 0 with a lookup text. */
    char text[128];		/* "connection refused", "port number too high" */
};

/* How far an attempt got, for "report the attempt that got farthest". */
enum { SC_STAGE_LOOKUP, SC_STAGE_SOCKET, SC_STAGE_BIND, SC_STAGE_LISTEN,
       SC_STAGE_CONNECT };

/* Family restrictions. */
#define SC__FAMILY_ANY 0
#define SC__FAMILY_INET 4
#define SC__FAMILY_INET6 6

/*
 * Ports: a number 0..65535 or a service name (Tcl's TclSockGetPort).
 * Returns 0 and *port, or -1 with err: "expected integer but got "x""
 * for a name that is no service, "port number too high" past 65535.
 */
/*
 * An integer in Tcl_GetInt's syntax: white space around, a sign, then
 * decimal, 0x hex, 0o or 0 octal, or 0b binary, with at least one digit.
 * Returns 0 and *value; -1 when it is not an integer; -2 when it is one
 * too large for a long.
 */
int sc__parse_int(const char *text, long *value);
int sc__parse_port(const char *service, int *port, struct sc__err *err);

/*
 * Resolves host (NULL: the wildcard addresses when passive, else the
 * loopback) and port into a list of stream addresses, as Tcl's
 * TclCreateSocketAddress: numeric hosts never touch a resolver; a
 * passive (bind) list has its IPv4 entries first. Returns 0 with *res
 * (freeaddrinfo it), or -1 with err (a getaddrinfo text, code 0). This
 * may block on a name: call it off the loop for a name.
 */
int sc__resolve(const char *host, int port, int family, int passive,
	struct addrinfo **res, struct sc__err *err);
/*
 * A client's addresses: host and port (remote), and myaddr and myport
 * (local; *local is NULL when neither is given). Returns 0, or -1 with err
 * and nothing to free. May block on a name, as sc__resolve.
 */
int sc__resolve_pair(const char *host, int port, const char *myaddr,
	int myport, int family, struct addrinfo **remote,
	struct addrinfo **local, struct sc__err *err);
/* True when host needs no resolver (NULL, or a numeric address). */
int sc__host_is_numeric(const char *host);

/* The numeric host and port of an address. */
void sc__addr_numeric(const struct sockaddr *sa, socklen_t len, char *host,
	size_t hostSize, int *port);

/*
 * What -sockname and -peername say of an address, as Tcl says it: the
 * numeric address, a host name and the port. The name comes from a
 * reverse lookup only when reverse is set, never for a wildcard address,
 * and is the address again when there is none. A Unix address has one
 * part, its name (the path, or "@name"), in addr. Returns how many parts
 * there are: 3, or 1.
 */
struct sc__names {
    char addr[NI_MAXHOST];
    char host[NI_MAXHOST];
    char port[16];
};
int sc__addr_names(const struct sockaddr *sa, socklen_t len, int reverse,
	struct sc__names *names);

/*
 * The connect state machine: every remote address in turn, each with
 * every local address of its family (or none), as Tcl does. One step per
 * call; nonblocking throughout.
 */
enum { SC_CONN_DONE, SC_CONN_INPROGRESS, SC_CONN_FAILED };

struct sc__connect {
    struct addrinfo *remote, *local;	/* Owned lists (local may be NULL). */
    int ownAlloc;			/* remote is one sc__malloc block,
					 * not getaddrinfo's. */
    struct addrinfo *r, *l;		/* The current pair. */
    int fd;				/* The attempt's socket, or -1. */
    int stage;				/* Farthest stage reached. */
    struct sc__err err;			/* Its error. */
};

/* Takes ownership of the lists; starts the first attempt. */
int sc__connect_start(struct sc__connect *c, struct addrinfo *remote,
	struct addrinfo *local);
/* The attempt's socket became writable: check it, or go on to the next.
 * Returns SC_CONN_DONE (c->fd is connected and now the caller's),
 * SC_CONN_INPROGRESS (wait for c->fd to be writable) or SC_CONN_FAILED
 * (c->err says why, farthest attempt first). */
int sc__connect_step(struct sc__connect *c);
/* A one-address list for a Unix name, in one block (set ownAlloc). */
struct addrinfo *sc__unix_addrinfo(const struct sockaddr_un *sun,
	socklen_t len);
/* Give up: close the attempt's socket, free the lists. */
void sc__connect_free(struct sc__connect *c);
/* Record err at stage if it got at least as far as anything before. */
void sc__err_note(struct sc__connect *c, int stage, int code);

/*
 * Listen on every address host resolves to (NULL: the IPv4 and IPv6
 * wildcards), IPv4 first, IPV6_V6ONLY on IPv6 sockets, all on the same
 * port when port is 0 (retrying when the second family's bind meets
 * EADDRINUSE). flags: SC__LISTEN_REUSEADDR, SC__LISTEN_REUSEPORT.
 * backlog < 0 means the system's largest. Returns how many descriptors
 * went into fds (nonblocking, close-on-exec), or -1 with err from the
 * attempt that got farthest.
 */
#define SC__LISTEN_REUSEADDR (1 << 0)
#define SC__LISTEN_REUSEPORT (1 << 1)
int sc__tcp_listen(const char *host, int port, int family, unsigned flags,
	int backlog, int *fds, int maxFds, struct sc__err *err);

/*
 * Unix-domain stream sockets. A name is a path, or an abstract name (Linux)
 * when it starts with '@' or, given with its length, with a NUL byte.
 */
#include <sys/un.h>
#include <sys/types.h>

/* Fill *sun from name[0..len) ("@x" or "\0x": abstract). Returns the
 * address length, or -1 with err ("path too long: ..."). */
int sc__unix_address(const char *name, size_t len, struct sockaddr_un *sun,
	socklen_t *sunLen, struct sc__err *err);
/* -peercred: the peer's "pid N uid N gid N" (SO_PEERCRED) in buf; 0,
 * or -1 with errno. */
int sc__unix_peercred(int fd, char *buf, size_t size);
/* The display form of an address: the path, or "@name" with a NUL or other
 * control byte as \xHH and a backslash as \\ (4 * 107 + 2 bytes suffice). */
void sc__unix_name(const struct sockaddr_un *sun, socklen_t len, char *buf,
	size_t size);

/*
 * Listen on a Unix name, never destroying what is there: a socket nobody
 * answers on (stale) is removed; a live one is "address already in use",
 * one we may not connect to "permission denied"; anything else an error
 * naming what it is, left untouched. The socket is bound and made to listen
 * in a private directory, with exactly mode (if not 0), and then renamed
 * into place without replacing anything: of processes racing for one path
 * exactly one wins, and nothing waits but the removal of a stale socket
 * (1 s at most). On success *fd is the nonblocking, close-on-exec listener
 * and *dev, *ino the file placed (0 for an abstract name), for
 * sc__unix_unlink at close. The kernel's name for the socket (getsockname)
 * is its temporary one: callers report the path themselves.
 */
int sc__unix_listen(const char *name, size_t len, int mode, int backlog,
	int *fd, dev_t *dev, ino_t *ino, struct sc__err *err);
/* Remove path if it is still the socket file dev/ino (not a new file
 * someone put there since). */
void sc__unix_unlink(const char *path, dev_t dev, ino_t ino);

/* Fill err from an errno value (Tcl's words). */
void sc__err_set(struct sc__err *err, int code);

/*
 * Asynchronous lookup: a small pool of worker threads runs getaddrinfo
 * for the remote (and local) addresses. done(clientData, lookup) is
 * called on a worker thread when the result is in: the caller hops to
 * its own thread from there (sc_loop_post, Tcl_ThreadQueueEvent) and
 * then owns the lookup (sc__lookup_free).
 */
struct sc__lookup {
    char *host, *myaddr;
    int port, myport, family;
    struct addrinfo *remote, *local;	/* Results (owned). */
    int failed;
    struct sc__err err;
    void (*done)(void *clientData, struct sc__lookup *lookup);
    void *clientData;
    struct sc__lookup *next;		/* The pool's queue. */
};

/* Queue a lookup; 0, or -1 with errno (ENOMEM, or EAGAIN: no thread). */
int sc__lookup_start(struct sc__lookup *lookup);
void sc__lookup_free(struct sc__lookup *lookup);

#endif /* SC_CORE_SOCK_H */
