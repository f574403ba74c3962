/*
 * sock.c --
 *
 *	The socket driver: TCP clients (synchronous and asynchronous, with a
 *	connect timeout and a name lookup off the loop), accepted
 *	connections, and servers that accept on every address they listen
 *	on. The socket logic is in src/core (tcp.c, addr.c, resolve.c); this
 *	file puts it on the loop and under a channel.
 */

#include "chan/chan.h"
#include "core/sock.h"
#include "core/sys.h"
#include "loop/loop.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <time.h>

enum { KIND_CLIENT, KIND_ACCEPTED, KIND_SERVER };

enum {
    SF_RESOLVING = 1 << 0,	/* The name lookup is running. */
    SF_CONNECTING = 1 << 1,	/* connect() is in progress. */
    SF_FAILED = 1 << 2,		/* The asynchronous connect failed. */
    SF_REPORTED = 1 << 3,	/* -error has told of the failure. */
    SF_REVERSE = 1 << 4,	/* -reversedns: names in -peername. */
    SF_PAUSED = 1 << 5,		/* Server: accepting paused (EMFILE). */
    SF_UNIX = 1 << 6,		/* A Unix-domain socket. */
    SF_SHUTRD = 1 << 7,		/* Half-closes asked for while connecting, */
    SF_SHUTWR = 1 << 8,		/* applied once connected. */
    SF_RESET = 1 << 9,		/* A read met a reset (end of file to the
				 * channel); -error tells, once. */
};

#define MAX_LISTEN 8
#define ACCEPTS_PER_EVENT 64

/*
 * A lookup and what the loop's thread needs of it. The worker reads only
 * the lookup and, under lookupLock, done, detached and wakeFd; owner and
 * held are the loop thread's alone. While the owner wants the result the
 * lookup holds the loop (so that sc_vwait does not end); an owner that
 * gives up first (a close, a timeout, a connection already won) detaches
 * it: the hold goes at once and the worker frees the lookup when
 * getaddrinfo returns, so nobody waits for a lookup no one wants.
 */
struct sockLookup {
    struct sc__lookup l;	/* First: sc__lookup_free frees it all. */
    sc_loop *loop;
    struct sc__mailbox *mailbox;	/* How the worker reaches the loop. */
    struct sockState *owner;
    int slot;			/* Its place in connectExt.lookup[]. */
    int held;			/* It holds the loop. */
    int done;			/* lookupLock: the result is in (and
				 * posted, or signalled on wakeFd). */
    int posted;			/* lookupLock: posted to the loop
				 * (LookupDone frees it). */
    int detached;		/* lookupLock: the worker frees it. */
    int wakeFd;			/* lookupLock: an eventfd to signal when
				 * done, for a blocking wait that takes
				 * the result itself (no post), or -1. */
};

static pthread_mutex_t lookupLock = PTHREAD_MUTEX_INITIALIZER;

struct connectExt {
    struct sc__connect c;
    struct sockLookup *lookup[2];	/* While resolving: one, or one per
					 * family (Happy Eyeballs). */
    sc_timer timeout;
    sc_timer failTimer;		/* Fires events after a failure. */
    sc_timer raceTimer;		/* The machine's next step (its delays). */
    uint64_t deadline;		/* Monotonic ns; 0: none. */
    int family;
    int watch[SC__RACE_MAX];	/* The attempts' sockets being watched. */
    int nwatch;
    struct sc__err failure;
    struct sockaddr_storage failName;	/* -sockname after a failure. */
    socklen_t failNameLen;
    int wakeFd;			/* A blocking wait's eventfd, or -1. */
};

struct serverExt {
    char *path;			/* Unix: the file made, removed at close. */
    dev_t dev;
    ino_t ino;
    int n;
    int fds[MAX_LISTEN];
    sc_accept_proc *proc;
    void *clientData;
    sc_timer resume;
    long backoff;		/* ms */
};

/*
 * A Unix path as the channels report it: a listener's socket is bound out
 * of sight and renamed into place (src/core/unix.c), so the kernel's name
 * for it (getsockname, a client's getpeername) is the temporary one. A
 * server and the connections it accepted share the path it listens on
 * (their -sockname); a client holds the path it connected to (its
 * -peername).
 */
struct unixPath {
    atomic_uint refs;
    socklen_t len;
    struct sockaddr_un sun;
};

struct sockState {
    sc_chan *chan;
    struct unixPath *upath;	/* Unix: see above; NULL for an abstract
				 * name, whose kernel name is right. */
    int fd;			/* The connected socket, or -1. */
    uint8_t kind;
    uint16_t flags;
    uint8_t want;		/* The channel's watch mask while connecting. */
    uint8_t watched;		/* The mask registered for fd. */
    void *ext;			/* struct connectExt or serverExt, or NULL. */
};

static const struct sc__chan_type sockType, unixType;

/* A reference to a new unixPath for the path sun names (NULL: abstract,
 * or no memory, and then the kernel's name is reported). */
static struct unixPath *
NewUnixPath(const struct sockaddr_un *sun, socklen_t len)
{
    struct unixPath *u;

    if (sun->sun_path[0] == '\0' || (u = sc__malloc(sizeof(*u))) == NULL) {
	return NULL;
    }
    atomic_init(&u->refs, 1);
    u->len = len;
    u->sun = *sun;
    return u;
}

static struct unixPath *
HoldUnixPath(struct unixPath *u)
{
    if (u != NULL) {
	atomic_fetch_add(&u->refs, 1);
    }
    return u;
}

static void
DropUnixPath(struct unixPath *u)
{
    if (u != NULL && atomic_fetch_sub(&u->refs, 1) == 1) {
	sc__free(u);
    }
}

_Static_assert(_Alignof(struct sockState) <= SC__INST_ALIGN,
	"a socket's state lives in its channel's allocation");

/*
 *----------------------------------------------------------------------
 *
 * Connecting --
 *
 *----------------------------------------------------------------------
 */

static void SockReady(void *clientData, int mask);
static void ConnectReady(void *clientData, int mask);
static void Connected(struct sockState *s);
static void ConnectFailed(struct sockState *s);

/* Watch fd for mask with proc. Returns 0, or an errno value (and
 * watches nothing) when the loop can't. */
static int
Register(struct sockState *s, int mask, sc_file_proc *proc)
{
    sc_loop *loop = s->chan->loop;
    int err = 0;

    if (mask != 0) {
	if (sc_create_file_handler(loop, s->fd, mask, proc, s) == 0) {
	    s->watched = (uint8_t) mask;
	    return 0;
	}
	err = errno ? errno : EIO;
    }
    if (s->watched) {
	sc_delete_file_handler(loop, s->fd);
	s->watched = 0;
    }
    return err;
}

/*
 * Stop watching the attempts' sockets. Done before every step of the
 * machine, while they are still open: a step may close one and open the
 * next, which may get the same number (and epoll has forgotten the old).
 */
static void
Unwatch(struct sockState *s)
{
    struct connectExt *ce = s->ext;

    while (ce->nwatch > 0) {
	sc_delete_file_handler(s->chan->loop, ce->watch[--ce->nwatch]);
    }
}

/* Watch every attempt's socket for writable. 0, or an errno value. */
static int
Rewatch(struct sockState *s)
{
    struct connectExt *ce = s->ext;
    int i;

    for (i = 0; i < ce->c.natt; i++) {
	if (sc_create_file_handler(s->chan->loop, ce->c.att[i].fd,
		SC_WRITABLE, ConnectReady, s) < 0) {
	    int err = errno ? errno : EIO;

	    Unwatch(s);
	    return err;
	}
	ce->watch[ce->nwatch++] = ce->c.att[i].fd;
    }
    return 0;
}

/*
 * The owner no longer wants lookup i: see struct sockLookup. The lookup
 * must not be touched after the lock is let go when the worker will free
 * it.
 */
static void LookupDone(void *clientData);

static void
Detach(struct sockState *s, int i)
{
    struct connectExt *ce = s->ext;
    struct sockLookup *sl = ce->lookup[i];
    sc_loop *loop;
    int done, posted, held;

    if (sl == NULL) {
	return;
    }
    ce->lookup[i] = NULL;
    sl->owner = NULL;
    loop = sl->loop;
    held = sl->held;
    pthread_mutex_lock(&lookupLock);
    done = sl->done;
    posted = sl->posted;
    sl->detached = !done;
    sl->wakeFd = -1;
    pthread_mutex_unlock(&lookupLock);
    if (posted && !sc__loop_unpost(loop, LookupDone, sl)) {
	return;			/* It runs in the dispatch under way:
				 * LookupDone releases and frees. */
    }
    /* Not posted (the worker frees it if not done), or taken back
     * before it ran. */
    if (held) {
	sc_loop_release(loop);
    }
    if (done) {
	/* In, and nobody else will free it: ours. */
	sc__mailbox_release(sl->mailbox);
	sc__lookup_free(&sl->l);
    }
}

static void
DetachAll(struct sockState *s)
{
    Detach(s, 0);
    Detach(s, 1);
    s->flags &= (uint16_t) ~SF_RESOLVING;
}

static void
FreeConnect(struct sockState *s)
{
    struct connectExt *ce = s->ext;

    if (ce == NULL) {
	return;
    }
    Unwatch(s);
    if (ce->timeout) {
	sc_delete_timer(s->chan->loop, ce->timeout);
    }
    if (ce->failTimer) {
	sc_delete_timer(s->chan->loop, ce->failTimer);
    }
    if (ce->raceTimer) {
	sc_delete_timer(s->chan->loop, ce->raceTimer);
    }
    DetachAll(s);
    if (ce->c.fd >= 0 && ce->c.fd == s->fd) {
	ce->c.fd = -1;		/* Ours now, or closed by the caller. */
    }
    sc__connect_free(&ce->c);
    sc__free(ce);
    s->ext = NULL;
}

static void Step(struct sockState *s);

static void
RaceTimer(void *clientData)
{
    struct sockState *s = clientData;

    ((struct connectExt *) s->ext)->raceTimer = 0;
    Step(s);
}

/* Act on a result of the state machine. */
static void
Advance(struct sockState *s, int r)
{
    struct connectExt *ce = s->ext;

    if (ce->raceTimer) {
	sc_delete_timer(s->chan->loop, ce->raceTimer);
	ce->raceTimer = 0;
    }
    if (r == SC_CONN_INPROGRESS) {
	long ms = sc__connect_wait_ms(&ce->c);
	int err;

	s->flags |= SF_CONNECTING;
	err = Rewatch(s);
	if (err == 0 && ms >= 0 && (ce->raceTimer = sc_create_timer(
		s->chan->loop, ms, RaceTimer, s)) == 0) {
	    err = errno ? errno : ENOMEM;
	    Unwatch(s);
	}
	if (err != 0) {
	    /* No event would ever come: the connect fails (and
	     * ConnectFailed closes the attempts' sockets). */
	    sc__err_set(&ce->failure, err);
	    ConnectFailed(s);
	}
	return;
    }
    Unwatch(s);
    if (r == SC_CONN_DONE) {
	Connected(s);
    } else {
	ce->failure = ce->c.err;
	ConnectFailed(s);
    }
}

/* A step of the machine: an attempt is writable, or a delay is over. */
static void
Step(struct sockState *s)
{
    struct connectExt *ce = s->ext;

    Unwatch(s);
    Advance(s, sc__connect_step(&ce->c));
}

static void
ConnectReady(void *clientData, int mask)
{
    (void) mask;
    Step(clientData);
}

/* Report the outcome through the channel: events as the channel wants. */
static void
FailTimer(void *clientData)
{
    struct sockState *s = clientData;
    struct connectExt *ce = s->ext;

    ce->failTimer = 0;
    if (s->want) {
	sc_chan *chan = s->chan;
	int closed;

	/* A failed socket stays "ready", as in Tcl, while the channel
	 * wants events: fire again from the next pass. */
	sc__chan_preserve(chan);
	sc__chan_notify(chan, s->want & (SC_READABLE | SC_WRITABLE));
	closed = (chan->flags & CF_CLOSED) != 0;
	sc__chan_release(chan);
	if (!closed && s->want && s->ext != NULL
		&& ((struct connectExt *) s->ext)->failTimer == 0) {
	    ((struct connectExt *) s->ext)->failTimer
		    = sc_create_timer(chan->loop, 0, FailTimer, s);
	}
    }
}

static void
ConnectFailed(struct sockState *s)
{
    struct connectExt *ce = s->ext;

    s->flags &= (uint16_t) ~(SF_RESOLVING | SF_CONNECTING);
    s->flags |= SF_FAILED;
    s->fd = -1;
    /* Lookups still out (timed out while resolving): their results,
     * when they come, are dropped. */
    DetachAll(s);
    Unwatch(s);
    if (ce->c.failNameLen > 0) {
	memcpy(&ce->failName, &ce->c.failName, ce->c.failNameLen);
	ce->failNameLen = ce->c.failNameLen;
    }
    sc__connect_free(&ce->c);
    if (ce->timeout) {
	sc_delete_timer(s->chan->loop, ce->timeout);
	ce->timeout = 0;
    }
    if (ce->raceTimer) {
	sc_delete_timer(s->chan->loop, ce->raceTimer);
	ce->raceTimer = 0;
    }
    if (s->want && !ce->failTimer) {
	ce->failTimer = sc_create_timer(s->chan->loop, 0, FailTimer, s);
    }
}

static void
Connected(struct sockState *s)
{
    struct connectExt *ce = s->ext;
    int blocking = !(s->chan->flags & CF_NONBLOCK);

    s->fd = ce->c.fd;
    ce->c.fd = -1;
    s->flags &= (uint16_t) ~(SF_RESOLVING | SF_CONNECTING);
    FreeConnect(s);		/* The losers closed, lookups let go. */
    /* The channel's mode: the attempt's socket was nonblocking. A
     * failure here leaves it nonblocking, which reads and writes then
     * report as would-block: still correct, never a hang. */
    if (blocking) {
	(void) sc__set_nonblocking(s->fd, 0);
    }
    if (s->flags & SF_SHUTWR) {
	(void) sc__shutdown(s->fd, SHUT_WR);
    }
    if (s->flags & SF_SHUTRD) {
	(void) sc__shutdown(s->fd, SHUT_RD);
    }
    s->watched = 0;
    if (s->want) {
	int err = Register(s, s->want, SockReady);

	if (err != 0) {
	    sc__chan_watch_failed(s->chan, err);
	}
    }
}

/* The connect failed outside the state machine: ConnectFailed closes
 * the attempts' sockets. */
static void
Fail(struct sockState *s, int err)
{
    struct connectExt *ce = s->ext;

    sc__err_set(&ce->failure, err);
    ConnectFailed(s);
}

static void
TimedOut(void *clientData)
{
    struct sockState *s = clientData;
    struct connectExt *ce = s->ext;

    if (ce->timeout) {
	/* Called by WaitConnected, not the timer: the timer goes too. */
	sc_delete_timer(s->chan->loop, ce->timeout);
	ce->timeout = 0;
    }
    Fail(s, ETIMEDOUT);
}

/* Start connecting with the addresses of a lookup that needed none (the
 * lists are taken). */
static void
StartConnect(struct sockState *s, struct addrinfo *remote,
	struct addrinfo *local)
{
    struct connectExt *ce = s->ext;

    s->flags &= (uint16_t) ~SF_RESOLVING;
    Advance(s, sc__connect_start(&ce->c, remote, local));
}

/* On the loop's thread: lookup sl's result goes to its owner, s. */
static void
Deliver(struct sockState *s, struct sockLookup *sl)
{
    struct connectExt *ce = s->ext;
    int r;

    ce->lookup[sl->slot] = NULL;
    sl->owner = NULL;
    if (sl->slot == 0 && !sl->l.failed && ce->lookup[1] != NULL) {
	/* Every address is in: the IPv4-only lookup has nothing to add
	 * (see sc_open_tcp_client_ex). */
	Detach(s, 1);
	ce->c.lookups--;
    }
    if (ce->lookup[0] == NULL && ce->lookup[1] == NULL) {
	s->flags &= (uint16_t) ~SF_RESOLVING;
    }
    Unwatch(s);
    if (sl->l.failed) {
	r = sc__connect_add(&ce->c, NULL, NULL, &sl->l.err);
    } else {
	r = sc__connect_add(&ce->c, sl->l.remote, sl->l.local, NULL);
	sl->l.remote = sl->l.local = NULL;
    }
    Advance(s, r);
}

/* On the loop's thread: the worker's lookup is in. */
static void
LookupDone(void *clientData)
{
    struct sockLookup *sl = clientData;

    if (sl->held) {
	sc_loop_release(sl->loop);
    }
    sc__mailbox_release(sl->mailbox);
    if (sl->owner != NULL) {
	Deliver(sl->owner, sl);
    }
    sc__lookup_free(&sl->l);
}

/* On a worker thread: hand the result to the loop's thread, or free it
 * if nobody wants it any more. */
static void
LookupPosted(void *clientData, struct sc__lookup *l)
{
    struct sockLookup *sl = clientData;

    (void) l;
    for (;;) {
	int r;

	/*
	 * Under the lock, so that the owner sees it either not done (and
	 * may detach it: then it is freed here) or done and, unless a
	 * blocking wait takes it, already posted (and may take the post
	 * back: sc__loop_unpost).
	 */
	pthread_mutex_lock(&lookupLock);
	if (sl->detached) {
	    pthread_mutex_unlock(&lookupLock);
	    break;
	}
	if (sl->wakeFd >= 0) {
	    uint64_t one = 1;

	    /* A blocking wait takes it from here (TakeLookups). */
	    sl->done = 1;
	    (void) sc__write(sl->wakeFd, &one, sizeof(one));
	    pthread_mutex_unlock(&lookupLock);
	    return;
	}
	/* Marked before: once posted, LookupDone may free it at once. */
	sl->done = sl->posted = 1;
	r = sc__mailbox_post(sl->mailbox, LookupDone, sl);
	if (r != 0) {
	    sl->done = sl->posted = 0;
	}
	pthread_mutex_unlock(&lookupLock);
	if (r == 0) {
	    return;
	}
	if (r > 0) {
	    break;		/* The loop is gone: nobody will take it. */
	}
	{
	    /* No memory for the post: try again, or the hold is lost. */
	    struct timespec ms = {0, 1000000};

	    nanosleep(&ms, NULL);
	}
    }
    sc__mailbox_release(sl->mailbox);
    sc__lookup_free(&sl->l);
}

/*
 * A blocking wait needs the lookups now: take each result that is in,
 * and have the others signal *efd (made here) when they are.
 */
static void
TakeLookups(struct sockState *s, int efd)
{
    struct connectExt *ce = s->ext;
    int i;

    for (i = 0; i < 2 && s->ext == ce; i++) {
	struct sockLookup *sl = ce->lookup[i];
	int done, posted;

	if (sl == NULL) {
	    continue;
	}
	pthread_mutex_lock(&lookupLock);
	done = sl->done;
	posted = sl->posted;
	if (!done) {
	    sl->wakeFd = efd;
	}
	pthread_mutex_unlock(&lookupLock);
	if (!done) {
	    continue;
	}
	Deliver(s, sl);
	if (!posted || sc__loop_unpost(sl->loop, LookupDone, sl)) {
	    /* Not posted, or taken back: ours to let go. (One that runs
	     * in the dispatch under way finds no owner, releases and
	     * frees.) */
	    if (sl->held) {
		sc_loop_release(sl->loop);
	    }
	    sc__mailbox_release(sl->mailbox);
	    sc__lookup_free(&sl->l);
	}
	if (s->ext != ce || !(s->flags & (SF_RESOLVING | SF_CONNECTING))) {
	    break;
	}
    }
}

/* Wait (poll, not the loop) until connected or failed, within the
 * deadline: for blocking I/O on a channel still connecting, and for a
 * synchronous open. The lookups too are waited for with the deadline. */
static int
WaitConnected(struct sockState *s)
{
    struct connectExt *ce = s->ext;
    int efd, i;

    if (!(s->flags & (SF_RESOLVING | SF_CONNECTING))) {
	return (s->flags & SF_FAILED) ? -1 : 0;
    }
    efd = ce->wakeFd;
    if (efd < 0 && (s->flags & SF_RESOLVING)) {
	efd = sc__eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    }
    ce->wakeFd = -1;
    for (;;) {
	int timeout = -1, due;

	if (s->flags & SF_RESOLVING) {
	    TakeLookups(s, efd);
	}
	if (!(s->flags & (SF_RESOLVING | SF_CONNECTING))) {
	    break;
	}
	if (ce->deadline) {
	    uint64_t now = sc__now_ns();

	    if (now >= ce->deadline) {
		TimedOut(s);
		break;
	    }
	    timeout = (int) ((ce->deadline - now + 999999) / 1000000);
	}
	due = sc__connect_wait(&ce->c, efd, (s->flags & SF_RESOLVING) != 0,
		timeout);
	if (due < 0 && errno != EINTR) {
	    Fail(s, errno);
	    break;
	}
	if ((s->flags & SF_CONNECTING) && due > 0) {
	    Step(s);
	}
    }
    if (efd >= 0) {
	/* Lookups still out (detached by a failure) no longer know it. */
	for (i = 0; i < 2 && s->ext == ce; i++) {
	    if (ce->lookup[i] != NULL) {
		pthread_mutex_lock(&lookupLock);
		ce->lookup[i]->wakeFd = -1;
		pthread_mutex_unlock(&lookupLock);
	    }
	}
	sc__close(efd);
    }
    return (s->flags & SF_FAILED) ? -1 : 0;
}

/*
 *----------------------------------------------------------------------
 *
 * The driver --
 *
 *----------------------------------------------------------------------
 */

/*
 * As Tcl does, a query of -error or -connecting, or a nonblocking read or
 * write, takes one step of a connect in progress without waiting.
 */
static void
Poke(struct sockState *s)
{
    struct connectExt *ce = s->ext;
    struct pollfd pfd[SC__RACE_MAX];
    int i;

    if (!(s->flags & SF_CONNECTING) || ce == NULL) {
	return;
    }
    for (i = 0; i < ce->c.natt; i++) {
	pfd[i].fd = ce->c.att[i].fd;
	pfd[i].events = POLLOUT;
	pfd[i].revents = 0;
    }
    if ((ce->c.natt > 0 && sc__poll(pfd, (nfds_t) ce->c.natt, 0) > 0)
	    || sc__connect_wait_ms(&ce->c) == 0) {
	Step(s);
    }
}

/* Before I/O on a socket not (yet) connected: connect first (blocking),
 * or say it would block. */
static int
NotReady(struct sockState *s, int *errPtr)
{
    Poke(s);
    if (s->flags & SF_FAILED) {
	*errPtr = ENOTCONN;
	return -1;
    }
    if (s->flags & (SF_RESOLVING | SF_CONNECTING)) {
	if (s->chan->flags & CF_NONBLOCK) {
	    *errPtr = EAGAIN;
	    return -1;
	}
	if (WaitConnected(s) < 0) {
	    *errPtr = ENOTCONN;
	    return -1;
	}
    }
    if (s->fd < 0) {
	*errPtr = ENOTCONN;
	return -1;
    }
    return 0;
}

/* Before I/O: at once when connected, the common case. */
static inline int
Ready(struct sockState *s, int *errPtr)
{
    if (!(s->flags & (SF_FAILED | SF_RESOLVING | SF_CONNECTING))
	    && s->fd >= 0) {
	return 0;
    }
    return NotReady(s, errPtr);
}

static long
SockInput(void *inst, char *buf, size_t n, int *errPtr)
{
    struct sockState *s = inst;
    ssize_t r;

    if (Ready(s, errPtr) < 0) {
	return -1;
    }
    r = sc__recv(s->fd, buf, n, 0);
    if (r < 0) {
	if (errno == ECONNRESET) {
	    /* A reset is the end of the stream, as in Tcl; -error can
	     * still tell it from an orderly close. */
	    s->flags |= SF_RESET;
	    return 0;
	}
	*errPtr = errno;
	return -1;
    }
    return (long) r;
}

static long
SockOutput(void *inst, const char *buf, size_t n, int *errPtr)
{
    struct sockState *s = inst;
    ssize_t r;

    if (Ready(s, errPtr) < 0) {
	return -1;
    }
    r = sc__send(s->fd, buf, n, MSG_NOSIGNAL);
    if (r < 0) {
	*errPtr = errno;
	return -1;
    }
    return (long) r;
}

static void CloseServer(struct sockState *s);

static int
SockClose(void *inst, int direction)
{
    struct sockState *s = inst;
    int err = 0;

    if (direction != 0) {
	if (s->flags & (SF_RESOLVING | SF_CONNECTING)) {
	    /* shutdown() now would abort the connect: later. */
	    s->flags |= direction == SC_READABLE ? SF_SHUTRD : SF_SHUTWR;
	    return 0;
	}
	if (s->fd < 0) {
	    return ENOTCONN;
	}
	if (sc__shutdown(s->fd, direction == SC_READABLE ? SHUT_RD
		: SHUT_WR) < 0) {
	    err = errno;
	}
	return err;
    }
    if (s->kind == KIND_SERVER) {
	CloseServer(s);
    } else {
	FreeConnect(s);
    }
    DropUnixPath(s->upath);
    s->upath = NULL;
    if (s->fd >= 0) {
	if (s->watched) {
	    sc_delete_file_handler(s->chan->loop, s->fd);
	}
	if (sc__close(s->fd) < 0) {
	    err = errno;
	}
	s->fd = -1;
    }
    return err;			/* s is freed with the channel. */
}

static void
SockReady(void *clientData, int mask)
{
    struct sockState *s = clientData;

    sc__chan_notify(s->chan, mask);
}

static int
SockWatch(void *inst, int mask)
{
    struct sockState *s = inst;

    s->want = (uint8_t) mask;
    if (s->kind == KIND_SERVER) {
	return 0;		/* The listeners are watched for accept. */
    }
    if (s->flags & (SF_RESOLVING | SF_CONNECTING)) {
	return 0;		/* Applied when connected. */
    }
    if (s->flags & SF_FAILED) {
	struct connectExt *ce = s->ext;

	if (mask && !ce->failTimer) {
	    ce->failTimer = sc_create_timer(s->chan->loop, 0, FailTimer, s);
	} else if (!mask && ce->failTimer) {
	    sc_delete_timer(s->chan->loop, ce->failTimer);
	    ce->failTimer = 0;
	}
	return 0;
    }
    return s->fd >= 0 ? Register(s, mask, SockReady) : 0;
}

static int
SockBlockMode(void *inst, int blocking)
{
    struct sockState *s = inst;

    if (s->fd < 0 || (s->flags & (SF_RESOLVING | SF_CONNECTING))) {
	return 0;		/* Applied when connected. */
    }
    return sc__set_nonblocking(s->fd, !blocking) < 0 ? errno : 0;
}

static int
SockHandle(void *inst, int direction)
{
    struct sockState *s = inst;

    if (s->kind == KIND_SERVER) {
	return ((struct serverExt *) s->ext)->fds[0];
    }
    (void) direction;
    return (s->flags & (SF_RESOLVING | SF_CONNECTING)) ? -1 : s->fd;
}

static void
SockName(void *inst, char *buf, size_t size)
{
    snprintf(buf, size, "sock%lx", (unsigned long) (uintptr_t) inst);
}

/* Append an address's names (sc__addr_names) as list elements. */
static int
AppendName(struct sc__str *out, const struct sockaddr *sa, socklen_t len,
	int reverse)
{
    struct sc__names n;
    int parts = sc__addr_names(sa, len, reverse, &n);

    if (parts == 1) {
	return sc__str_append(out, n.addr, strlen(n.addr));
    }
    return sc__str_element(out, n.addr) < 0 || sc__str_element(out, n.host) < 0
	    || sc__str_element(out, n.port) < 0 ? -1 : 0;
}

/*
 * -sockname or -peername: one triple for a connection, one per listening
 * socket for a server (a flat list, IPv4 first), "" while connecting.
 */
static int
NameOption(struct sockState *s, int peer, struct sc__str *out, int asElement)
{
    struct sc__str v = {NULL, 0, 0};
    int r = 0, i;

    if (s->kind == KIND_SERVER) {
	struct serverExt *se = s->ext;

	if (peer) {
	    sc__loop_error(s->chan->loop, ENOTCONN, "can't get peername");
	    return -1;
	}
	int found = 0, err = 0;

	if (s->upath != NULL) {
	    r = AppendName(&v, (struct sockaddr *) &s->upath->sun,
		    s->upath->len, 0);
	    return sc__str_put_value(out, &v, asElement, r);
	}

	/* As Tcl: the listeners that answer; an error if none does. */
	for (i = 0; i < se->n && r == 0; i++) {
	    struct sockaddr_storage ss;
	    socklen_t len = sizeof(ss);

	    if (sc__getsockname(se->fds[i], (struct sockaddr *) &ss,
		    &len) == 0) {
		r = AppendName(&v, (struct sockaddr *) &ss, len,
			s->flags & SF_REVERSE);
		found++;
	    } else {
		err = errno;
	    }
	}
	if (r == 0 && found == 0 && se->n > 0) {
	    sc__str_free(&v);
	    sc__loop_error(s->chan->loop, err, "can't get sockname");
	    return -1;
	}
    } else if (s->upath != NULL && s->fd >= 0
	    && !(s->flags & (SF_RESOLVING | SF_CONNECTING))
	    && (peer ? s->kind == KIND_CLIENT : s->kind == KIND_ACCEPTED)) {
	r = AppendName(&v, (struct sockaddr *) &s->upath->sun, s->upath->len,
		0);
    } else if (s->fd >= 0 && !(s->flags & (SF_RESOLVING | SF_CONNECTING))) {
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int got = peer ? sc__getpeername(s->fd, (struct sockaddr *) &ss, &len)
		: sc__getsockname(s->fd, (struct sockaddr *) &ss, &len);

	if (got < 0) {
	    sc__loop_error(s->chan->loop, errno, "can't get %s",
		    peer ? "peername" : "sockname");
	    return -1;
	}
	r = AppendName(&v, (struct sockaddr *) &ss, len,
		s->flags & SF_REVERSE);
    } else if (!peer && (s->flags & SF_FAILED) && s->ext != NULL
	    && ((struct connectExt *) s->ext)->failNameLen > 0) {
	/* As Tcl: after a failed connect, the local address the attempt
	 * (the one whose error -error gives) used. */
	struct connectExt *ce = s->ext;

	r = AppendName(&v, (struct sockaddr *) &ce->failName,
		ce->failNameLen, s->flags & SF_REVERSE);
    }
    return sc__str_put_value(out, &v, asElement, r);
}

static int
IntOption(struct sockState *s, int level, int name, struct sc__str *out)
{
    int v = 0;
    socklen_t len = sizeof(v);

    if (s->fd >= 0 && sc__getsockopt(s->fd, level, name, &v, &len) < 0) {
	v = 0;
    }
    return sc__str_append(out, v ? "1" : "0", 1);
}

static int
ErrorOption(struct sockState *s, struct sc__str *out)
{
    struct connectExt *ce = s->ext;

    if (s->flags & SF_RESET) {
	const char *text = sc_errno_msg(ECONNRESET);

	s->flags &= (uint16_t) ~SF_RESET;
	return sc__str_append(out, text, strlen(text));
    }
    if (s->flags & SF_FAILED) {
	if (s->flags & SF_REPORTED) {
	    return sc__str_append(out, "", 0);
	}
	s->flags |= SF_REPORTED;	/* Tcl clears -error once read. */
	return sc__str_append(out, ce->failure.text,
		strlen(ce->failure.text));
    }
    if (s->fd >= 0 && !(s->flags & (SF_RESOLVING | SF_CONNECTING))) {
	int err = 0;
	socklen_t len = sizeof(err);

	if (sc__getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0
		&& err != 0) {
	    const char *text = sc_errno_msg(err);

	    return sc__str_append(out, text, strlen(text));
	}
    }
    return sc__str_append(out, "", 0);
}

/* -peercred: the peer's "pid N uid N gid N" (SO_PEERCRED). */
static int
PeerCred(struct sockState *s, struct sc__str *out)
{
    char cred[96];

    if (s->fd < 0 || (s->flags & (SF_RESOLVING | SF_CONNECTING))) {
	return sc__str_append(out, "", 0);
    }
    if (sc__unix_peercred(s->fd, cred, sizeof(cred)) < 0) {
	sc__loop_error(s->chan->loop, errno, "can't get peercred");
	return -1;
    }
    return sc__str_append(out, cred, strlen(cred));
}

static int
PeerCredElement(struct sockState *s, struct sc__str *out)
{
    struct sc__str v = {NULL, 0, 0};
    int r = PeerCred(s, &v);

    if (r == 0) {
	r = sc__str_element(out, v.s ? v.s : "");
    }
    sc__str_free(&v);
    return r;
}

static int
SockGetOption(void *inst, const char *name, struct sc__str *out)
{
    struct sockState *s = inst;
    int server = s->kind == KIND_SERVER;

    if (name == NULL && (s->flags & SF_UNIX)) {
	if (!server && (sc__str_element(out, "-peercred") < 0
		|| sc__str_append(out, " ", 1) < 0
		|| PeerCredElement(s, out) < 0
		|| sc__str_element(out, "-peername") < 0
		|| sc__str_append(out, " ", 1) < 0
		|| NameOption(s, 1, out, 1) < 0)) {
	    return -1;
	}
	return sc__str_element(out, "-sockname") < 0
		|| sc__str_append(out, " ", 1) < 0
		|| NameOption(s, 0, out, 1) < 0 ? -1 : 0;
    }
    if (name == NULL) {
	if (!server && (sc__str_element(out, "-keepalive") < 0
		|| sc__str_append(out, " ", 1) < 0
		|| IntOption(s, SOL_SOCKET, SO_KEEPALIVE, out) < 0
		|| sc__str_element(out, "-nodelay") < 0
		|| sc__str_append(out, " ", 1) < 0
		|| IntOption(s, IPPROTO_TCP, TCP_NODELAY, out) < 0
		|| sc__str_element(out, "-peername") < 0
		|| sc__str_append(out, " ", 1) < 0
		|| NameOption(s, 1, out, 1) < 0)) {
	    return -1;
	}
	if (sc__str_element(out, "-reversedns") < 0
		|| sc__str_appendf(out, " %d", (s->flags & SF_REVERSE) != 0) < 0
		|| sc__str_element(out, "-sockname") < 0
		|| sc__str_append(out, " ", 1) < 0
		|| NameOption(s, 0, out, 1) < 0) {
	    return -1;
	}
	return 0;
    }
    if (strcmp(name, "-error") == 0) {
	Poke(s);
	return ErrorOption(s, out);
    }
    if (strcmp(name, "-connecting") == 0) {
	Poke(s);
	return sc__str_append(out, (s->flags & (SF_RESOLVING
		| SF_CONNECTING)) ? "1" : "0", 1);
    }
    if (strcmp(name, "-sockname") == 0) {
	return NameOption(s, 0, out, 0);
    }
    if (strcmp(name, "-peername") == 0) {
	return NameOption(s, 1, out, 0);
    }
    if (strcmp(name, "-reversedns") == 0 && !(s->flags & SF_UNIX)) {
	return sc__str_append(out, (s->flags & SF_REVERSE) ? "1" : "0", 1);
    }
    if (s->flags & SF_UNIX) {
	if (!server && strcmp(name, "-peercred") == 0) {
	    return PeerCred(s, out);
	}
	return 1;
    }
    if (!server && strcmp(name, "-keepalive") == 0) {
	return IntOption(s, SOL_SOCKET, SO_KEEPALIVE, out);
    }
    if (!server && strcmp(name, "-nodelay") == 0) {
	return IntOption(s, IPPROTO_TCP, TCP_NODELAY, out);
    }
    return 1;
}

static int
Boolean(struct sockState *s, const char *value, int *b)
{
    if (sc__parse_boolean(value, b) < 0) {
	sc__loop_error(s->chan->loop, 0, "expected boolean value but got "
		"\"%s\"", value);
	return -1;
    }
    return 0;
}

static int
SockSetOption(void *inst, const char *name, const char *value)
{
    struct sockState *s = inst;
    int b, level, opt;

    if (strcmp(name, "-reversedns") == 0 && !(s->flags & SF_UNIX)) {
	if (Boolean(s, value, &b) < 0) {
	    return -1;
	}
	if (b) {
	    s->flags |= SF_REVERSE;
	} else {
	    s->flags &= (uint16_t) ~SF_REVERSE;
	}
	return 0;
    }
    if (s->kind == KIND_SERVER || (s->flags & SF_UNIX)) {
	return 1;
    }
    if (strcmp(name, "-keepalive") == 0) {
	level = SOL_SOCKET;
	opt = SO_KEEPALIVE;
    } else if (strcmp(name, "-nodelay") == 0) {
	level = IPPROTO_TCP;
	opt = TCP_NODELAY;
    } else {
	return 1;
    }
    if (Boolean(s, value, &b) < 0) {
	return -1;
    }
    if (s->fd < 0 || (s->flags & (SF_RESOLVING | SF_CONNECTING))) {
	sc__loop_error(s->chan->loop, ENOTCONN, "can't set %s", name);
	return -1;
    }
    if (sc__setsockopt(s->fd, level, opt, &b, sizeof(b)) < 0) {
	sc__loop_error(s->chan->loop, errno, "can't set %s", name);
	return -1;
    }
    return 0;
}

static void
UnixName(void *inst, char *buf, size_t size)
{
    snprintf(buf, size, "unix%lx", (unsigned long) (uintptr_t) inst);
}

static const struct sc__chan_type sockType = {
    "tcp", SockInput, SockOutput, SockClose, SockWatch, SockBlockMode,
    SockHandle, SockGetOption, SockSetOption,
    "-connecting -error -keepalive -nodelay -peername -reversedns -sockname",
    SockName, SC_TRANS_CRLF
};

static const struct sc__chan_type unixType = {
    "unix", SockInput, SockOutput, SockClose, SockWatch, SockBlockMode,
    SockHandle, SockGetOption, SockSetOption,
    "-connecting -error -peercred -peername -sockname",
    UnixName, SC_TRANS_LF
};

/*
 * A socket channel over fd (-1: none yet). TCP and Unix sockets share the
 * driver; the type gives the name, the options and what "auto" means on
 * output ({auto crlf} like Tcl's sockets, {auto lf} like unix_sockets).
 */
static sc_chan *
NewSockChan(sc_loop *loop, const struct sc__chan_type *type, int kind,
	int fd, int mode)
{
    sc_chan *chan = sc__chan_new(loop, type, sizeof(struct sockState), mode);
    struct sockState *s;

    if (chan == NULL) {
	return NULL;
    }
    s = chan->inst;
    s->fd = fd;
    s->kind = (uint8_t) kind;
    s->flags = type == &unixType ? SF_UNIX : 0;
    s->chan = chan;
    return chan;
}

/*
 * An open that fails for err's reason: chan (if any) closed, Tcl's
 * "couldn't open socket: REASON" left on the loop, errno the reason's
 * code (set last, so that the close can't change it). Returns NULL.
 */
static sc_chan *
OpenFailed(sc_loop *loop, sc_chan *chan, const struct sc__err *err)
{
    int code = err->code ? err->code : EINVAL;

    if (chan != NULL) {
	sc_close(chan);
    }
    sc__loop_error(loop, 0, "couldn't open socket: %s", err->text);
    errno = code;
    return NULL;
}

/*
 *----------------------------------------------------------------------
 *
 * sc_open_tcp_client --
 *
 *	See sockchan.h.
 *
 *----------------------------------------------------------------------
 */

static int
Family(int flags)
{
    if ((flags & SC_TCP_IPV4) && !(flags & SC_TCP_IPV6)) {
	return SC__FAMILY_INET;
    }
    if ((flags & SC_TCP_IPV6) && !(flags & SC_TCP_IPV4)) {
	return SC__FAMILY_INET6;
    }
    return SC__FAMILY_ANY;
}

static char *
Dup(const char *s)
{
    char *d;
    size_t n;

    if (s == NULL) {
	return NULL;
    }
    n = strlen(s) + 1;
    d = sc__malloc(n);
    if (d != NULL) {
	memcpy(d, s, n);
    }
    return d;
}

/*
 * Start looking up host (and myaddr) for family on the pool, as
 * ce->lookup[slot]. Returns 0, or -1 with errno (nothing started).
 */
static int
StartLookup(struct sockState *s, int slot, const char *host, int port,
	const char *myaddr, int myport, int family)
{
    struct connectExt *ce = s->ext;
    sc_loop *loop = s->chan->loop;
    struct sockLookup *sl = sc__calloc(1, sizeof(*sl));

    if (sl == NULL || (sl->l.host = Dup(host ? host : "localhost")) == NULL
	    || (myaddr && (sl->l.myaddr = Dup(myaddr)) == NULL)) {
	if (sl != NULL) {
	    sc__lookup_free(&sl->l);
	}
	errno = ENOMEM;
	return -1;
    }
    sl->l.port = port;
    sl->l.myport = myport;
    sl->l.family = family;
    sl->l.done = LookupPosted;
    sl->l.clientData = sl;
    sl->loop = loop;
    sl->owner = s;
    sl->slot = slot;
    sl->held = 1;
    sl->wakeFd = ce->wakeFd;
    sl->mailbox = sc__loop_mailbox(loop);
    sc_loop_hold(loop);
    if (sc__lookup_start(&sl->l) < 0) {
	int code = errno;

	sc_loop_release(loop);
	sc__mailbox_release(sl->mailbox);
	sc__lookup_free(&sl->l);
	errno = code;
	return -1;
    }
    ce->lookup[slot] = sl;
    s->flags |= SF_RESOLVING | SF_CONNECTING;
    return 0;
}

sc_chan *
sc_open_tcp_client_ex(sc_loop *loop, const char *host, const char *port,
	const sc_tcp_options *options, long attemptDelay)
{
    sc_tcp_options none = {NULL, NULL, 0, 0};
    const sc_tcp_options *o = options ? options : &none;
    struct sc__err err;
    struct sockState *s;
    struct connectExt *ce;
    sc_chan *chan;
    int portNum, myport = 0, family, async;
    long delay;

    if (loop == NULL) {
	errno = EINVAL;
	return NULL;
    }
    if (o->flags & ~(SC_TCP_ASYNC | SC_TCP_IPV4 | SC_TCP_IPV6
	    | SC_TCP_SERIAL)) {
	sc__loop_error(loop, 0, "bad flags %#x for a client", o->flags);
	return NULL;
    }
    if (o->timeout < 0) {
	sc__loop_error(loop, 0, "bad timeout %ld: should be a non-negative "
		"number of milliseconds", o->timeout);
	return NULL;
    }
    if (attemptDelay < 0) {
	sc__loop_error(loop, 0, "bad attempt delay %ld: should be a "
		"non-negative number of milliseconds", attemptDelay);
	return NULL;
    }
    if (sc__parse_port(port, &portNum, &err) < 0
	    || (o->myport != NULL && sc__parse_port(o->myport, &myport,
		&err) < 0)) {
	if (strncmp(err.text, "expected", 8) == 0) {
	    sc__loop_error(loop, 0, "%s", err.text);
	} else {
	    sc__loop_error(loop, 0, "couldn't open socket: %s", err.text);
	}
	errno = EINVAL;
	return NULL;
    }
    family = Family(o->flags);
    async = (o->flags & SC_TCP_ASYNC) != 0;
    delay = (o->flags & SC_TCP_SERIAL) ? 0
	    : attemptDelay > 0 ? attemptDelay : SC__RACE_DELAY;

    chan = NewSockChan(loop, &sockType, KIND_CLIENT, -1,
	    SC_READABLE | SC_WRITABLE);
    ce = chan ? sc__calloc(1, sizeof(*ce)) : NULL;
    if (ce == NULL) {
	if (chan) {
	    sc_close(chan);
	}
	sc__loop_error(loop, ENOMEM, "couldn't open socket");
	return NULL;
    }
    s = chan->inst;
    s->ext = ce;
    ce->c.fd = -1;
    ce->c.delay = delay;
    ce->wakeFd = -1;
    ce->family = family;
    if (o->timeout > 0) {
	ce->deadline = sc__now_ns() + (uint64_t) o->timeout * 1000000u;
    }
    if (async) {
	chan->flags |= CF_NONBLOCK;
    }

    if (!sc__host_is_numeric(host) || !sc__host_is_numeric(o->myaddr)) {
	/*
	 * A name: looked up off the loop, for a synchronous client too
	 * (so that its timeout holds during the lookup). Racing for a
	 * host name of either family, two lookups run side by side: every
	 * address (what a plain lookup gives: /etc/hosts keeps its say,
	 * and no AAAA query is made that it would not make), and IPv4
	 * alone, so that a slow AAAA answer does not hold back the A one.
	 * The first one in starts the race (an IPv4 answer waits the
	 * resolution delay for the other); the whole answer ends the
	 * IPv4-only lookup; the machine drops addresses it has already.
	 */
	int split = delay > 0 && family == SC__FAMILY_ANY
		&& !sc__host_is_numeric(host);

	sc__connect_init(&ce->c, delay, split ? 2 : 1);
	if (!async) {
	    /* The waiter takes the results itself: nothing is posted. */
	    ce->wakeFd = sc__eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	}
	if (StartLookup(s, 0, host, portNum, o->myaddr, myport, family) < 0
		|| (split && StartLookup(s, 1, host, portNum, o->myaddr,
		    myport, SC__FAMILY_INET) < 0)) {
	    int code = errno;

	    if (ce->wakeFd >= 0) {
		sc__close(ce->wakeFd);
	    }
	    sc_close(chan);	/* Lets a lookup started go. */
	    sc__loop_error(loop, code, "couldn't open socket");
	    return NULL;
	}
    } else {
	struct addrinfo *remote, *local;

	if (sc__resolve_pair(host, portNum, o->myaddr, myport, family, &remote,
		&local, &err) < 0) {
	    if (!async) {
		return OpenFailed(loop, chan, &err);
	    }
	    ce->failure = err;
	    ConnectFailed(s);
	} else {
	    int r = sc__connect_start(&ce->c, remote, local);

	    if (async && r == SC_CONN_FAILED
		    && ce->c.stage < SC_STAGE_CONNECT) {
		/* No connect() could even be made (a local address this
		 * host lacks, no socket): the caller's error, at the call,
		 * as in Tcl. The network's answers never come this way. */
		struct sc__err why = ce->c.err;

		return OpenFailed(loop, chan, &why);
	    }
	    s->flags &= (uint16_t) ~SF_RESOLVING;
	    Advance(s, r);
	}
    }
    if (ce->deadline && (s->flags & (SF_RESOLVING | SF_CONNECTING))) {
	ce->timeout = sc_create_timer(loop, o->timeout, TimedOut, s);
    }
    if (!async) {
	if (WaitConnected(s) < 0) {
	    struct sc__err why = ce->failure;

	    return OpenFailed(loop, chan, &why);
	}
    }
    return chan;
}

sc_chan *
sc_open_tcp_client(sc_loop *loop, const char *host, const char *port,
	const sc_tcp_options *options)
{
    return sc_open_tcp_client_ex(loop, host, port, options, 0);
}

/*
 *----------------------------------------------------------------------
 *
 * Servers --
 *
 *----------------------------------------------------------------------
 */

static void AcceptReady(void *clientData, int mask);
static void Pause(struct sockState *s);

/* Watch the listeners, or stop. Starting is all or nothing: 0, or -1
 * with the loop's error and none watched. */
static int
WatchListeners(struct sockState *s, int on)
{
    struct serverExt *se = s->ext;
    int i;

    for (i = 0; i < se->n; i++) {
	if (!on) {
	    sc_delete_file_handler(s->chan->loop, se->fds[i]);
	} else if (sc_create_file_handler(s->chan->loop, se->fds[i],
		SC_READABLE, AcceptReady, s) < 0) {
	    int err = errno;

	    while (--i >= 0) {
		sc_delete_file_handler(s->chan->loop, se->fds[i]);
	    }
	    errno = err;
	    return -1;
	}
    }
    return 0;
}

/* Out of descriptors: accepting again after a pause. */
static void
Resume(void *clientData)
{
    struct sockState *s = clientData;
    struct serverExt *se = s->ext;

    se->resume = 0;
    s->flags &= (uint16_t) ~SF_PAUSED;
    if (WatchListeners(s, 1) < 0) {
	Pause(s);		/* The loop is short of memory: later. */
    }
}

/*
 * The process is out of descriptors (EMFILE, ENFILE) or memory: the
 * connection stays in the backlog, and accept() would fail again at
 * once. Stop watching the listeners for a while, longer each time it
 * happens again, instead of spinning; try again from a timer.
 */
static void
Pause(struct sockState *s)
{
    struct serverExt *se = s->ext;

    se->backoff = se->backoff ? se->backoff * 2 : 10;
    if (se->backoff > 1000) {
	se->backoff = 1000;
    }
    s->flags |= SF_PAUSED;
    (void) WatchListeners(s, 0);
    se->resume = sc_create_timer(s->chan->loop, se->backoff, Resume, s);
    if (se->resume == 0) {
	/* No timer: keep accepting, at worst a spin. */
	s->flags &= (uint16_t) ~SF_PAUSED;
	(void) WatchListeners(s, 1);
    }
}

static void
AcceptReady(void *clientData, int mask)
{
    struct sockState *s = clientData;
    sc_chan *server = s->chan;
    int i, lfd = -1;

    (void) mask;
    {
	struct serverExt *se = s->ext;

	/* Which listener: the loop gives the handler, not the fd; try
	 * each (a nonblocking accept on a quiet one says EAGAIN). */
	for (i = 0; i < ACCEPTS_PER_EVENT; i++) {
	    struct sockaddr_storage ss;
	    socklen_t len = sizeof(ss);
	    char host[NI_MAXHOST];
	    int fd = -1, port, j, closed;
	    sc_chan *chan;

	    for (j = 0; j < se->n && fd < 0; j++) {
		lfd = se->fds[(i + j) % se->n];
		len = sizeof(ss);
		fd = sc__accept4(lfd, (struct sockaddr *) &ss, &len,
			SOCK_CLOEXEC);
		if (fd < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
		    break;
		}
	    }
	    if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS
			|| errno == ENOMEM) {
		    Pause(s);
		}
		/* EAGAIN: no one waiting. ECONNABORTED and the like: that
		 * client gave up; the next event brings the others. */
		return;
	    }
	    se->backoff = 0;
	    if (s->flags & SF_UNIX) {
		sc__unix_name((struct sockaddr_un *) &ss, len, host,
			sizeof(host));
		port = 0;
	    } else {
		sc__addr_numeric((struct sockaddr *) &ss, len, host,
			sizeof(host), &port);
	    }
	    chan = NewSockChan(server->loop, server->type, KIND_ACCEPTED, fd,
		    SC_READABLE | SC_WRITABLE);
	    if (chan == NULL) {
		sc__close(fd);
		Pause(s);
		return;
	    }
	    ((struct sockState *) chan->inst)->upath = HoldUnixPath(s->upath);
	    sc__chan_preserve(server);
	    se->proc(se->clientData, chan, host, port);
	    closed = (server->flags & CF_CLOSED) != 0;
	    sc__chan_release(server);
	    if (closed) {
		return;		/* The callback closed the server. */
	    }
	}
    }
}

/* The listeners closed, the Unix file we made removed, se freed. */
static void
FreeServerExt(struct serverExt *se)
{
    int i;

    for (i = 0; i < se->n; i++) {
	sc__close(se->fds[i]);
    }
    if (se->path != NULL) {
	sc__unix_unlink(se->path, se->dev, se->ino);
	sc__free(se->path);
    }
    sc__free(se);
}

static void
CloseServer(struct sockState *s)
{
    struct serverExt *se = s->ext;

    if (se == NULL) {
	return;
    }
    if (!(s->flags & SF_PAUSED)) {
	(void) WatchListeners(s, 0);
    }
    if (se->resume) {
	sc_delete_timer(s->chan->loop, se->resume);
    }
    FreeServerExt(se);
    s->ext = NULL;
}

/*
 * The server channel (NULL: it could not be made) takes its listeners (se)
 * and starts accepting. If it can't, the listeners are closed, a Unix file
 * we made is removed, and the open fails.
 */
static sc_chan *
StartServer(sc_loop *loop, sc_chan *chan, struct serverExt *se)
{
    struct sockState *s;
    int err;

    if (chan == NULL) {
	FreeServerExt(se);
	sc__loop_error(loop, ENOMEM, "couldn't open socket");
	return NULL;
    }
    s = chan->inst;
    s->ext = se;
    if (WatchListeners(s, 1) == 0) {
	return chan;
    }
    err = errno;
    sc_close(chan);
    sc__loop_error(loop, err, "couldn't open socket");
    return NULL;
}

sc_chan *
sc_open_tcp_server_ex(sc_loop *loop, const char *service, const char *host,
	unsigned flags, int backlog, sc_accept_proc *acceptProc,
	void *clientData)
{
    struct serverExt *se;
    struct sc__err err;
    unsigned listenFlags = 0;
    int port;

    if (loop == NULL) {
	errno = EINVAL;
	return NULL;
    }
    if (flags & ~(unsigned) (SC_TCP_REUSEADDR | SC_TCP_REUSEPORT
	    | SC_TCP_IPV4 | SC_TCP_IPV6)) {
	sc__loop_error(loop, 0, "bad flags %#x for a server", flags);
	return NULL;
    }
    if (acceptProc == NULL) {
	sc__loop_error(loop, 0, "couldn't open socket: no accept procedure "
		"given");
	return NULL;
    }
    if (sc__parse_port(service, &port, &err) < 0) {
	if (strncmp(err.text, "expected", 8) == 0) {
	    sc__loop_error(loop, 0, "couldn't open socket: invalid port "
		    "number");
	} else {
	    sc__loop_error(loop, 0, "couldn't open socket: %s", err.text);
	}
	errno = EINVAL;
	return NULL;
    }
    se = sc__calloc(1, sizeof(*se));
    if (se == NULL) {
	sc__loop_error(loop, ENOMEM, "couldn't open socket");
	return NULL;
    }
    listenFlags |= (flags & SC_TCP_REUSEADDR) ? SC__LISTEN_REUSEADDR : 0;
    listenFlags |= (flags & SC_TCP_REUSEPORT) ? SC__LISTEN_REUSEPORT : 0;
    se->n = sc__tcp_listen(host, port, Family((int) flags), listenFlags,
	    backlog, se->fds, MAX_LISTEN, &err);
    if (se->n < 0) {
	sc__free(se);
	return OpenFailed(loop, NULL, &err);
    }
    se->proc = acceptProc;
    se->clientData = clientData;
    return StartServer(loop, NewSockChan(loop, &sockType, KIND_SERVER, -1, 0),
	    se);
}

sc_chan *
sc_open_tcp_server(sc_loop *loop, const char *port, const char *host,
	sc_accept_proc *acceptProc, void *clientData)
{
    return sc_open_tcp_server_ex(loop, port, host, SC_TCP_REUSEADDR, -1,
	    acceptProc, clientData);
}

/*
 *----------------------------------------------------------------------
 *
 * Unix-domain sockets --
 *
 *----------------------------------------------------------------------
 */

static int
UnixOptions(sc_loop *loop, const sc_unix_options *o, int server)
{
    if (o->flags & ~SC_UNIX_ASYNC || (server && (o->flags & SC_UNIX_ASYNC))) {
	sc__loop_error(loop, 0, "bad flags %#x for a %s", (unsigned) o->flags,
		server ? "server" : "client");
	return -1;
    }
    if (o->mode < 0 || o->mode > 07777) {
	sc__loop_error(loop, 0, "bad mode %#o: should be a file mode such "
		"as 0600", (unsigned) o->mode);
	return -1;
    }
    return 0;
}

sc_chan *
sc_open_unix_client(sc_loop *loop, const char *path,
	const sc_unix_options *options)
{
    sc_unix_options none = {0, 0, -1, 0};
    const sc_unix_options *o = options ? options : &none;
    struct sockaddr_un sun;
    socklen_t sunLen;
    struct sc__err err;
    struct connectExt *ce;
    struct addrinfo *ai;
    struct sockState *s;
    sc_chan *chan;

    if (loop == NULL) {
	errno = EINVAL;
	return NULL;
    }
    if (UnixOptions(loop, o, 0) < 0) {
	return NULL;
    }
    if (path == NULL || sc__unix_address(path, o->length ? o->length
	    : strlen(path), &sun, &sunLen, &err) < 0) {
	sc__loop_error(loop, 0, "couldn't open socket: %s",
		path ? err.text : "no path given");
	errno = path ? err.code : EINVAL;
	return NULL;
    }
    chan = NewSockChan(loop, &unixType, KIND_CLIENT, -1,
	    SC_READABLE | SC_WRITABLE);
    ce = chan ? sc__calloc(1, sizeof(*ce)) : NULL;
    ai = ce ? sc__unix_addrinfo(&sun, sunLen) : NULL;
    if (ai == NULL) {
	sc__free(ce);
	if (chan) {
	    sc_close(chan);
	}
	sc__loop_error(loop, ENOMEM, "couldn't open socket");
	return NULL;
    }
    s = chan->inst;
    s->ext = ce;
    s->upath = NewUnixPath(&sun, sunLen);
    ce->c.fd = -1;
    ce->c.ownAlloc = 1;
    ce->wakeFd = -1;
    if (o->flags & SC_UNIX_ASYNC) {
	chan->flags |= CF_NONBLOCK;
    }
    StartConnect(s, ai, NULL);
    if (!(o->flags & SC_UNIX_ASYNC) && WaitConnected(s) < 0) {
	struct sc__err why = ce->failure;

	return OpenFailed(loop, chan, &why);
    }
    return chan;
}

sc_chan *
sc_open_unix_server(sc_loop *loop, const char *path,
	const sc_unix_options *options, sc_accept_proc *acceptProc,
	void *clientData)
{
    sc_unix_options none = {0, 0, -1, 0};
    const sc_unix_options *o = options ? options : &none;
    struct serverExt *se;
    struct sockaddr_un sun;
    socklen_t sunLen;
    sc_chan *server;
    struct sc__err err;
    size_t len;
    int fd;

    if (loop == NULL) {
	errno = EINVAL;
	return NULL;
    }
    if (UnixOptions(loop, o, 1) < 0) {
	return NULL;
    }
    if (acceptProc == NULL || path == NULL) {
	sc__loop_error(loop, 0, "couldn't open socket: no %s given",
		path ? "accept procedure" : "path");
	return NULL;
    }
    len = o->length ? o->length : strlen(path);
    se = sc__calloc(1, sizeof(*se));
    if (se != NULL && (se->path = sc__malloc(len + 1)) == NULL) {
	sc__free(se);
	se = NULL;
    }
    if (se == NULL) {
	sc__loop_error(loop, ENOMEM, "couldn't open socket");
	return NULL;
    }
    memcpy(se->path, path, len);
    se->path[len] = '\0';
    if (sc__unix_listen(path, len, o->mode, o->backlog > 0 ? o->backlog : -1,
	    &fd, &se->dev, &se->ino, &err) < 0) {
	sc__free(se->path);
	sc__free(se);
	return OpenFailed(loop, NULL, &err);
    }
    se->n = 1;
    se->fds[0] = fd;
    se->proc = acceptProc;
    se->clientData = clientData;
    if (se->ino == 0) {
	sc__free(se->path);	/* An abstract name: no file to remove. */
	se->path = NULL;
    }
    server = StartServer(loop, NewSockChan(loop, &unixType, KIND_SERVER, -1,
	    0), se);
    if (server != NULL && se->path != NULL
	    && sc__unix_address(path, len, &sun, &sunLen, &err) == 0) {
	((struct sockState *) server->inst)->upath = NewUnixPath(&sun,
		sunLen);
    }
    return server;
}
