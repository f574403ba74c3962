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
#include <stdint.h>
#include <netinet/in.h>
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
 * The connect state machine. Serial (delay 0, Tcl's way): every remote
 * address in turn, each with every local address of its family (or none),
 * the next only when the one before has failed. Racing (delay > 0, Happy
 * Eyeballs, RFC 8305): the same pairs, families interleaved with IPv6
 * first; a new attempt starts delay ms after the last one started (at
 * once when one fails) while the others go on; the first to connect wins
 * and the others are closed. Nonblocking throughout, driven by the
 * caller: after each call, watch every att[i].fd for writable and call
 * sc__connect_step when one is, or when sc__connect_wait_ms says so.
 *
 * The addresses may come in more than one piece (lookups running side
 * by side: every address, and IPv4 alone): sc__connect_init says how many
 * lookups are out, sc__connect_add gives each result; a pair that a piece
 * before brought already is dropped. While a lookup is out, an answer
 * without IPv6 that came first waits SC__RESOLUTION_DELAY ms for it (RFC
 * 8305's resolution delay) before its first attempt. (The caller may
 * decrement lookups itself for one it lets go.)
 */
enum { SC_CONN_DONE, SC_CONN_INPROGRESS, SC_CONN_FAILED };

#define SC__RACE_MAX 8		/* Attempts in flight at most. */
#define SC__RACE_DELAY 250	/* The default delay between attempts (ms). */
#define SC__RESOLUTION_DELAY 50	/* ms an IPv4 answer waits for IPv6. */

struct sc__pair {
    const struct addrinfo *r, *l;	/* Remote, and local (or NULL). */
};

struct sc__connect {
    struct addrinfo *remote, *local;	/* Owned lists (local may be NULL). */
    int ownAlloc;			/* remote is one sc__malloc block,
					 * not getaddrinfo's. */
    struct addrinfo *remote2, *local2;	/* sc__connect_add's second piece. */
    int fd;				/* Serial: the attempt's socket while
					 * in progress. Both: the connected
					 * socket after SC_CONN_DONE (the
					 * caller's: set it to -1). Else -1. */
    int stage;				/* Farthest stage reached. */
    struct sc__err err;			/* Its error. */
    union {
	struct sockaddr sa;
	struct sockaddr_in6 in6;	/* (Holds an IPv4 one, and a Unix
					 * client's unnamed one, too.) */
    } failName;				/* Local address of the farthest */
    socklen_t failNameLen;		/* failed connect() (0: none). */
    long delay;				/* ms between attempts; 0: serial.
					 * Set before the start. */
    int lookups;			/* Results still to come (add). */
    int started;			/* An attempt was ever made. */
    struct sc__pair *pairs;		/* Every pair, in the order tried. */
    int npairs, next;			/* How many; the next to try. */
    struct {
	int fd;
	int pair;
    } att[SC__RACE_MAX];		/* The attempts in flight. */
    int natt;
    uint64_t nextAt;			/* Monotonic ns: step then (0: no). */
    uint64_t lastStart;			/* When the newest attempt started. */
    uint64_t holdUntil;			/* The resolution delay's end, or 0. */
};

/* Takes ownership of the lists (every address known); starts the first
 * attempt. c->delay (and ownAlloc) may be set before, the rest is reset. */
int sc__connect_start(struct sc__connect *c, struct addrinfo *remote,
	struct addrinfo *local);
/* Addresses to come from `lookups` lookups: sc__connect_add each. */
void sc__connect_init(struct sc__connect *c, long delay, int lookups);
/* One lookup's result: the lists (taken), or remote NULL and lookupErr
 * (why it failed, kept as the error if nothing gets farther). Starts
 * attempts as the rules say. Returns as sc__connect_step. */
int sc__connect_add(struct sc__connect *c, struct addrinfo *remote,
	struct addrinfo *local, const struct sc__err *lookupErr);
/* An attempt's socket became writable, or the time sc__connect_wait_ms
 * gave has come: check the attempts, start the next if it is time.
 * Returns SC_CONN_DONE (c->fd is connected and now the caller's; every
 * other attempt is closed), SC_CONN_INPROGRESS (watch the att[] sockets,
 * call again after sc__connect_wait_ms) or SC_CONN_FAILED (c->err says
 * why, farthest attempt first). Serial, it checks c->fd without waiting. */
int sc__connect_step(struct sc__connect *c);
/* Milliseconds until sc__connect_step must be called even if no socket
 * becomes writable (rounded up), or -1 for never. */
long sc__connect_wait_ms(const struct sc__connect *c);
/*
 * One blocking wait of a connect in progress, for a caller with no event
 * loop (a blocking open, blocking I/O on a socket still connecting): until
 * an attempt's socket is writable, the step sc__connect_wait_ms says is
 * due, wakeFd (a lookup's eventfd, or -1) is readable (then drained), or
 * timeoutMs passes (-1: no limit; while resolving without wakeFd, 10 ms at
 * most, to look again). Returns 1 when sc__connect_step is due, 0 when
 * not (a wake, or the time is up: the caller checks its deadline and its
 * lookups), -1 with errno when poll failed (EINTR too).
 */
int sc__connect_wait(const struct sc__connect *c, int wakeFd, int resolving,
	int timeoutMs);
/* A one-address list for a Unix name, in one block (set ownAlloc). */
struct addrinfo *sc__unix_addrinfo(const struct sockaddr_un *sun,
	socklen_t len);
/* Give up: close every attempt's socket, free the lists. */
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
