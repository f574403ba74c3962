/*
 * sockchan.c --
 *
 *	package require sockchan: Tcl's socket command, grown up, and
 *	Unix-domain sockets, as a Tcl_ChannelType driver over sockchan's
 *	core (src/core: the connect state machine, which races a name's
 *	addresses, listening, lookups off the thread, safe Unix paths). Tcl's own generic I/O does the buffering,
 *	gets, puts, fconfigure, fileevent and fcopy, as tclUnixSock.c does for
 *	the built-in socket.
 *
 *	Past select's ceiling: Tcl 8.6's notifier uses select() and aborts
 *	when a descriptor passes 1,023. No socket of ours ever reaches it:
 *	each thread has one epoll descriptor, opened early (so it is low),
 *	watched by Tcl with Tcl_CreateFileHandler; the sockets are in the
 *	epoll set, and their events are dispatched from it.
 */

#include <tcl.h>

#include "sockchan.h"
#include "core/sock.h"
#include "core/sys.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PACKAGE_VERSION SC_VERSION_STRING	/* include/sockchan.h */

#ifndef TCL_SIZE_MAX
typedef int Tcl_Size;		/* Tcl 8.6; Tcl 9 has its own. */
#endif
#define MAX_LISTEN 8
#define MAX_EVENTS 64

/*
 *----------------------------------------------------------------------
 *
 * Watches: descriptors in the thread's epoll set --
 *
 *	A watch is found from an epoll event by its slot in the thread's
 *	table and checked by generation, so that an event for a watch that
 *	a handler removed in the same batch is dropped.
 *
 *----------------------------------------------------------------------
 */

typedef struct Watch Watch;
typedef void (WatchProc) (Watch *w, int mask);

typedef struct ThreadData ThreadData;

struct Watch {
    int fd;
    int mask;			/* TCL_READABLE | TCL_WRITABLE registered. */
    int slot;			/* In the thread's table; -1: none. */
    int pending;		/* Ready events queued, not yet served. */
    ThreadData *td;		/* The thread's table it is in (slot >= 0). */
    WatchProc *proc;
    void *data;
};

typedef struct Slot {
    Watch *watch;
    unsigned gen;
    int nextFree;
} Slot;

struct ThreadData {
    int epfd;
    Slot *slots;
    int nSlots, freeSlot;
};

static Tcl_ThreadDataKey dataKey;

static void EpollReady(ClientData clientData, int mask);

static void
ThreadExit(ClientData clientData)
{
    ThreadData *td = clientData;

    if (td->epfd >= 0) {
	Tcl_DeleteFileHandler(td->epfd);
	close(td->epfd);
	td->epfd = -1;
    }
    ckfree(td->slots);
    td->slots = NULL;
}

static ThreadData *
GetThreadData(void)
{
    ThreadData *td = Tcl_GetThreadData(&dataKey, sizeof(ThreadData));

    if (td->slots == NULL && td->nSlots == 0) {
	td->epfd = epoll_create1(EPOLL_CLOEXEC);
	td->freeSlot = -1;
	td->nSlots = 0;
	if (td->epfd >= 0) {
	    Tcl_CreateFileHandler(td->epfd, TCL_READABLE, EpollReady, td);
	    Tcl_CreateThreadExitHandler(ThreadExit, td);
	}
	td->nSlots = -1;	/* Initialised; no table yet. */
    }
    return td;
}

static int
SlotFor(ThreadData *td, Watch *w)
{
    int i;

    if (td->freeSlot < 0) {
	int old = td->nSlots < 0 ? 0 : td->nSlots, n = old ? old * 2 : 64;

	td->slots = ckrealloc(td->slots, (size_t) n * sizeof(Slot));
	for (i = n - 1; i >= old; i--) {
	    td->slots[i].watch = NULL;
	    td->slots[i].gen = 1;
	    td->slots[i].nextFree = td->freeSlot;
	    td->freeSlot = i;
	}
	td->nSlots = n;
    }
    i = td->freeSlot;
    td->freeSlot = td->slots[i].nextFree;
    td->slots[i].watch = w;
    return i;
}

static void
SlotFree(ThreadData *td, int i)
{
    td->slots[i].watch = NULL;
    td->slots[i].gen++;
    td->slots[i].nextFree = td->freeSlot;
    td->freeSlot = i;
}

/* Register w for mask in this thread's epoll set (0: remove). */
static void
WatchSet(Watch *w, int mask)
{
    ThreadData *td;
    struct epoll_event ev;

    if (mask != 0 && mask == w->mask && w->slot >= 0) {
	return;			/* Unchanged: Tcl asks after every read. */
    }
    td = w->slot >= 0 ? w->td : GetThreadData();
    if (td->epfd < 0 || w->fd < 0) {
	return;
    }
    if (mask == 0) {
	if (w->slot >= 0) {
	    epoll_ctl(td->epfd, EPOLL_CTL_DEL, w->fd, &ev);
	    SlotFree(td, w->slot);	/* A queued event finds it gone. */
	    w->slot = -1;
	}
	w->mask = 0;
	w->pending = 0;
	return;
    }
    memset(&ev, 0, sizeof(ev));
    ev.events = ((mask & TCL_READABLE) ? EPOLLIN : 0)
	    | ((mask & TCL_WRITABLE) ? EPOLLOUT : 0);
    if (w->slot < 0) {
	w->slot = SlotFor(td, w);
	w->td = td;
	ev.data.u64 = ((uint64_t) td->slots[w->slot].gen << 32)
		| (uint32_t) w->slot;
	if (epoll_ctl(td->epfd, EPOLL_CTL_ADD, w->fd, &ev) < 0
		&& errno == EEXIST) {
	    epoll_ctl(td->epfd, EPOLL_CTL_MOD, w->fd, &ev);
	}
    } else if (mask != w->mask) {
	ev.data.u64 = ((uint64_t) td->slots[w->slot].gen << 32)
		| (uint32_t) w->slot;
	epoll_ctl(td->epfd, EPOLL_CTL_MOD, w->fd, &ev);
    }
    w->mask = mask;
}

/*
 * One ready descriptor, as a Tcl event: each is served by its own
 * Tcl_DoOneEvent, as Tcl's own notifier does it, so that a vwait sees
 * every handler's effect (two sockets ready at once are two events).
 */
typedef struct WatchEvent {
    Tcl_Event header;
    ThreadData *td;		/* The queuing thread's: it serves it. */
    int slot;
    unsigned gen;
} WatchEvent;

static int
WatchEventProc(Tcl_Event *evPtr, int flags)
{
    WatchEvent *ev = (WatchEvent *) evPtr;
    ThreadData *td = ev->td;
    Watch *w;
    int ready;

    if (!(flags & TCL_FILE_EVENTS)) {
	return 0;
    }
    if (ev->slot >= td->nSlots || td->slots[ev->slot].gen != ev->gen
	    || (w = td->slots[ev->slot].watch) == NULL) {
	return 1;		/* Removed since it was queued. */
    }
    ready = w->pending & w->mask;
    w->pending = 0;
    if (ready) {
	w->proc(w, ready);
    }
    return 1;
}

/*
 * The epoll descriptor is readable. The first ready watch is served now:
 * this is already the Tcl event of its readiness, as Tcl's own notifier
 * serves one descriptor from each. The others each get a Tcl event of
 * their own, served by later Tcl_DoOneEvent calls.
 */
static void
EpollReady(ClientData clientData, int mask)
{
    ThreadData *td = clientData;
    struct epoll_event evs[MAX_EVENTS];
    Watch *first = NULL;
    int n, i, firstReady = 0;

    (void) mask;
    n = epoll_wait(td->epfd, evs, MAX_EVENTS, 0);
    for (i = 0; i < n; i++) {
	int slot = (int) (evs[i].data.u64 & 0xffffffffu);
	unsigned gen = (unsigned) (evs[i].data.u64 >> 32);
	WatchEvent *ev;
	Watch *w;
	int ready = 0;

	if (slot >= td->nSlots || td->slots[slot].gen != gen
		|| (w = td->slots[slot].watch) == NULL) {
	    continue;
	}
	if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
	    ready |= TCL_READABLE;
	}
	if (evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) {
	    ready |= TCL_WRITABLE;
	}
	ready &= w->mask;
	if (ready == 0) {
	    continue;
	}
	if (w->pending != 0) {
	    w->pending |= ready;	/* Its event is queued already. */
	    continue;
	}
	if (first == NULL) {
	    first = w;
	    firstReady = ready;
	    continue;
	}
	w->pending = ready;
	ev = (WatchEvent *) ckalloc(sizeof(*ev));
	ev->header.proc = WatchEventProc;
	ev->td = td;
	ev->slot = slot;
	ev->gen = gen;
	Tcl_QueueEvent(&ev->header, TCL_QUEUE_TAIL);
    }
    if (first != NULL) {
	/* Queued events check their watch's generation: this call may
	 * remove or replace any watch. */
	first->proc(first, firstReady);
    }
}

/*
 *----------------------------------------------------------------------
 *
 * Socket state --
 *
 *----------------------------------------------------------------------
 */

enum {
    TS_RESOLVING = 1 << 0,	/* Lookups run on worker threads (or are
				 * to be started again: Pending.restart). */
    TS_CONNECTING = 1 << 1,	/* The connect is under way (from the
				 * lookups' start to its outcome). */
    TS_FAILED = 1 << 2,		/* The asynchronous connect failed. */
    TS_REPORTED = 1 << 3,	/* -error has told of the failure. */
    TS_NONBLOCKING = 1 << 4,	/* The channel's mode. */
    TS_SERVER = 1 << 5,
    TS_UNIX = 1 << 6,
    TS_PAUSED = 1 << 7,		/* Server: accepting paused (EMFILE). */
    TS_CLIENT = 1 << 8,		/* Made by a connect (not accepted). */
};

typedef struct LookupEvent LookupEvent;

/*
 * What a client holds while it connects, and after its connect failed (a
 * connected client frees it: an idle connection costs only TcpState).
 *
 * As the C library's client (src/chan/sock.c): a name is looked up on the
 * pool (src/core/resolve.c), for a synchronous socket too, so that
 * -timeout bounds the lookup; with no family forced, two lookups run side
 * by side (every address, and IPv4 alone, so that a slow AAAA answer does
 * not hold back the A one); the core's state machine races the addresses
 * (Happy Eyeballs, RFC 8305: IPv6 first, families interleaved, the next
 * attempt SC__RACE_DELAY ms later or at once when one fails, the losers
 * closed, the farthest error when all fail).
 */
typedef struct Pending {
    struct sc__connect conn;
    struct sc__err failure;	/* Why it failed, when not conn.err. */
    LookupEvent *lookup[2];	/* The lookups out, or NULL: every
				 * address, and IPv4 alone. */
    char *host, *myaddr;	/* What is looked up (ckalloc'd), kept to */
    int port, myport, family;	/* look it up again from the thread the */
    int split;			/* channel moves to; split: two lookups. */
    int restart;		/* TcpThreadAction let the lookups go:
				 * start them again in the new thread. */
    Watch att[SC__RACE_MAX];	/* The attempts' sockets, watched. */
    int natt;
    Tcl_TimerToken timeout, failTimer, raceTimer;
    uint64_t deadline;		/* -timeout: monotonic ms, from the call; 0. */
    struct sockaddr_storage failedName;	/* A failed connect's local
				 * address (as Tcl's -sockname says it). */
    socklen_t failedLen;	/* 0: none. */
    int keepalive, nodelay;	/* Set while connecting (-1: not), for
				 * the socket that wins. */
} Pending;

/* What a server holds. */
typedef struct Server {
    int nListen;
    Watch listen[MAX_LISTEN];
    Tcl_Interp *interp;
    Tcl_Obj *script;		/* The accept command (prefix). */
    Tcl_TimerToken resume;
    int backoff;
    char *path;			/* Unix server: the file made. */
    dev_t dev;
    ino_t ino;
} Server;

typedef struct TcpState {
    Tcl_Channel channel;
    int fd;
    int flags;
    int interest;		/* What the channel asks to watch. */
    Watch watch;
    Tcl_ThreadId owner;
    Pending *p;			/* Connecting or failed clients; else NULL. */
    Server *srv;		/* Servers; else NULL. */
    /* Unix: a listener's socket is bound out of sight and renamed into
     * place (src/core/unix.c), so the kernel's name for it is the
     * temporary one. The path reported instead: an accepted channel's
     * -sockname (the server's path), a client's -peername (the path it
     * connected to); NULL for TCP. */
    char *unixPath;
} TcpState;

static const Tcl_ChannelType tcpType;

static void ChannelReady(Watch *w, int mask);
static void ConnectReady(Watch *w, int mask);
static void ConnectDone(TcpState *s, int r);
static char *Dup(const char *s);

/* Cancel *tokenPtr's timer, if any (from the thread that made it). */
static void
DropTimer(Tcl_TimerToken *tokenPtr)
{
    if (*tokenPtr != NULL) {
	Tcl_DeleteTimerHandler(*tokenPtr);
	*tokenPtr = NULL;
    }
}

static void
SetNonblocking(int fd, int on)
{
    int fl = fcntl(fd, F_GETFL, 0);

    if (fl >= 0) {
	fcntl(fd, F_SETFL, on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK));
    }
}

/*
 *----------------------------------------------------------------------
 *
 * Lookups: a job on the pool. Its result comes back through Tcl's event
 * queue of the thread that owns the channel (Tcl_ThreadQueueEvent, then
 * Tcl_ThreadAlert to wake it), or is taken without the event loop by a
 * blocking wait, which the worker wakes through an eventfd, or by a
 * query (TakeLookups). The event frees the job, whoever took the result.
 * An owner that lets a lookup go (a close, a timeout, a winner, a move
 * to another thread) only forgets it: nothing ever waits for a lookup
 * nobody wants.
 *
 *----------------------------------------------------------------------
 */

typedef struct LookupJob LookupJob;

struct LookupEvent {
    Tcl_Event header;		/* First: Tcl frees the event. */
    LookupJob *job;
    TcpState *owner;		/* Owner thread only; NULL: orphaned. */
    int slot;			/* Its place in owner->p->lookup[]. */
};

struct LookupJob {
    struct sc__lookup l;	/* First: sc__lookup_free frees it all. */
    LookupEvent *event;
    Tcl_ThreadId thread;
    int finished;		/* lookupMutex: the worker is done with l. */
    int wakeFd;			/* lookupMutex: a waiter's eventfd, or -1. */
};

/* A plain mutex, not a Tcl_Mutex: Tcl_Finalize frees those, and a worker
 * may still finish a lookup while the process exits. */
static pthread_mutex_t lookupMutex = PTHREAD_MUTEX_INITIALIZER;

static void Deliver(TcpState *s, int slot, struct sc__lookup *l);

static int
LookupEventProc(Tcl_Event *evPtr, int flags)
{
    LookupEvent *ev = (LookupEvent *) evPtr;
    TcpState *s = ev->owner;

    if (!(flags & TCL_FILE_EVENTS)) {
	return 0;		/* Not now: leave it queued. */
    }
    if (s != NULL) {
	ev->owner = NULL;
	s->p->lookup[ev->slot] = NULL;
	Deliver(s, ev->slot, &ev->job->l);
    }
    sc__lookup_free(&ev->job->l);
    return 1;			/* Tcl frees the event. */
}

/* On a worker thread: wake a blocking wait, if one waits, and queue the
 * event (the job may be freed once it is queued). */
static void
LookupFinished(void *clientData, struct sc__lookup *l)
{
    LookupJob *job = clientData;
    LookupEvent *ev = job->event;
    Tcl_ThreadId thread = job->thread;
    uint64_t one = 1;

    (void) l;
    pthread_mutex_lock(&lookupMutex);
    job->finished = 1;
    if (job->wakeFd >= 0) {
	(void) sc__write(job->wakeFd, &one, sizeof(one));
    }
    pthread_mutex_unlock(&lookupMutex);
    Tcl_ThreadQueueEvent(thread, &ev->header, TCL_QUEUE_TAIL);
    Tcl_ThreadAlert(thread);
}

/* Let lookup i go: its event, when it comes, only frees. */
static void
Detach(TcpState *s, int i)
{
    LookupEvent *ev = s->p->lookup[i];

    if (ev == NULL) {
	return;
    }
    s->p->lookup[i] = NULL;
    ev->owner = NULL;
    pthread_mutex_lock(&lookupMutex);
    ev->job->wakeFd = -1;
    pthread_mutex_unlock(&lookupMutex);
}

static void
DetachAll(TcpState *s)
{
    Detach(s, 0);
    Detach(s, 1);
    s->flags &= ~TS_RESOLVING;
}

/*
 * Take the results that are in without waiting for their events (a
 * blocking wait; a script that polls -error without entering the event
 * loop, as Tcl's tests do); have the others signal efd (-1: nothing)
 * when they are done.
 */
static void
TakeLookups(TcpState *s, int efd)
{
    int i;

    for (i = 0; i < 2 && s->p != NULL && (s->flags & TS_RESOLVING); i++) {
	LookupEvent *ev = s->p->lookup[i];
	int finished;

	if (ev == NULL) {
	    continue;
	}
	pthread_mutex_lock(&lookupMutex);
	finished = ev->job->finished;
	if (!finished) {
	    ev->job->wakeFd = efd;
	}
	pthread_mutex_unlock(&lookupMutex);
	if (finished) {
	    ev->owner = NULL;
	    s->p->lookup[i] = NULL;
	    Deliver(s, i, &ev->job->l);
	}
    }
}

/*
 *----------------------------------------------------------------------
 *
 * Connecting --
 *
 *----------------------------------------------------------------------
 */

static void FailTimer(ClientData clientData);
static void RaceTimer(ClientData clientData);
static void Resume(ClientData clientData);
static void ServerInterpGone(ClientData clientData, Tcl_Interp *interp);
static int StartLookups(TcpState *s);
static void NewPending(TcpState *s);
static void FreePending(TcpState *s);

/* Stop watching the attempts' sockets: before anything that may close
 * one (a number closed may come back at once as a new attempt). */
static void
Unwatch(TcpState *s)
{
    int i;

    for (i = 0; i < s->p->natt; i++) {
	WatchSet(&s->p->att[i], 0);
    }
    s->p->natt = 0;
}

/* Watch every attempt in flight, and time the machine's next step. */
static void
Rewatch(TcpState *s)
{
    Pending *p = s->p;
    long ms;
    int i;

    Unwatch(s);
    for (i = 0; i < p->conn.natt; i++) {
	p->att[i].fd = p->conn.att[i].fd;
	p->att[i].proc = ConnectReady;
	p->att[i].data = s;
	WatchSet(&p->att[i], TCL_WRITABLE);
    }
    p->natt = p->conn.natt;
    DropTimer(&p->raceTimer);
    ms = sc__connect_wait_ms(&p->conn);
    if (ms >= 0) {
	p->raceTimer = Tcl_CreateTimerHandler((int) ms, RaceTimer, s);
    }
}

/* The state machine said r: watch, finish, or fail. */
static void
ConnectDone(TcpState *s, int r)
{
    Pending *p = s->p;

    if (r == SC_CONN_INPROGRESS) {
	s->flags |= TS_CONNECTING;
	Rewatch(s);
	return;
    }
    s->flags &= ~(TS_CONNECTING | TS_RESOLVING);
    Unwatch(s);
    DropTimer(&p->timeout);
    DropTimer(&p->raceTimer);
    if (r == SC_CONN_DONE) {
	int keepalive = p->keepalive, nodelay = p->nodelay;

	s->fd = p->conn.fd;
	p->conn.fd = -1;
	FreePending(s);		/* The losers closed, lookups let go. */
	if (keepalive >= 0) {
	    (void) setsockopt(s->fd, SOL_SOCKET, SO_KEEPALIVE, &keepalive,
		    sizeof(keepalive));
	}
	if (nodelay >= 0) {
	    (void) setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &nodelay,
		    sizeof(nodelay));
	}
	SetNonblocking(s->fd, (s->flags & TS_NONBLOCKING) != 0);
	s->watch.fd = s->fd;
	s->watch.proc = ChannelReady;
	WatchSet(&s->watch, s->interest);
	return;
    }
    if (p->failure.text[0] == '\0') {
	p->failure = p->conn.err;
    }
    /* Tcl keeps a failed attempt's socket, so -sockname still gives the
     * address it used: the core kept that address (of the farthest). */
    if (p->conn.failNameLen > 0 && !(s->flags & TS_UNIX)) {
	memcpy(&p->failedName, &p->conn.failName, p->conn.failNameLen);
	p->failedLen = p->conn.failNameLen;
    }
    s->flags |= TS_FAILED;
    s->fd = -1;
    s->watch.fd = -1;
    DetachAll(s);
    sc__connect_free(&p->conn);
    /* As Tcl: a failed asynchronous socket is ready, for writing and
     * reading, so that a writable handler learns of it. */
    if (s->interest && p->failTimer == NULL) {
	p->failTimer = Tcl_CreateTimerHandler(0, FailTimer, s);
    }
}

/* Lookup i's result, l, in the owner's thread: to the state machine. */
static void
Deliver(TcpState *s, int i, struct sc__lookup *l)
{
    Pending *p = s->p;
    int r;

    if (i == 0 && !l->failed && p->lookup[1] != NULL) {
	/* Every address is in: the IPv4-only lookup has nothing to add. */
	Detach(s, 1);
	p->conn.lookups--;
    }
    if (p->lookup[0] == NULL && p->lookup[1] == NULL) {
	s->flags &= ~TS_RESOLVING;
    }
    Unwatch(s);
    if (l->failed) {
	r = sc__connect_add(&p->conn, NULL, NULL, &l->err);
    } else {
	r = sc__connect_add(&p->conn, l->remote, l->local, NULL);
	l->remote = l->local = NULL;
    }
    ConnectDone(s, r);
}

/* A step of the machine: an attempt is writable, or a delay is over. */
static void
Step(TcpState *s)
{
    Unwatch(s);
    ConnectDone(s, sc__connect_step(&s->p->conn));
}

static void
RaceTimer(ClientData clientData)
{
    TcpState *s = clientData;

    s->p->raceTimer = NULL;
    Step(s);
}

static void
FailTimer(ClientData clientData)
{
    TcpState *s = clientData;

    s->p->failTimer = NULL;
    if (s->interest) {
	s->p->failTimer = Tcl_CreateTimerHandler(0, FailTimer, s);
	Tcl_NotifyChannel(s->channel, s->interest);
    }
}

static void
ConnectReady(Watch *w, int mask)
{
    (void) mask;
    Step(w->data);
}

static void
TimedOut(ClientData clientData)
{
    TcpState *s = clientData;

    s->p->timeout = NULL;
    Unwatch(s);
    sc__err_set(&s->p->failure, ETIMEDOUT);
    ConnectDone(s, SC_CONN_FAILED);
}

/* Milliseconds on the monotonic clock. */
static uint64_t
NowMs(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

/* The -timeout's timer, for what is left of it (unless there is one),
 * while the connect goes on. */
static void
ArmTimeout(TcpState *s)
{
    uint64_t now = NowMs();

    if (s->p != NULL && s->p->deadline && s->p->timeout == NULL
	    && (s->flags & (TS_RESOLVING | TS_CONNECTING))) {
	s->p->timeout = Tcl_CreateTimerHandler(now < s->p->deadline
		? (int) (s->p->deadline - now) : 0, TimedOut, s);
    }
}

/* Lookups a move between threads let go: start them here. Returns 0,
 * or -1 (failed). */
static int
Restart(TcpState *s)
{
    if (s->p == NULL || !s->p->restart) {
	return 0;
    }
    s->p->restart = 0;
    s->flags &= ~TS_RESOLVING;
    if (StartLookups(s) < 0) {
	sc__err_set(&s->p->failure, errno);
	ConnectDone(s, SC_CONN_FAILED);
	return -1;
    }
    return 0;
}

/*
 * Finish a connect in progress without the event loop, within the
 * -timeout: for blocking I/O on a channel still connecting (which must
 * not run event handlers) and for a synchronous socket command. The
 * lookups are waited for too: their workers wake this wait through an
 * eventfd. Returns 0 when connected, -1 when failed.
 */
static int
WaitForConnect(TcpState *s)
{
    int efd = -1, i;

    if (!(s->flags & (TS_RESOLVING | TS_CONNECTING))) {
	return (s->flags & TS_FAILED) ? -1 : 0;
    }
    if (Restart(s) < 0) {
	return -1;
    }
    if (s->flags & TS_RESOLVING) {
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    }
    for (;;) {
	Pending *p;
	int ms = -1, due;

	if (s->flags & TS_RESOLVING) {
	    TakeLookups(s, efd);
	}
	if (!(s->flags & (TS_RESOLVING | TS_CONNECTING))) {
	    break;
	}
	p = s->p;
	if (p->deadline) {
	    uint64_t now = NowMs();

	    if (now >= p->deadline) {
		DropTimer(&p->timeout);
		TimedOut(s);
		break;
	    }
	    ms = (int) (p->deadline - now);
	}
	due = sc__connect_wait(&p->conn, efd, (s->flags & TS_RESOLVING) != 0,
		ms);
	if (due < 0) {
	    if (errno == EINTR) {
		continue;
	    }
	    Unwatch(s);
	    sc__err_set(&p->failure, errno);
	    ConnectDone(s, SC_CONN_FAILED);
	    break;
	}
	if ((s->flags & TS_CONNECTING) && due > 0) {
	    Step(s);
	}
    }
    if (efd >= 0) {
	/* Lookups still out (let go by a failure) no longer know it. */
	for (i = 0; i < 2 && s->p != NULL; i++) {
	    if (s->p->lookup[i] != NULL) {
		pthread_mutex_lock(&lookupMutex);
		s->p->lookup[i]->job->wakeFd = -1;
		pthread_mutex_unlock(&lookupMutex);
	    }
	}
	close(efd);
    }
    return (s->flags & TS_FAILED) ? -1 : 0;
}

/* As Tcl: a query, or nonblocking I/O, takes one step without waiting. */
static void
Poke(TcpState *s)
{
    struct pollfd pfd[SC__RACE_MAX];
    Pending *p = s->p;
    int i, n, ready = 0;

    if (p == NULL || p->restart) {
	return;
    }
    if (s->flags & TS_RESOLVING) {
	TakeLookups(s, -1);
    }
    if (!(s->flags & TS_CONNECTING) || (p = s->p) == NULL) {
	return;
    }
    if (p->deadline && NowMs() >= p->deadline) {
	DropTimer(&p->timeout);
	TimedOut(s);		/* Also where no event loop runs. */
	return;
    }
    n = p->conn.natt;
    for (i = 0; i < n; i++) {
	pfd[i].fd = p->conn.att[i].fd;
	pfd[i].events = POLLOUT;
	pfd[i].revents = 0;
    }
    if (n > 0 && poll(pfd, (nfds_t) n, 0) > 0) {
	ready = 1;
    }
    if (ready || sc__connect_wait_ms(&p->conn) == 0) {
	Step(s);
    }
}

/*
 *----------------------------------------------------------------------
 *
 * The channel driver --
 *
 *----------------------------------------------------------------------
 */

/* Before I/O on a socket not (yet) connected: connect first (blocking),
 * or say it would block. */
static int
NotUsable(TcpState *s, int *errorCodePtr)
{
    if (s->flags & (TS_RESOLVING | TS_CONNECTING)) {
	if (s->flags & TS_NONBLOCKING) {
	    Poke(s);
	    if (s->flags & (TS_RESOLVING | TS_CONNECTING)) {
		*errorCodePtr = EAGAIN;
		return 0;
	    }
	} else {
	    WaitForConnect(s);
	}
    }
    if ((s->flags & TS_FAILED) || s->fd < 0) {
	*errorCodePtr = ENOTCONN;
	return 0;
    }
    return 1;
}

/* Before I/O: at once when connected, the common case (the driver's input
 * and output ask once per recv or send). */
static inline int
Usable(TcpState *s, int *errorCodePtr)
{
    if (!(s->flags & (TS_RESOLVING | TS_CONNECTING | TS_FAILED))
	    && s->fd >= 0) {
	return 1;
    }
    return NotUsable(s, errorCodePtr);
}

static int
TcpInput(ClientData instanceData, char *buf, int toRead, int *errorCodePtr)
{
    TcpState *s = instanceData;
    ssize_t n;

    *errorCodePtr = 0;
    if (!Usable(s, errorCodePtr)) {
	return -1;
    }
    n = recv(s->fd, buf, (size_t) toRead, 0);
    while (n < 0 && errno == EINTR) {
	n = recv(s->fd, buf, (size_t) toRead, 0);
    }
    if (n < 0) {
	if (errno == ECONNRESET) {
	    return 0;		/* A reset is the end of the stream. */
	}
	*errorCodePtr = errno;
	return -1;
    }
    return (int) n;
}

static int
TcpOutput(ClientData instanceData, const char *buf, int toWrite,
	int *errorCodePtr)
{
    TcpState *s = instanceData;
    ssize_t n;

    *errorCodePtr = 0;
    if (!Usable(s, errorCodePtr)) {
	return -1;
    }
    n = send(s->fd, buf, (size_t) toWrite, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR) {
	n = send(s->fd, buf, (size_t) toWrite, MSG_NOSIGNAL);
    }
    if (n < 0) {
	*errorCodePtr = errno;
	return -1;
    }
    return (int) n;
}

static void
StopServer(TcpState *s)
{
    int i;

    if (s->srv->resume) {
	Tcl_DeleteTimerHandler(s->srv->resume);
	s->srv->resume = NULL;
    }
    for (i = 0; i < s->srv->nListen; i++) {
	WatchSet(&s->srv->listen[i], 0);
	close(s->srv->listen[i].fd);
    }
    s->srv->nListen = 0;
    if (s->srv->path != NULL) {
	sc__unix_unlink(s->srv->path, s->srv->dev, s->srv->ino);
	ckfree(s->srv->path);
	s->srv->path = NULL;
    }
    if (s->srv->script != NULL) {
	Tcl_DecrRefCount(s->srv->script);
	s->srv->script = NULL;
    }
    if (s->srv->interp != NULL) {
	Tcl_DontCallWhenDeleted(s->srv->interp, ServerInterpGone, s);
	s->srv->interp = NULL;
    }
}

/*
 * A server stays with the thread that made it, as Tcl's does: its
 * listening descriptors are in that thread's epoll set and its accept
 * command runs in that thread's interpreter, wherever the channel moves.
 * Closed from another thread, it is stopped and freed in its own.
 */
typedef struct ServerCloseEvent {
    Tcl_Event header;
    TcpState *s;
} ServerCloseEvent;

static int FreeState(TcpState *s);

static int
ServerCloseEventProc(Tcl_Event *evPtr, int flags)
{
    ServerCloseEvent *ev = (ServerCloseEvent *) evPtr;

    (void) flags;
    StopServer(ev->s);
    FreeState(ev->s);
    return 1;
}

static int
TcpClose2(ClientData instanceData, Tcl_Interp *interp, int flags)
{
    TcpState *s = instanceData;

    (void) interp;
    if (flags & (TCL_CLOSE_READ | TCL_CLOSE_WRITE)) {
	if (s->fd < 0) {
	    return ENOTCONN;
	}
	if (shutdown(s->fd, (flags & TCL_CLOSE_READ) ? SHUT_RD : SHUT_WR)
		< 0) {
	    return errno;
	}
	return 0;
    }
    WatchSet(&s->watch, 0);
    if (s->flags & TS_SERVER) {
	if (s->owner != Tcl_GetCurrentThread()) {
	    ServerCloseEvent *ev = ckalloc(sizeof(*ev));

	    ev->header.proc = ServerCloseEventProc;
	    ev->s = s;
	    Tcl_ThreadQueueEvent(s->owner, &ev->header, TCL_QUEUE_TAIL);
	    Tcl_ThreadAlert(s->owner);
	    return 0;
	}
	StopServer(s);
    }
    return FreeState(s);
}

/* Free what a closed channel's state holds, and the state. Returns the
 * close's errno, or 0. */
static int
FreeState(TcpState *s)
{
    int err = 0;

    if (s->p != NULL && s->p->conn.fd >= 0 && s->p->conn.fd == s->fd) {
	s->p->conn.fd = -1;
    }
    FreePending(s);
    if (s->fd >= 0 && close(s->fd) < 0) {
	err = errno;
    }
    if (s->unixPath != NULL) {
	ckfree(s->unixPath);
    }
    if (s->srv != NULL) {
	ckfree(s->srv);
    }
    ckfree(s);
    return err;
}

static void
ChannelReady(Watch *w, int mask)
{
    TcpState *s = w->data;

    Tcl_NotifyChannel(s->channel, mask);
}

static void
TcpWatch(ClientData instanceData, int mask)
{
    TcpState *s = instanceData;

    s->interest = mask & (TCL_READABLE | TCL_WRITABLE);
    if (s->flags & TS_SERVER) {
	return;
    }
    if (s->flags & (TS_RESOLVING | TS_CONNECTING)) {
	return;			/* Applied when connected. */
    }
    if (s->flags & TS_FAILED) {
	if (s->interest && s->p->failTimer == NULL) {
	    s->p->failTimer = Tcl_CreateTimerHandler(0, FailTimer, s);
	} else if (!s->interest && s->p->failTimer != NULL) {
	    Tcl_DeleteTimerHandler(s->p->failTimer);
	    s->p->failTimer = NULL;
	}
	return;
    }
    s->watch.proc = ChannelReady;
    WatchSet(&s->watch, s->interest);
}

static int
TcpBlockMode(ClientData instanceData, int mode)
{
    TcpState *s = instanceData;

    if (mode == TCL_MODE_NONBLOCKING) {
	s->flags |= TS_NONBLOCKING;
    } else {
	s->flags &= ~TS_NONBLOCKING;
    }
    if (s->fd >= 0 && !(s->flags & (TS_RESOLVING | TS_CONNECTING))) {
	SetNonblocking(s->fd, mode == TCL_MODE_NONBLOCKING);
    }
    return 0;
}

/* The socket of a client's options and handle: the connection, or while
 * it connects the first attempt in flight; -1 when there is none. */
static int
OptionFd(TcpState *s)
{
    if (s->fd >= 0) {
	return s->fd;
    }
    if (s->p != NULL && (s->flags & TS_CONNECTING) && s->p->conn.natt > 0) {
	return s->p->conn.att[0].fd;
    }
    return -1;
}

static int
TcpGetHandle(ClientData instanceData, int direction, ClientData *handlePtr)
{
    TcpState *s = instanceData;
    int fd = (s->flags & TS_SERVER) ? (s->srv->nListen ? s->srv->listen[0].fd : -1)
	    : OptionFd(s);

    (void) direction;
    if (fd < 0) {
	return TCL_ERROR;
    }
    *handlePtr = (ClientData) (intptr_t) fd;
    return TCL_OK;
}

/*
 * The channel moves to another thread: its events must come from that
 * thread's epoll set, and its timers (Tcl's are per thread) from that
 * thread's queue. REMOVE takes it out of this thread's and drops its
 * timers; INSERT puts it into the new thread's and makes them again from
 * the state they stand for. Lookups still running are let go (their
 * results are addressed to this thread), and started again from the new
 * one when no address is known yet.
 */
static void
TcpThreadAction(ClientData instanceData, int action)
{
    TcpState *s = instanceData;
    Pending *p = s->p;
    int i;

    if (s->flags & TS_SERVER) {
	return;			/* It stays with its thread (StopServer). */
    }
    if (action == TCL_CHANNEL_THREAD_REMOVE) {
	/* Lookups still running: their results are addressed to this
	 * thread. They are let go (to finish and be dropped). With no
	 * address known yet, what they look up is looked up again from the
	 * thread the channel moves to; else the machine goes on with what
	 * it has. This is also the way to close (Tcl removes a channel
	 * from its thread before closing it), so close never waits for a
	 * lookup. */
	if (p != NULL && (s->flags & TS_RESOLVING)) {
	    TakeLookups(s, -1);
	    p = s->p;
	}
	if (p != NULL && (s->flags & TS_RESOLVING)) {
	    if (p->conn.npairs == 0) {
		DetachAll(s);
		s->flags |= TS_RESOLVING;
		p->restart = 1;
	    } else {
		for (i = 0; i < 2; i++) {
		    if (p->lookup[i] != NULL) {
			Detach(s, i);
			p->conn.lookups--;
		    }
		}
		s->flags &= ~TS_RESOLVING;
	    }
	}
	WatchSet(&s->watch, 0);
	if (p != NULL) {
	    Unwatch(s);
	    DropTimer(&p->timeout);
	    DropTimer(&p->failTimer);
	    DropTimer(&p->raceTimer);
	}
    } else {
	/* Also called by Tcl_CreateChannel: timers made already stay. */
	s->owner = Tcl_GetCurrentThread();
	if (Restart(s) == 0 && (s->flags & TS_CONNECTING)) {
	    /* One step, without waiting: it watches the attempts and times
	     * the next (or finds the connect over). */
	    Step(s);
	    ArmTimeout(s);
	}
	if ((s->flags & TS_FAILED) && s->interest && s->p->failTimer == NULL) {
	    s->p->failTimer = Tcl_CreateTimerHandler(0, FailTimer, s);
	}
    }
}

/*
 *----------------------------------------------------------------------
 *
 * Options --
 *
 *----------------------------------------------------------------------
 */

static int
NoReverseDNS(Tcl_Interp *interp)
{
    return interp == NULL || Tcl_GetVar2(interp,
	    "::tcl::unsupported::noReverseDNS", NULL, TCL_GLOBAL_ONLY) != NULL;
}

/* Append {address host port} (or a Unix name) to dsPtr as elements;
 * as Tcl, no reverse lookup when ::tcl::unsupported::noReverseDNS exists. */
static void
AppendName(Tcl_Interp *interp, Tcl_DString *dsPtr, const struct sockaddr *sa,
	socklen_t len)
{
    struct sc__names n;
    int parts = sc__addr_names(sa, len, !NoReverseDNS(interp), &n);

    Tcl_DStringAppendElement(dsPtr, n.addr);
    if (parts == 3) {
	Tcl_DStringAppendElement(dsPtr, n.host);
	Tcl_DStringAppendElement(dsPtr, n.port);
    }
}

/*
 * -sockname (peer 0) or -peername (peer 1) into dsPtr. While connecting,
 * "" (as Tcl). After a failed connect, -sockname is the address the last
 * attempt used and -peername the error "socket is not connected" (Tcl
 * keeps that attempt's socket; we keep its address).
 */
static int
NameOption(TcpState *s, Tcl_Interp *interp, int peer, Tcl_DString *dsPtr,
	int report)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int i, r;

    if ((s->flags & TS_SERVER) && s->srv->path != NULL) {
	Tcl_DStringAppendElement(dsPtr, s->srv->path);
	return TCL_OK;
    }
    if (s->flags & TS_SERVER) {
	for (i = 0; i < s->srv->nListen; i++) {
	    len = sizeof(ss);
	    if (getsockname(s->srv->listen[i].fd, (struct sockaddr *) &ss,
		    &len) == 0) {
		AppendName(interp, dsPtr, (struct sockaddr *) &ss, len);
	    }
	}
	return TCL_OK;
    }
    if (s->flags & (TS_RESOLVING | TS_CONNECTING)) {
	return TCL_OK;		/* "" while connecting, as Tcl. */
    }
    if (s->fd < 0) {
	if (!peer && s->p != NULL && s->p->failedLen > 0) {
	    AppendName(interp, dsPtr, (struct sockaddr *) &s->p->failedName,
		    s->p->failedLen);
	    return TCL_OK;
	}
	if (!peer && (s->flags & TS_FAILED)) {
	    return TCL_OK;	/* No attempt got a socket. */
	}
	errno = ENOTCONN;
	r = -1;
    } else if (s->unixPath != NULL && peer == ((s->flags & TS_CLIENT) != 0)) {
	/* The path, not the kernel's name for a socket bound out of
	 * sight: a client's peer, an accepted channel's own end. */
	Tcl_DStringAppendElement(dsPtr, s->unixPath);
	return TCL_OK;
    } else if (peer) {
	r = getpeername(s->fd, (struct sockaddr *) &ss, &len);
    } else {
	r = getsockname(s->fd, (struct sockaddr *) &ss, &len);
    }
    if (r < 0) {
	if (interp && report) {
	    Tcl_SetObjResult(interp, Tcl_ObjPrintf("can't get %s: %s",
		    peer ? "peername" : "sockname", Tcl_PosixError(interp)));
	}
	return TCL_ERROR;
    }
    AppendName(interp, dsPtr, (struct sockaddr *) &ss, len);
    return TCL_OK;
}

static void
IntOption(TcpState *s, int level, int name, Tcl_DString *dsPtr)
{
    int v = 0, fd = OptionFd(s);
    socklen_t len = sizeof(v);

    if (fd < 0 || getsockopt(fd, level, name, &v, &len) < 0) {
	v = 0;
    }
    Tcl_DStringAppendElement(dsPtr, v ? "1" : "0");
}

/*
 * A failure's text: a plain system error in the running Tcl's words (Tcl
 * 9 has the system's, "no route to host" where 8.6 says "host is
 * unreachable"); any other text (a path with a NUL...) as it is.
 */
static const char *
ErrText(const struct sc__err *err)
{
    if (err->code != 0 && strcmp(err->text, sc_errno_msg(err->code)) == 0) {
	return Tcl_ErrnoMsg(err->code);
    }
    return err->text;
}

/* "-keepalive B -nodelay B", for the list of every option. */
static void
KeepaliveNodelay(TcpState *s, Tcl_DString *dsPtr)
{
    Tcl_DStringAppendElement(dsPtr, "-keepalive");
    IntOption(s, SOL_SOCKET, SO_KEEPALIVE, dsPtr);
    Tcl_DStringAppendElement(dsPtr, "-nodelay");
    IntOption(s, IPPROTO_TCP, TCP_NODELAY, dsPtr);
}

static void
ErrorOption(TcpState *s, Tcl_DString *dsPtr)
{
    Poke(s);
    if (s->flags & TS_FAILED) {
	if (!(s->flags & TS_REPORTED)) {
	    s->flags |= TS_REPORTED;	/* Cleared once read, as Tcl. */
	    Tcl_DStringAppend(dsPtr, ErrText(&s->p->failure), -1);
	}
	return;
    }
    if (s->fd >= 0 && !(s->flags & (TS_RESOLVING | TS_CONNECTING))) {
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0
		&& err != 0) {
	    Tcl_DStringAppend(dsPtr, Tcl_ErrnoMsg(err), -1);
	}
    }
}

static int
PeerCred(TcpState *s, Tcl_Interp *interp, Tcl_DString *dsPtr)
{
    char cred[96];

    if (s->fd < 0 || (s->flags & (TS_RESOLVING | TS_CONNECTING))) {
	return TCL_OK;		/* "" while connecting, as the C library. */
    }
    if (sc__unix_peercred(s->fd, cred, sizeof(cred)) < 0) {
	if (interp != NULL) {
	    Tcl_SetObjResult(interp, Tcl_ObjPrintf("can't get peercred: %s",
		    Tcl_PosixError(interp)));
	}
	return TCL_ERROR;
    }
    Tcl_DStringAppend(dsPtr, cred, -1);
    return TCL_OK;
}

/* The options a "bad option" message lists: Tcl's (which leaves out
 * -error), and ours. */
static const char *
OptionNames(TcpState *s)
{
    if (s->flags & TS_SERVER) {
#if TCL_MAJOR_VERSION >= 9
	if (!(s->flags & TS_UNIX)) {
	    return "connecting keepalive nodelay peername sockname";
	}
#endif
	return "connecting peername sockname";
    }
    if (s->flags & TS_UNIX) {
	return "connecting peercred peername sockname";
    }
    return "connecting keepalive nodelay peername sockname";
}

/* The options a query may name (MatchOption). */
static const char *
QueryNames(TcpState *s)
{
    if (s->flags & TS_SERVER) {
#if TCL_MAJOR_VERSION >= 9
	if (!(s->flags & TS_UNIX)) {
	    return "connecting error keepalive nodelay peername sockname";
	}
#endif
	return "connecting error peername sockname";
    }
    if (s->flags & TS_UNIX) {
	return "connecting error peercred peername sockname";
    }
    return "connecting error keepalive nodelay peername sockname";
}

/*
 * The option optionName names among names (space-separated, without the
 * dash): the exact name, or a unique prefix of at least one letter after
 * the dash, as Tcl 8.6 and 9 take "-peer" or "-s". Returns a pointer into
 * names at the match, or NULL.
 */
static const char *
MatchOption(const char *optionName, const char *names, size_t *lenPtr)
{
    const char *p = names, *hit = NULL;
    size_t len = strlen(optionName);
    int hits = 0;

    if (len < 2 || optionName[0] != '-') {
	return NULL;
    }
    while (*p != '\0') {
	size_t n = strcspn(p, " ");

	if (n == len - 1 && strncmp(p, optionName + 1, n) == 0) {
	    *lenPtr = n;
	    return p;		/* Exact. */
	}
	if (n >= len - 1 && strncmp(p, optionName + 1, len - 1) == 0) {
	    hit = p;
	    *lenPtr = n;
	    hits++;
	}
	p += n;
	while (*p == ' ') {
	    p++;
	}
    }
    return hits == 1 ? hit : NULL;
}

/* Is the matched name m (of length n) the option word? */
#define IS(m, n, word) ((n) == sizeof(word) - 1 && strncmp((m), (word), (n)) == 0)

static int
TcpGetOption(ClientData instanceData, Tcl_Interp *interp,
	const char *optionName, Tcl_DString *dsPtr)
{
    TcpState *s = instanceData;
    int server = (s->flags & TS_SERVER) != 0;
    int isUnix = (s->flags & TS_UNIX) != 0;
    const char *m;
    size_t n = 0;

    /* As Tcl: every query moves a pending connect on (a script that
     * polls without entering the event loop sees it finish). */
    if (!server) {
	Poke(s);
    }
    if (optionName == NULL) {
	/* All: as Tcl 8.6, -error and -connecting are not listed, a server
	 * has -sockname only, and a client whose connect failed has no
	 * -peername. Tcl 9 lists -keepalive and -nodelay last, servers
	 * too; 8.6 has neither, and they come first. */
#if TCL_MAJOR_VERSION < 9
	if (!server && !isUnix) {
	    KeepaliveNodelay(s, dsPtr);
	}
#endif
	if (!server && isUnix) {
	    Tcl_DString cred;

	    Tcl_DStringInit(&cred);
	    (void) PeerCred(s, NULL, &cred);	/* "" if it can't be had. */
	    Tcl_DStringAppendElement(dsPtr, "-peercred");
	    Tcl_DStringAppendElement(dsPtr, Tcl_DStringValue(&cred));
	    Tcl_DStringFree(&cred);
	}
	if (!server) {
	    Tcl_DString peer;

	    Tcl_DStringInit(&peer);
	    if (NameOption(s, interp, 1, &peer, 0) == TCL_OK) {
		Tcl_DStringAppendElement(dsPtr, "-peername");
		Tcl_DStringAppendElement(dsPtr, Tcl_DStringValue(&peer));
	    }
	    Tcl_DStringFree(&peer);
	}
	Tcl_DStringAppendElement(dsPtr, "-sockname");
	Tcl_DStringStartSublist(dsPtr);
	NameOption(s, interp, 0, dsPtr, 0);
	Tcl_DStringEndSublist(dsPtr);
#if TCL_MAJOR_VERSION >= 9
	if (!isUnix) {
	    KeepaliveNodelay(s, dsPtr);
	}
#endif
	return TCL_OK;
    }
    m = MatchOption(optionName, QueryNames(s), &n);
    if (m == NULL) {
	return Tcl_BadChannelOption(interp, optionName, OptionNames(s));
    }
    if (IS(m, n, "error")) {
	ErrorOption(s, dsPtr);
	return TCL_OK;
    }
    if (IS(m, n, "connecting")) {
	Tcl_DStringAppend(dsPtr, (s->flags & (TS_RESOLVING | TS_CONNECTING))
		? "1" : "0", -1);
	return TCL_OK;
    }
    if (IS(m, n, "sockname")) {
	return NameOption(s, interp, 0, dsPtr, 1);
    }
    if (IS(m, n, "peername")) {
	if (server) {
	    if (interp) {
		Tcl_SetObjResult(interp, Tcl_ObjPrintf("can't get peername: "
			"%s", Tcl_ErrnoMsg(ENOTCONN)));
		Tcl_SetErrorCode(interp, "POSIX", "ENOTCONN",
			Tcl_ErrnoMsg(ENOTCONN), NULL);
	    }
	    return TCL_ERROR;
	}
	return NameOption(s, interp, 1, dsPtr, 1);
    }
    if (IS(m, n, "peercred")) {
	return PeerCred(s, interp, dsPtr);
    }
    if (IS(m, n, "keepalive")) {
	IntOption(s, SOL_SOCKET, SO_KEEPALIVE, dsPtr);
	return TCL_OK;
    }
    IntOption(s, IPPROTO_TCP, TCP_NODELAY, dsPtr);	/* nodelay */
    return TCL_OK;
}

static int
TcpSetOption(ClientData instanceData, Tcl_Interp *interp,
	const char *optionName, const char *value)
{
    TcpState *s = instanceData;
    int level, name, b;
    const char *m = NULL;
    size_t n = 0;

    if (!(s->flags & (TS_SERVER | TS_UNIX))) {
	m = MatchOption(optionName, "keepalive nodelay", &n);
    }
    if (m == NULL) {
	return Tcl_BadChannelOption(interp, optionName,
		(s->flags & (TS_SERVER | TS_UNIX)) ? "" : "keepalive nodelay");
    }
    if (IS(m, n, "keepalive")) {
	level = SOL_SOCKET;
	name = SO_KEEPALIVE;
    } else {
	level = IPPROTO_TCP;
	name = TCP_NODELAY;
    }
    if (Tcl_GetBoolean(interp, value, &b) != TCL_OK) {
	return TCL_ERROR;
    }
    if (s->fd < 0 && s->p != NULL
	    && (s->flags & (TS_RESOLVING | TS_CONNECTING))) {
	/* Connecting: every attempt in flight now, and the one that wins
	 * when it is connected. */
	int i;

	for (i = 0; i < s->p->conn.natt; i++) {
	    (void) setsockopt(s->p->conn.att[i].fd, level, name, &b,
		    sizeof(b));
	}
	*(level == SOL_SOCKET ? &s->p->keepalive : &s->p->nodelay) = b != 0;
	return TCL_OK;
    }
    if (s->fd < 0 || setsockopt(s->fd, level, name, &b, sizeof(b)) < 0) {
	if (interp) {
	    Tcl_SetObjResult(interp, Tcl_ObjPrintf("couldn't set -%.*s: %s",
		    (int) n, m, Tcl_ErrnoMsg(s->fd < 0 ? ENOTCONN : errno)));
	}
	return TCL_ERROR;
    }
    return TCL_OK;
}

static const Tcl_ChannelType tcpType = {
    "tcp",
    TCL_CHANNEL_VERSION_5,
    TCL_CLOSE2PROC,
    TcpInput,
    TcpOutput,
    NULL,			/* seek */
    TcpSetOption,
    TcpGetOption,
    TcpWatch,
    TcpGetHandle,
    TcpClose2,
    TcpBlockMode,
    NULL,			/* flush */
    NULL,			/* handler */
    NULL,			/* wideSeek */
    TcpThreadAction,
    NULL			/* truncate */
};

static TcpState *
NewState(int flags)
{
    TcpState *s = ckalloc(sizeof(*s));

    memset(s, 0, sizeof(*s));
    s->fd = -1;
    s->flags = flags;
    if (flags & TS_SERVER) {
	s->srv = ckalloc(sizeof(*s->srv));
	memset(s->srv, 0, sizeof(*s->srv));
    } else if (flags & TS_CLIENT) {
	NewPending(s);
    }
    s->watch.fd = -1;
    s->watch.slot = -1;
    s->watch.data = s;
    s->owner = Tcl_GetCurrentThread();
    return s;
}

static Tcl_Channel
MakeChannel(TcpState *s, int mask, const char *prefix)
{
    char name[32];

    snprintf(name, sizeof(name), "%s%lx", prefix,
	    (unsigned long) (uintptr_t) s);
    s->channel = Tcl_CreateChannel(&tcpType, name, s, mask);
    return s->channel;
}

/*
 *----------------------------------------------------------------------
 *
 * Accepting --
 *
 *----------------------------------------------------------------------
 */

static void AcceptReady(Watch *w, int mask);

/* The interpreter of a server's accept command is being deleted: its
 * connections will be closed as they come (as Tcl's). */
static void
ServerInterpGone(ClientData clientData, Tcl_Interp *interp)
{
    TcpState *s = clientData;

    (void) interp;
    s->srv->interp = NULL;
}

/* A server's accept command runs in interp: follow its deletion. */
static void
ServerSetInterp(TcpState *s, Tcl_Interp *interp)
{
    s->srv->interp = interp;
    Tcl_CallWhenDeleted(interp, ServerInterpGone, s);
}

static void
Resume(ClientData clientData)
{
    TcpState *s = clientData;
    int i;

    s->srv->resume = NULL;
    s->flags &= ~TS_PAUSED;
    for (i = 0; i < s->srv->nListen; i++) {
	WatchSet(&s->srv->listen[i], TCL_READABLE);
    }
}

/* Out of descriptors: stop accepting for a while instead of spinning. */
static void
Pause(TcpState *s)
{
    int i;

    s->srv->backoff = s->srv->backoff ? s->srv->backoff * 2 : 10;
    if (s->srv->backoff > 1000) {
	s->srv->backoff = 1000;
    }
    s->flags |= TS_PAUSED;
    for (i = 0; i < s->srv->nListen; i++) {
	WatchSet(&s->srv->listen[i], 0);
    }
    s->srv->resume = Tcl_CreateTimerHandler(s->srv->backoff, Resume, s);
}

static void
AcceptReady(Watch *w, int mask)
{
    TcpState *server = w->data;
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char host[NI_MAXHOST], port[16];
    Tcl_Interp *interp = server->srv->interp;
    Tcl_DString cmd;
    TcpState *s;
    int fd, p, code;

    (void) mask;
    fd = accept4(w->fd, (struct sockaddr *) &ss, &len, SOCK_CLOEXEC);
    if (fd < 0) {
	if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS
		|| errno == ENOMEM) {
	    Pause(server);
	}
	return;			/* EAGAIN, or a client that gave up. */
    }
    server->srv->backoff = 0;
    s = NewState((server->flags & TS_UNIX) | 0);
    s->fd = fd;
    s->unixPath = Dup(server->srv->path);
    s->watch.fd = fd;
    MakeChannel(s, TCL_READABLE | TCL_WRITABLE,
	    (server->flags & TS_UNIX) ? "unix" : "sock");
    /* As Tcl: the command is a prefix, its arguments appended as text
     * (-server {set ::n 1; acc} is a script whose last command gets
     * them). */
    Tcl_DStringInit(&cmd);
    Tcl_DStringAppend(&cmd, Tcl_GetString(server->srv->script), -1);
    Tcl_DStringAppend(&cmd, " ", 1);
    Tcl_DStringAppend(&cmd, Tcl_GetChannelName(s->channel), -1);
    if (!(server->flags & TS_UNIX)) {
	/* unix_sockets(3tcl)'s handler gets the channel only. */
	Tcl_SetChannelOption(NULL, s->channel, "-translation", "auto crlf");
	sc__addr_numeric((struct sockaddr *) &ss, len, host, sizeof(host),
		&p);
	snprintf(port, sizeof(port), " %d", p);
	Tcl_DStringAppend(&cmd, " ", 1);
	Tcl_DStringAppend(&cmd, host, -1);
	Tcl_DStringAppend(&cmd, port, -1);
    }
    if (interp == NULL) {
	/* The server's interpreter was deleted (the channel lives on,
	 * shared elsewhere): nobody can take the connection. As Tcl. */
	Tcl_DStringFree(&cmd);
	Tcl_Close(NULL, s->channel);
	return;
    }
    /* As Tcl: registered in the interpreter, and held by a second
     * reference while the command runs (it may close the channel); a
     * command that fails leaves it to be closed. */
    Tcl_RegisterChannel(interp, s->channel);
    Tcl_RegisterChannel(NULL, s->channel);
    Tcl_Preserve(interp);
    /* Tcl 8.6 evaluates it in the current frame (Tcl_VarEval), Tcl 9 at
     * the global level. */
    code = Tcl_EvalEx(interp, Tcl_DStringValue(&cmd),
	    Tcl_DStringLength(&cmd),
	    TCL_MAJOR_VERSION >= 9 ? TCL_EVAL_GLOBAL : 0);
    if (code != TCL_OK) {
	Tcl_BackgroundException(interp, code);
	Tcl_UnregisterChannel(interp, s->channel);
    }
    Tcl_UnregisterChannel(NULL, s->channel);
    Tcl_Release(interp);
    Tcl_DStringFree(&cmd);
}

/*
 *----------------------------------------------------------------------
 *
 * sockchan::socket --
 *
 *	Tcl 9.0's socket command: socket ?-async? ?-myaddr addr? ?-myport
 *	myport? ?-timeout ms? host port, or socket -server command ?-backlog
 *	count? ?-myaddr addr? ?-reuseaddr boolean? ?-reuseport boolean? port.
 *
 *----------------------------------------------------------------------
 */

static int
SocketError(Tcl_Interp *interp, const struct sc__err *err)
{
    Tcl_SetObjResult(interp, Tcl_ObjPrintf("couldn't open socket: %s",
	    ErrText(err)));
    if (err->code != 0) {
	errno = err->code;
	Tcl_SetErrorCode(interp, "POSIX", Tcl_ErrnoId(),
		Tcl_ErrnoMsg(err->code), NULL);
    }
    return TCL_ERROR;
}

static int
Family(Tcl_Interp *interp)
{
    const char *af = Tcl_GetVar2(interp, "::tcl::unsupported::socketAF",
	    NULL, TCL_GLOBAL_ONLY);

    if (af == NULL) {
	return SC__FAMILY_ANY;
    }
    if (strcmp(af, "inet") == 0) {
	return SC__FAMILY_INET;
    }
    if (strcmp(af, "inet6") == 0) {
	return SC__FAMILY_INET6;
    }
    return SC__FAMILY_ANY;
}

/*
 * A port as the running Tcl takes it (TclSockGetPort): its own integers
 * first (Tcl 8.6 reads "010" as octal 8, Tcl 9 as decimal 10), else a
 * service name. A server's bad port is Tcl_OpenTcpServerEx's "invalid
 * port number" in Tcl 9, and "expected integer" in 8.6 as a client's.
 */
static int
GetPort(Tcl_Interp *interp, const char *text, int *port, int server)
{
    struct sc__err err;
    char number[TCL_INTEGER_SPACE];
    int n;

    if (Tcl_GetInt(NULL, text, &n) == TCL_OK) {
	snprintf(number, sizeof(number), "%d", n);
	text = number;		/* Then the range checks below. */
    }
    if (sc__parse_port(text, port, &err) < 0) {
	if (strncmp(err.text, "expected", 8) == 0) {
	    /* Neither an integer nor a service: the running Tcl's own
	     * words and errorCode (TCL VALUE INTEGER in 8.6, NUMBER in 9). */
	    (void) Tcl_GetInt(interp, text, &n);
	} else {
	    /* As Tcl: a port out of range is no system error (no
	     * errorCode). */
	    Tcl_SetObjResult(interp, Tcl_ObjPrintf("couldn't open socket: %s",
		    err.text));
	}
#if TCL_MAJOR_VERSION >= 9
	if (server) {
	    /* Tcl 9's Tcl_OpenTcpServerEx: one message for any bad port,
	     * the errorCode of the reading that failed. */
	    Tcl_SetObjResult(interp, Tcl_NewStringObj(
		    "couldn't open socket: invalid port number", -1));
	}
#else
	(void) server;
#endif
	return TCL_ERROR;
    }
    return TCL_OK;
}

static char *
Dup(const char *s)
{
    char *d;

    if (s == NULL) {
	return NULL;
    }
    d = ckalloc(strlen(s) + 1);
    strcpy(d, s);
    return d;
}

/*
 * Start lookup i of s's request (family: the family to ask for) on the
 * pool, its result addressed to this thread. Returns 0, or -1 with errno.
 */
static int
StartLookup(TcpState *s, int i, int family)
{
    Pending *p = s->p;
    LookupJob *job = calloc(1, sizeof(*job));
    LookupEvent *ev = (LookupEvent *) ckalloc(sizeof(*ev));

    memset(ev, 0, sizeof(*ev));
    if (job != NULL) {
	job->l.host = strdup(p->host);
	job->l.myaddr = p->myaddr ? strdup(p->myaddr) : NULL;
    }
    if (job == NULL || job->l.host == NULL
	    || (p->myaddr != NULL && job->l.myaddr == NULL)) {
	if (job != NULL) {
	    free(job->l.host);
	    free(job->l.myaddr);
	    free(job);
	}
	ckfree(ev);
	errno = ENOMEM;
	return -1;
    }
    ev->header.proc = LookupEventProc;
    ev->owner = s;
    ev->job = job;
    ev->slot = i;
    job->event = ev;
    job->thread = Tcl_GetCurrentThread();
    job->wakeFd = -1;
    job->l.port = p->port;
    job->l.myport = p->myport;
    job->l.family = family;
    job->l.done = LookupFinished;
    job->l.clientData = job;
    if (sc__lookup_start(&job->l) < 0) {
	int e = errno;

	free(job->l.host);
	free(job->l.myaddr);
	free(job);
	ckfree(ev);
	errno = e;
	return -1;
    }
    p->lookup[i] = ev;
    return 0;
}

/*
 * Start the lookups of s's request: one, or two side by side (every
 * address, and IPv4 alone) when it is split. Returns 0 (s is resolving),
 * or -1 with errno (none left running).
 */
static int
StartLookups(TcpState *s)
{
    Pending *p = s->p;
    int i, n = p->split ? 2 : 1;

    sc__connect_init(&p->conn, p->conn.delay, n);
    s->flags |= TS_RESOLVING | TS_CONNECTING;
    for (i = 0; i < n; i++) {
	if (StartLookup(s, i, i == 0 ? p->family : SC__FAMILY_INET) < 0) {
	    int e = errno;

	    DetachAll(s);
	    s->flags &= ~TS_CONNECTING;
	    errno = e;
	    return -1;
	}
    }
    return 0;
}

/* Give up what a client held while it connected (see Pending): the
 * attempts closed, the lookups let go. */
static void
FreePending(TcpState *s)
{
    Pending *p = s->p;

    if (p == NULL) {
	return;
    }
    Unwatch(s);
    DetachAll(s);
    DropTimer(&p->timeout);
    DropTimer(&p->failTimer);
    DropTimer(&p->raceTimer);
    sc__connect_free(&p->conn);
    if (p->host != NULL) {
	ckfree(p->host);
    }
    if (p->myaddr != NULL) {
	ckfree(p->myaddr);
    }
    ckfree(p);
    s->p = NULL;
}

/* A client's connecting state, made before it starts to connect. */
static void
NewPending(TcpState *s)
{
    int i;

    s->p = ckalloc(sizeof(*s->p));
    memset(s->p, 0, sizeof(*s->p));
    s->p->conn.fd = -1;
    s->p->keepalive = s->p->nodelay = -1;
    for (i = 0; i < SC__RACE_MAX; i++) {
	s->p->att[i].fd = -1;
	s->p->att[i].slot = -1;
    }
}

static int
OpenClient(Tcl_Interp *interp, const char *host, const char *portText,
	const char *myaddr, const char *myportText, int async, long timeoutMs)
{
    int port, myport = 0, family = Family(interp);
    TcpState *s;
    Pending *p;

    if (GetPort(interp, portText, &port, 0) != TCL_OK
	    || (myportText && GetPort(interp, myportText, &myport, 0) != TCL_OK)) {
	return TCL_ERROR;
    }
    /* The channel starts blocking, as Tcl's; the attempts' sockets are
     * nonblocking until one is connected. */
    s = NewState(TS_CLIENT);
    p = s->p;
    p->deadline = timeoutMs > 0 ? NowMs() + (uint64_t) timeoutMs : 0;
    p->conn.delay = SC__RACE_DELAY;

    if (!sc__host_is_numeric(host) || !sc__host_is_numeric(myaddr)) {
	/* A name: looked up on the pool, for a synchronous socket too (it
	 * waits for it in WaitForConnect, within the -timeout). */
	p->host = Dup(host);
	p->myaddr = Dup(myaddr);
	p->port = port;
	p->myport = myport;
	p->family = family;
	p->split = family == SC__FAMILY_ANY && !sc__host_is_numeric(host);
	if (StartLookups(s) < 0) {
	    struct sc__err err;

	    sc__err_set(&err, errno);
	    FreeState(s);
	    return SocketError(interp, &err);
	}
    } else {
	struct addrinfo *remote, *local;

	if (sc__resolve_pair(host, port, myaddr, myport, family, &remote,
		&local, &p->failure) < 0) {
	    if (!async) {
		struct sc__err err = p->failure;

		FreeState(s);
		return SocketError(interp, &err);
	    }
	    ConnectDone(s, SC_CONN_FAILED);
	} else {
	    int r = sc__connect_start(&p->conn, remote, local);

	    if (async && r == SC_CONN_FAILED
		    && p->conn.stage < SC_STAGE_CONNECT) {
		/* No connect() could even be made (a local address this host
		 * lacks, no socket): the caller's, at the call, as in Tcl; a
		 * network's answer never is. */
		struct sc__err err = p->conn.err;

		FreeState(s);
		return SocketError(interp, &err);
	    }
	    ConnectDone(s, r);
	}
    }
    ArmTimeout(s);		/* The lookup's time counts. */
    if (!async && WaitForConnect(s) < 0) {
	struct sc__err err = s->p->failure;

	TcpClose2(s, NULL, 0);
	return SocketError(interp, &err);
    }
    MakeChannel(s, TCL_READABLE | TCL_WRITABLE, "sock");
    Tcl_SetChannelOption(interp, s->channel, "-translation", "auto crlf");
    Tcl_RegisterChannel(interp, s->channel);
    Tcl_SetObjResult(interp, Tcl_NewStringObj(Tcl_GetChannelName(s->channel),
	    -1));
    return TCL_OK;
}

static int
OpenServer(Tcl_Interp *interp, Tcl_Obj *script, const char *myaddr,
	const char *portText, unsigned flags, int backlog)
{
    struct sc__err err;
    TcpState *s;
    int port, fds[MAX_LISTEN], n, i;

    if (GetPort(interp, portText, &port, 1) != TCL_OK) {
	return TCL_ERROR;	/* Tcl's words. */
    }
    n = sc__tcp_listen(myaddr, port, Family(interp), flags, backlog, fds,
	    MAX_LISTEN, &err);
    if (n < 0) {
	return SocketError(interp, &err);
    }
    s = NewState(TS_SERVER);
    ServerSetInterp(s, interp);
    s->srv->script = script;
    Tcl_IncrRefCount(script);
    s->srv->nListen = n;
    for (i = 0; i < n; i++) {
	s->srv->listen[i].fd = fds[i];
	s->srv->listen[i].slot = -1;
	s->srv->listen[i].proc = AcceptReady;
	s->srv->listen[i].data = s;
	WatchSet(&s->srv->listen[i], TCL_READABLE);
    }
    MakeChannel(s, 0, "sock");
    Tcl_RegisterChannel(interp, s->channel);
    Tcl_SetObjResult(interp, Tcl_NewStringObj(Tcl_GetChannelName(s->channel),
	    -1));
    return TCL_OK;
}

static int
SocketObjCmd(ClientData clientData, Tcl_Interp *interp, int objc,
	Tcl_Obj *const objv[])
{
    static const char *const options[] = {
	"-async", "-backlog", "-myaddr", "-myport", "-reuseaddr",
	"-reuseport", "-server", "-timeout", NULL
    };
    enum { OPT_ASYNC, OPT_BACKLOG, OPT_MYADDR, OPT_MYPORT, OPT_REUSEADDR,
	   OPT_REUSEPORT, OPT_SERVER, OPT_TIMEOUT };
    const char *myaddr = NULL, *myport = NULL;
    Tcl_Obj *script = NULL;
    int async = 0, backlog = -1, reuseaddr = -1, reuseport = -1, a;
    int sawServerOnly = 0;
    long timeoutMs = 0;

    (void) clientData;
    for (a = 1; a < objc; a++) {
	const char *arg = Tcl_GetString(objv[a]);
	int index;

	if (arg[0] != '-') {
	    break;
	}
	if (Tcl_GetIndexFromObj(interp, objv[a], options, "option",
		TCL_EXACT, &index) != TCL_OK) {
	    return TCL_ERROR;
	}
	if (index == OPT_ASYNC) {
	    if (script != NULL) {
		Tcl_SetObjResult(interp, Tcl_NewStringObj("cannot set -async "
			"option for server sockets", -1));
		return TCL_ERROR;
	    }
	    async = 1;
	    continue;
	}
	if (index == OPT_SERVER && async) {
	    /* Tcl checks this before the argument. */
	    Tcl_SetObjResult(interp, Tcl_NewStringObj("cannot set -async "
		    "option for server sockets", -1));
	    return TCL_ERROR;
	}
	if (a + 1 >= objc) {
	    Tcl_SetObjResult(interp, Tcl_ObjPrintf("no argument given for %s "
		    "option", options[index]));
	    return TCL_ERROR;
	}
	a++;
	switch (index) {
	case OPT_MYADDR:
	    myaddr = Tcl_GetString(objv[a]);
	    break;
	case OPT_MYPORT: {
	    int p;

	    /* As Tcl: the value is checked where it is parsed. */
	    myport = Tcl_GetString(objv[a]);
	    if (GetPort(interp, myport, &p, 0) != TCL_OK) {
		return TCL_ERROR;
	    }
	    break;
	}
	case OPT_SERVER:
	    script = objv[a];	/* -async was refused above. */
	    break;
	case OPT_BACKLOG:
	    if (Tcl_GetIntFromObj(interp, objv[a], &backlog) != TCL_OK) {
		return TCL_ERROR;
	    }
	    sawServerOnly = 1;
	    break;
	case OPT_REUSEADDR:
	    if (Tcl_GetBooleanFromObj(interp, objv[a], &reuseaddr) != TCL_OK) {
		return TCL_ERROR;
	    }
	    sawServerOnly = 1;
	    break;
	case OPT_REUSEPORT:
	    if (Tcl_GetBooleanFromObj(interp, objv[a], &reuseport) != TCL_OK) {
		return TCL_ERROR;
	    }
	    sawServerOnly = 1;
	    break;
	case OPT_TIMEOUT:
	    if (Tcl_GetLongFromObj(interp, objv[a], &timeoutMs) != TCL_OK) {
		return TCL_ERROR;
	    }
	    if (timeoutMs < 0) {
		Tcl_SetObjResult(interp, Tcl_ObjPrintf("bad timeout \"%s\": "
			"must be a non-negative number of milliseconds",
			Tcl_GetString(objv[a])));
		return TCL_ERROR;
	    }
	    break;
	}
    }
    if (script != NULL) {
	unsigned flags = 0;

	if (myport != NULL) {
	    Tcl_SetObjResult(interp, Tcl_NewStringObj("option -myport is not "
		    "valid for servers", -1));
	    return TCL_ERROR;
	}
	if (timeoutMs != 0) {
	    Tcl_SetObjResult(interp, Tcl_NewStringObj("option -timeout is not "
		    "valid for servers", -1));
	    return TCL_ERROR;
	}
	if (a != objc - 1) {
	    goto wrongNumArgs;
	}
	flags |= (reuseaddr != 0) ? SC__LISTEN_REUSEADDR : 0;
	flags |= (reuseport == 1) ? SC__LISTEN_REUSEPORT : 0;
	return OpenServer(interp, script, myaddr, Tcl_GetString(objv[a]),
		flags, backlog);
    }
    if (sawServerOnly) {
	Tcl_SetObjResult(interp, Tcl_NewStringObj("options -backlog, "
		"-reuseaddr, and -reuseport are only valid for servers", -1));
	return TCL_ERROR;
    }
    if (a != objc - 2) {
	goto wrongNumArgs;
    }
    return OpenClient(interp, Tcl_GetString(objv[a]),
	    Tcl_GetString(objv[a + 1]), myaddr, myport, async, timeoutMs);

  wrongNumArgs:
    {
	/* Both forms name the command as it was called (Tcl_WrongNumArgs
	 * knows an alias's name: take it from its message). */
	static const char client[] = " ?-async? ?-myaddr addr? ?-myport "
		"myport? ?-timeout ms? host port";
	const char *msg, *start, *end;

	Tcl_WrongNumArgs(interp, 1, objv, client + 1);
	msg = Tcl_GetString(Tcl_GetObjResult(interp));
	start = strchr(msg, '"');
	end = start ? strstr(start, client) : NULL;
	if (start != NULL && end != NULL) {
	    Tcl_Obj *r = Tcl_NewStringObj(msg, (Tcl_Size) (end - msg));

	    Tcl_AppendToObj(r, client, -1);
	    Tcl_AppendToObj(r, "\" or \"", -1);
	    Tcl_AppendToObj(r, start + 1, (Tcl_Size) (end - start - 1));
	    Tcl_AppendToObj(r, " -server command ?-backlog count? ?-myaddr "
		    "addr? ?-reuseaddr boolean? ?-reuseport boolean? port\"",
		    -1);
	    Tcl_SetObjResult(interp, r);
	}
	Tcl_SetErrorCode(interp, "TCL", "WRONGARGS", NULL);
	return TCL_ERROR;
    }
}

/*
 *----------------------------------------------------------------------
 *
 * sockchan::unix listen path handler / sockchan::unix connect ?-async?
 * path (and unix_sockets::listen, unix_sockets::connect) --
 *
 *----------------------------------------------------------------------
 */

/*
 * A path as the system takes it: in the system encoding, as Tcl's own
 * file commands pass it (a NUL, which Tcl holds as two bytes, becomes a
 * NUL byte here, and the core refuses it). The caller frees dsPtr.
 */
static const char *
ExternalPath(Tcl_Obj *pathObj, Tcl_DString *dsPtr, size_t *lenPtr)
{
    Tcl_Size len;
    const char *path = Tcl_GetStringFromObj(pathObj, &len);

    Tcl_UtfToExternalDString(NULL, path, len, dsPtr);
    *lenPtr = (size_t) Tcl_DStringLength(dsPtr);
    return Tcl_DStringValue(dsPtr);
}

static int
UnixListen(Tcl_Interp *interp, Tcl_Obj *pathObj, Tcl_Obj *handler)
{
    struct sc__err err;
    TcpState *s;
    Tcl_DString ds;
    size_t len;
    const char *path = ExternalPath(pathObj, &ds, &len);
    int fd;
    dev_t dev;
    ino_t ino;

    if (sc__unix_listen(path, len, 0, -1, &fd, &dev, &ino, &err) < 0) {
	Tcl_DStringFree(&ds);
	return SocketError(interp, &err);
    }
    s = NewState(TS_SERVER | TS_UNIX);
    ServerSetInterp(s, interp);
    s->srv->script = handler;
    Tcl_IncrRefCount(handler);
    s->srv->nListen = 1;
    s->srv->listen[0].fd = fd;
    s->srv->listen[0].slot = -1;
    s->srv->listen[0].proc = AcceptReady;
    s->srv->listen[0].data = s;
    if (ino != 0) {
	s->srv->path = Dup(path);
	s->srv->dev = dev;
	s->srv->ino = ino;
    }
    Tcl_DStringFree(&ds);
    WatchSet(&s->srv->listen[0], TCL_READABLE);
    MakeChannel(s, 0, "unix");
    Tcl_RegisterChannel(interp, s->channel);
    Tcl_SetObjResult(interp, Tcl_NewStringObj(Tcl_GetChannelName(s->channel),
	    -1));
    return TCL_OK;
}

static int
UnixConnect(Tcl_Interp *interp, Tcl_Obj *pathObj, int async)
{
    struct sockaddr_un sun;
    socklen_t sunLen;
    struct sc__err err;
    struct addrinfo *ai;
    TcpState *s;
    Tcl_DString ds;
    size_t len;
    const char *path = ExternalPath(pathObj, &ds, &len);
    int r = sc__unix_address(path, len, &sun, &sunLen, &err);

    Tcl_DStringFree(&ds);
    if (r < 0) {
	return SocketError(interp, &err);
    }
    ai = sc__unix_addrinfo(&sun, sunLen);
    if (ai == NULL) {
	sc__err_set(&err, ENOMEM);
	return SocketError(interp, &err);
    }
    s = NewState(TS_UNIX | TS_CLIENT);	/* Blocking, as Tcl's start. */
    if (sun.sun_path[0] != '\0') {
	s->unixPath = Dup(sun.sun_path);
    }
    s->p->conn.ownAlloc = 1;
    ConnectDone(s, sc__connect_start(&s->p->conn, ai, NULL));
    if (!async && WaitForConnect(s) < 0) {
	err = s->p->failure;
	TcpClose2(s, NULL, 0);
	return SocketError(interp, &err);
    }
    MakeChannel(s, TCL_READABLE | TCL_WRITABLE, "unix");
    Tcl_RegisterChannel(interp, s->channel);
    Tcl_SetObjResult(interp, Tcl_NewStringObj(Tcl_GetChannelName(s->channel),
	    -1));
    return TCL_OK;
}

static int
UnixObjCmd(ClientData clientData, Tcl_Interp *interp, int objc,
	Tcl_Obj *const objv[])
{
    static const char *const subs[] = {"connect", "listen", NULL};
    int index;

    (void) clientData;
    if (objc < 2) {
	Tcl_WrongNumArgs(interp, 1, objv, "listen|connect ...");
	return TCL_ERROR;
    }
    if (Tcl_GetIndexFromObj(interp, objv[1], subs, "subcommand", 0, &index)
	    != TCL_OK) {
	return TCL_ERROR;
    }
    if (index == 1) {
	if (objc != 4) {
	    Tcl_WrongNumArgs(interp, 2, objv, "path accept_handler");
	    return TCL_ERROR;
	}
	return UnixListen(interp, objv[2], objv[3]);
    }
    if (objc == 4 && strcmp(Tcl_GetString(objv[2]), "-async") == 0) {
	return UnixConnect(interp, objv[3], 1);
    }
    if (objc != 3) {
	Tcl_WrongNumArgs(interp, 2, objv, "?-async? path");
	return TCL_ERROR;
    }
    return UnixConnect(interp, objv[2], 0);
}

/* unix_sockets::listen path accept_handler (the seed's names). */
static int
CompatListenObjCmd(ClientData clientData, Tcl_Interp *interp, int objc,
	Tcl_Obj *const objv[])
{
    (void) clientData;
    if (objc != 3) {
	Tcl_WrongNumArgs(interp, 1, objv, "path accept_handler");
	Tcl_SetErrorCode(interp, "TCL", "WRONGARGS", NULL);
	return TCL_ERROR;
    }
    return UnixListen(interp, objv[1], objv[2]);
}

static int
CompatConnectObjCmd(ClientData clientData, Tcl_Interp *interp, int objc,
	Tcl_Obj *const objv[])
{
    (void) clientData;
    if (objc != 2) {
	Tcl_WrongNumArgs(interp, 1, objv, "path");
	Tcl_SetErrorCode(interp, "TCL", "WRONGARGS", NULL);
	return TCL_ERROR;
    }
    return UnixConnect(interp, objv[1], 0);
}

/*
 *----------------------------------------------------------------------
 *
 * Sockchan_Init --
 *
 *----------------------------------------------------------------------
 */

#ifndef DLLEXPORT
#define DLLEXPORT __attribute__((visibility("default")))
#endif

DLLEXPORT int Sockchan_Init(Tcl_Interp *interp);

int
Sockchan_Init(Tcl_Interp *interp)
{
    Tcl_Namespace *ns;

    if (Tcl_InitStubs(interp, "8.6-", 0) == NULL) {
	return TCL_ERROR;
    }
    GetThreadData();		/* The epoll descriptor, early and low. */
    /*
     * Tcl 8.6's select notifier starts its helper thread, and that
     * thread's pipe, at the first wait: after a script has opened a
     * thousand sockets, the pipe lands above 1023 and select aborts.
     * Start it now, while descriptors are low (Tcl_ServiceModeHook with
     * TCL_SERVICE_ALL does it; elsewhere it does nothing harmful).
     */
    Tcl_ServiceModeHook(TCL_SERVICE_ALL);
    Tcl_CreateObjCommand(interp, "::sockchan::socket", SocketObjCmd, NULL,
	    NULL);
    Tcl_CreateObjCommand(interp, "::sockchan::unix", UnixObjCmd, NULL,
	    NULL);
    /* namespace import ::sockchan::socket (or ::sockchan::*) works. */
    ns = Tcl_FindNamespace(interp, "::sockchan", NULL, 0);
    if (ns == NULL || Tcl_Export(interp, ns, "socket", 0) != TCL_OK
	    || Tcl_Export(interp, ns, "unix", 0) != TCL_OK) {
	return TCL_ERROR;
    }
    if (Tcl_FindCommand(interp, "::unix_sockets::listen", NULL, 0) == NULL) {
	Tcl_CreateObjCommand(interp, "::unix_sockets::listen",
		CompatListenObjCmd, NULL, NULL);
    }
    if (Tcl_FindCommand(interp, "::unix_sockets::connect", NULL, 0)
	    == NULL) {
	Tcl_CreateObjCommand(interp, "::unix_sockets::connect",
		CompatConnectObjCmd, NULL, NULL);
    }
    return Tcl_PkgProvide(interp, "sockchan", PACKAGE_VERSION);
}
