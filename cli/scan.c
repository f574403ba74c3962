/*
 * scan.c --
 *
 *	sockchan scan: an asynchronous TCP connect scanner, scan.tcl grown
 *	up. Every probe is a nonblocking connect() watched by a loop's file
 *	handler; one sweep timer per loop gives up on the ones that take
 *	longer than --timeout. Several loops, one per thread, share the work
 *	through an atomic counter; each loop keeps its own probes, so
 *	nothing else is shared but the result array, in which each probe
 *	has its own slot.
 *
 *	A probe ends as open (the connection was made: it is closed at once
 *	with a reset, SO_LINGER 0, so that it leaves no TIME_WAIT), closed
 *	(refused) or filtered (timed out after its retries, or unreachable),
 *	with the reason in Tcl's words. A connection that the kernel made
 *	from the scanner to itself (the target port picked as the source
 *	port) is not an open port: it is probed again.
 */

#include "cli.h"
#include "targets.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PROBES (1u << 24)	/* Hosts times ports in one scan. */
#define MAX_HOSTS (1u << 22)	/* Addresses in one scan. */
#define MAX_TARGETS (1u << 20)	/* Targets as written, in -iL or
				 * --excludefile files. */
#define MAX_INPUT_LINE 65536	/* Longest line of such a file. */
#define MAX_THREADS 8		/* Default upper bound on loops. */
#define MAX_CONCURRENCY 16384	/* Default upper bound on probes. */
#define LOOPBACK_CONCURRENCY 1024 /* The same when all targets are local. */
/*
 * A loop with at most this many probes in flight waits with poll(2), not
 * epoll: a probe's descriptor lives for one connect, and poll costs no
 * system call to start or stop watching it (epoll costs two); its scan of
 * the whole set stays small at this size.
 */
#define POLL_MAX 1024
#define FD_RESERVE 32		/* Descriptors left for stdio, files... */
#define FD_PER_LOOP 4		/* ... and for each loop (epoll, wake-up). */
#define CHUNK 256		/* Probes a loop takes from the counter. */
#define FILL_BATCH 128		/* Probes started between two looks at the
				 * events. */
#define SELF_TRIES 8		/* Self-connects before giving a port up. */
#define BACKOFF_MS 10		/* Wait after "no descriptor" with nothing
				 * in flight. */
#define STALL_MS 5000		/* ... and give up after this long. */
#define PROGRESS_FIRST_MS 1000
#define PROGRESS_EVERY_MS 250
#define IGNORE_OVER 25		/* -oG: a state with more ports is left out. */
#define ERR_SELF 255		/* Reason code: only ever itself. */

enum {
    ST_NONE,			/* Not probed (the scan was interrupted). */
    ST_OPEN,
    ST_CLOSED,
    ST_FILTERED
};

static const char *const stateNames[] = {"unscanned", "open", "closed",
	"filtered"};

/* The outcome of one probe: slot job = portIndex * numHosts + hostIndex. */
typedef struct Result {
    uint32_t rttUs;		/* The deciding attempt's time. */
    uint8_t state;		/* ST_*. */
    uint8_t err;		/* The errno behind it (0: connected). */
    uint16_t unused;
} Result;

/* A probe waiting to be started (again). */
typedef struct Job {
    uint32_t job;
    uint8_t tries;		/* Attempts that timed out so far. */
    uint8_t selfTries;		/* Attempts that connected to themselves. */
} Job;

struct Worker;

/* A connect in flight. */
typedef struct Probe {
    struct Probe *next, *prev;	/* The worker's list, oldest first (so
				 * by deadline), or the free list. */
    struct Worker *w;
    int fd;
    Job job;
    uint64_t startNs, deadlineNs;
} Probe;

typedef struct Scan Scan;

/* One loop and the probes it runs, on one thread. */
typedef struct Worker {
    Scan *scan;
    sc_loop *loop;
    pthread_t thread;
    Probe *probes;		/* maxCap of them. */
    Probe *freeList, *head, *tail;
    size_t inflight, cap, maxCap;
    sc_timer sweepTimer;
    int backoff;		/* A back-off timer is pending. */
    int lastErr;		/* Why the last start was put off. */
    uint64_t lastProgressNs;
    size_t lo, hi;		/* Fresh jobs taken from the counter. */
    int exhausted;		/* The counter has nothing more. */
    Job *retry;			/* Jobs to start again. */
    size_t numRetry, retryCap;
    uint64_t nextStartNs;	/* --max-rate: no start before this. */
    int paused;			/* A pacing timer is pending. */
    uint64_t nextHostCheckNs;	/* --host-timeout: the earliest host
				 * deadline among the probes in flight. */
} Worker;

struct Scan {
    /* What to do. */
    const cli_host *hosts;
    size_t numHosts;
    const uint16_t *ports;
    size_t numPorts;
    size_t total;
    long timeoutMs;
    int retries;
    uint64_t paceNs;		/* --max-rate: time between two starts
				 * (0: as fast as they go; one loop). */
    uint64_t hostTimeoutNs;	/* --host-timeout (0: none). */
    Result *results;
    _Atomic uint64_t *hostStartNs;	/* A host's first start (0: none
				 * yet); with hostTimeoutNs only. */
    atomic_uchar *hostTimedOut;	/* The host was given up. */

    /* Shared between the loops. */
    atomic_size_t nextJob;
    atomic_size_t done, open;
    atomic_size_t selfConnects, retried, backoffs;
    atomic_int stop;
    atomic_int fatalErr;
    atomic_int running;		/* Worker threads not finished. */

    /* Loop 0's (the main thread's). */
    Worker *workers;
    int numWorkers;
    int signo;
    uint64_t startNs;
    sc_timer progressTimer;
    int progressShown;
};

static uint64_t
NowNs(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

/*
 *----------------------------------------------------------------------
 *
 * Stopping --
 *
 *	Any loop may ask every loop to stop: a signal, or an error that
 *	makes the scan impossible. Posting wakes a loop that waits.
 *
 *----------------------------------------------------------------------
 */

static void
Nop(void *clientData)
{
    (void) clientData;
}

static void
StopAll(Scan *s)
{
    int i;

    atomic_store(&s->stop, 1);
    for (i = 0; i < s->numWorkers; i++) {
	(void) sc_loop_post(s->workers[i].loop, Nop, NULL);
    }
}

/* The scan cannot go on: remember the first reason, and stop. */
static void
Fatal(Scan *s, int err)
{
    int none = 0;

    (void) atomic_compare_exchange_strong(&s->fatalErr, &none,
	    err ? err : EIO);
    StopAll(s);
}

static void
SignalProc(void *clientData, int signo)
{
    Scan *s = clientData;

    if (signo == SIGCHLD || s->signo != 0) {
	return;
    }
    s->signo = signo;
    StopAll(s);
}

/*
 *----------------------------------------------------------------------
 *
 * Probes --
 *
 *----------------------------------------------------------------------
 */

/*
 * --host-timeout: has the host of this job been given up at time now? A
 * host's time runs from its first probe's start; once it is up, the
 * host is marked, and its probes not finished are abandoned.
 */
static int
HostGivenUp(Scan *s, uint32_t job, uint64_t now)
{
    size_t h = job % s->numHosts;
    uint64_t start;

    if (s->hostTimeoutNs == 0) {
	return 0;
    }
    if (atomic_load_explicit(&s->hostTimedOut[h], memory_order_relaxed)) {
	return 1;
    }
    start = atomic_load_explicit(&s->hostStartNs[h], memory_order_relaxed);
    if (start != 0 && now - start >= s->hostTimeoutNs) {
	atomic_store(&s->hostTimedOut[h], 1);
	return 1;
    }
    return 0;
}

/* The time a job's host is given up (its first start, a new one now). */
static uint64_t
HostDeadline(Scan *s, uint32_t job, uint64_t now)
{
    uint64_t none = 0;
    _Atomic uint64_t *start = &s->hostStartNs[job % s->numHosts];

    (void) atomic_compare_exchange_strong(start, &none, now);
    return atomic_load(start) + s->hostTimeoutNs;
}

/* The target of a job, as a socket address; returns its length. */
static socklen_t
JobAddress(const Scan *s, uint32_t job, struct sockaddr_storage *ss)
{
    const cli_host *h = &s->hosts[job % s->numHosts];
    uint16_t port = s->ports[job / s->numHosts];

    memset(ss, 0, sizeof(*ss));
    if (h->family == AF_INET) {
	struct sockaddr_in *sin = (struct sockaddr_in *) (void *) ss;

	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	memcpy(&sin->sin_addr, h->addr, 4);
	return sizeof(*sin);
    } else {
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) (void *) ss;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	memcpy(&sin6->sin6_addr, h->addr, 16);
	sin6->sin6_scope_id = h->scope;
	return sizeof(*sin6);
    }
}

/*
 * Did this connection reach the scanner itself: is its own address and
 * port the target's? Then the kernel chose the target port as the source
 * port, and TCP's simultaneous open connected the socket to itself.
 */
static int
IsSelfConnect(const Scan *s, int fd, uint32_t job)
{
    struct sockaddr_storage target, local;
    socklen_t localLen = sizeof(local);

    (void) JobAddress(s, job, &target);
    if (getsockname(fd, (struct sockaddr *) &local, &localLen) < 0) {
	return 0;
    }
    if (local.ss_family != target.ss_family) {
	return 0;
    }
    if (target.ss_family == AF_INET) {
	const struct sockaddr_in *a = (const void *) &local;
	const struct sockaddr_in *b = (const void *) &target;

	return a->sin_port == b->sin_port
		&& a->sin_addr.s_addr == b->sin_addr.s_addr;
    } else {
	const struct sockaddr_in6 *a = (const void *) &local;
	const struct sockaddr_in6 *b = (const void *) &target;

	return a->sin6_port == b->sin6_port
		&& memcmp(&a->sin6_addr, &b->sin6_addr, 16) == 0;
    }
}

/* Close a connected socket with a reset, so that no TIME_WAIT is left. */
static void
CloseReset(int fd)
{
    struct linger lg = {1, 0};

    (void) setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(fd);
}

static int
PushRetry(Worker *w, Job job)
{
    if (w->numRetry == w->retryCap) {
	size_t cap = w->retryCap ? 2 * w->retryCap : 64;
	Job *retry = realloc(w->retry, cap * sizeof(*retry));

	if (retry == NULL) {
	    Fatal(w->scan, ENOMEM);
	    return -1;
	}
	w->retry = retry;
	w->retryCap = cap;
    }
    w->retry[w->numRetry++] = job;
    return 0;
}

/*
 *----------------------------------------------------------------------
 *
 * Conclude --
 *
 *	Decide what a finished attempt says about its port, given the
 *	connect's outcome err (0: connected; ETIMEDOUT: gave up waiting).
 *
 * Results:
 *	None.
 *
 * Side effects:
 *	Closes fd. Either records the port's state, or queues the job to
 *	be tried again (a timeout with retries left, a self-connect).
 *
 *----------------------------------------------------------------------
 */

static void
Conclude(Worker *w, int fd, Job job, int err, uint64_t startNs)
{
    Scan *s = w->scan;
    uint64_t now = NowNs();
    Result *r = &s->results[job.job];
    int state;

    if (err == 0) {
	if (IsSelfConnect(s, fd, job.job)) {
	    CloseReset(fd);
	    atomic_fetch_add_explicit(&s->selfConnects, 1,
		    memory_order_relaxed);
	    if (job.selfTries < SELF_TRIES) {
		job.selfTries++;
		(void) PushRetry(w, job);
		return;
	    }
	    /*
	     * The kernel keeps handing out the target port itself, so
	     * nothing listens there; never call it open.
	     */
	    state = ST_CLOSED;
	    err = ERR_SELF;
	} else {
	    CloseReset(fd);
	    state = ST_OPEN;
	}
    } else {
	close(fd);
	if (err == ECONNREFUSED || err == ECONNRESET) {
	    state = ST_CLOSED;
	} else {
	    if (err == ETIMEDOUT && job.tries < s->retries) {
		job.tries++;
		atomic_fetch_add_explicit(&s->retried, 1,
			memory_order_relaxed);
		(void) PushRetry(w, job);
		return;
	    }
	    state = ST_FILTERED;
	}
    }
    r->state = (uint8_t) state;
    r->err = (uint8_t) (err > 255 ? EIO : err);
    r->rttUs = (now - startNs) / 1000 > UINT32_MAX ? UINT32_MAX
	    : (uint32_t) ((now - startNs) / 1000);
    atomic_fetch_add_explicit(&s->done, 1, memory_order_relaxed);
    if (state == ST_OPEN) {
	atomic_fetch_add_explicit(&s->open, 1, memory_order_relaxed);
    }
    w->lastProgressNs = now;
    if (w->cap < w->maxCap) {
	w->cap++;		/* Grow back after a back-off. */
    }
}

static void
Unlink(Worker *w, Probe *p)
{
    if (p->prev) {
	p->prev->next = p->next;
    } else {
	w->head = p->next;
    }
    if (p->next) {
	p->next->prev = p->prev;
    } else {
	w->tail = p->prev;
    }
}

/* Take a probe off the loop and the list, and give it back. */
static void
Release(Worker *w, Probe *p)
{
    sc_delete_file_handler(w->loop, p->fd);
    Unlink(w, p);
    p->next = w->freeList;
    w->freeList = p;
    w->inflight--;
}

/*
 * The connect finished (the socket is writable): read its outcome.
 */
static void
ProbeReady(void *clientData, int mask)
{
    Probe *p = clientData;
    Worker *w = p->w;
    int err = 0, fd = p->fd;
    socklen_t len = sizeof(err);
    Job job = p->job;
    uint64_t startNs = p->startNs;

    (void) mask;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) {
	err = errno;
    }
    Release(w, p);
    Conclude(w, fd, job, err, startNs);
}

static void Sweep(void *clientData);

/*
 * Make sure a timer is due when the oldest probe's time is up, or (with
 * --host-timeout) the first host's.
 */
static void
ArmSweep(Worker *w)
{
    uint64_t now, ms, due;

    if (w->sweepTimer != 0 || w->head == NULL) {
	return;
    }
    now = NowNs();
    due = w->head->deadlineNs < w->nextHostCheckNs ? w->head->deadlineNs
	    : w->nextHostCheckNs;
    ms = due > now ? (due - now + 999999u) / 1000000u : 0;
    w->sweepTimer = sc_create_timer(w->loop, (long) ms, Sweep, w);
    if (w->sweepTimer == 0) {
	Fatal(w->scan, ENOMEM);
    }
}

/*
 * --host-timeout: abandon the probes in flight of every host whose time
 * is up (their ports stay unscanned), unless their answer is in; note
 * when the next host's time is up.
 */
static void
AbandonHosts(Worker *w, uint64_t now)
{
    Scan *s = w->scan;
    Probe *p, *next;
    uint64_t due = UINT64_MAX;

    for (p = w->head; p != NULL; p = next) {
	next = p->next;
	if (HostGivenUp(s, p->job.job, now)) {
	    struct pollfd pfd;
	    int fd = p->fd;

	    pfd.fd = fd;
	    pfd.events = POLLOUT;
	    pfd.revents = 0;
	    if (poll(&pfd, 1, 0) == 1) {
		ProbeReady(p, SC_WRITABLE);
	    } else {
		Release(w, p);
		close(fd);
	    }
	} else {
	    uint64_t d = atomic_load(&s->hostStartNs[p->job.job
		    % s->numHosts]) + s->hostTimeoutNs;

	    due = d < due ? d : due;
	}
    }
    w->nextHostCheckNs = due;
}

/*
 * The sweep timer: every probe whose time is up has timed out. The list
 * is in start order, and all attempts wait as long, so these are at its
 * head.
 */
static void
Sweep(void *clientData)
{
    Worker *w = clientData;
    Scan *s = w->scan;
    uint64_t now = NowNs();

    w->sweepTimer = 0;
    if (s->hostTimeoutNs != 0 && now >= w->nextHostCheckNs) {
	AbandonHosts(w, now);
    }
    while (w->head != NULL && w->head->deadlineNs <= now) {
	Probe *p = w->head;
	struct pollfd pfd;

	/*
	 * The answer may have come and still wait in the loop behind other
	 * events (a loop hands out so many per wait): look before calling
	 * it a timeout.
	 */
	pfd.fd = p->fd;
	pfd.events = POLLOUT;
	pfd.revents = 0;
	if (poll(&pfd, 1, 0) == 1) {
	    ProbeReady(p, SC_WRITABLE);
	} else {
	    int fd = p->fd;
	    Job job = p->job;
	    uint64_t startNs = p->startNs;

	    Release(w, p);
	    Conclude(w, fd, job, ETIMEDOUT, startNs);
	}
    }
    ArmSweep(w);
}

/* Errors that mean "not now": out of descriptors, buffers or ports. */
static int
IsShortage(int err)
{
    return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM
	    || err == EADDRNOTAVAIL || err == EAGAIN;
}

/*
 *----------------------------------------------------------------------
 *
 * StartProbe --
 *
 *	Open a socket and start a nonblocking connect for a job.
 *
 * Results:
 *	0 if the job was started or settled; -1 if it must wait for a
 *	shortage (of descriptors or source ports) to pass, with the reason
 *	in w->lastErr.
 *
 * Side effects:
 *	A probe in flight with its handler, or a result; on an error
 *	that no retry can help (no IPv6 here), the scan stops.
 *
 *----------------------------------------------------------------------
 */

static int
StartProbe(Worker *w, Job job)
{
    Scan *s = w->scan;
    struct sockaddr_storage ss;
    socklen_t len = JobAddress(s, job.job, &ss);
    uint64_t now;
    Probe *p;
    int fd, err = 0;

    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
	if (IsShortage(errno)) {
	    w->lastErr = errno;
	    return -1;
	}
	Fatal(s, errno);
	return 0;
    }
    now = NowNs();
    if (connect(fd, (struct sockaddr *) &ss, len) < 0) {
	err = errno;
    }
    if (err == EINPROGRESS || err == EINTR) {
	p = w->freeList;
	p->fd = fd;
	p->job = job;
	p->startNs = now;
	p->deadlineNs = now + (uint64_t) s->timeoutMs * 1000000u;
	if (sc_create_file_handler(w->loop, fd, SC_WRITABLE, ProbeReady, p)
		< 0) {
	    close(fd);
	    w->lastErr = errno;
	    return -1;
	}
	w->freeList = p->next;
	p->next = NULL;
	p->prev = w->tail;
	if (w->tail) {
	    w->tail->next = p;
	} else {
	    w->head = p;
	}
	w->tail = p;
	w->inflight++;
	if (s->hostTimeoutNs != 0) {
	    uint64_t due = HostDeadline(s, job.job, now);

	    if (due < w->nextHostCheckNs) {
		w->nextHostCheckNs = due;
	    }
	}
	ArmSweep(w);
	return 0;
    }
    if (err == EADDRNOTAVAIL || err == EAGAIN) {
	close(fd);
	w->lastErr = err;
	return -1;
    }
    /* Settled at once: connected, refused, unreachable... */
    if (s->hostTimeoutNs != 0) {
	(void) HostDeadline(s, job.job, now);
    }
    Conclude(w, fd, job, err, now);
    return 0;
}

/*
 * A shortage with nothing in flight: wait a little, then try again; a
 * shortage that lasts is a reason the scan cannot run.
 */
static void
BackoffDone(void *clientData)
{
    Worker *w = clientData;

    w->backoff = 0;
    if (w->inflight == 0
	    && NowNs() - w->lastProgressNs > (uint64_t) STALL_MS * 1000000u) {
	Fatal(w->scan, w->lastErr);
    }
}

static void
Backoff(Worker *w)
{
    atomic_fetch_add_explicit(&w->scan->backoffs, 1, memory_order_relaxed);
    if (w->inflight > 0) {
	/* Ask for no more than what runs now; completions grow it back. */
	w->cap = w->inflight;
	return;
    }
    w->cap = 1;
    if (sc_create_timer(w->loop, BACKOFF_MS, BackoffDone, w) == 0) {
	Fatal(w->scan, ENOMEM);
	return;
    }
    w->backoff = 1;
}

static void
PaceDone(void *clientData)
{
    Worker *w = clientData;

    w->paused = 0;
}

/*
 * --max-rate: wait ns before the next start. A wait of a millisecond or
 * more is a timer (a millisecond short, as timers are late rather than
 * early); what remains is spent looking at events without waiting, so
 * that starts keep to the rate within microseconds. Returns 1 for the
 * latter.
 */
static int
Pause(Worker *w, uint64_t ns)
{
    if (ns < 2000000u) {
	return 1;
    }
    if (sc_create_timer(w->loop, (long) (ns / 1000000u - 1), PaceDone, w)
	    == 0) {
	Fatal(w->scan, ENOMEM);
	return 0;
    }
    w->paused = 1;
    return 0;
}

/*
 * Start jobs until the worker has as many in flight as it may, or has
 * started FILL_BATCH (so that completions are handled before they wait
 * long). Returns 1 if it stopped for the batch, with more to start.
 */
static int
Fill(Worker *w)
{
    Scan *s = w->scan;
    int started = 0;

    while (w->inflight < w->cap && !w->backoff && !w->paused
	    && !atomic_load(&s->stop)) {
	Job job;
	uint64_t now;

	if (started == FILL_BATCH) {
	    return 1;
	}
	if (w->numRetry > 0) {
	    job = w->retry[--w->numRetry];
	} else if (w->lo < w->hi) {
	    job.job = (uint32_t) w->lo++;
	    job.tries = job.selfTries = 0;
	} else if (!w->exhausted) {
	    size_t lo = atomic_fetch_add(&s->nextJob, CHUNK);

	    if (lo >= s->total) {
		w->exhausted = 1;
	    } else {
		w->lo = lo;
		w->hi = lo + CHUNK < s->total ? lo + CHUNK : s->total;
	    }
	    continue;
	} else {
	    break;
	}
	now = s->hostTimeoutNs != 0 || s->paceNs != 0 ? NowNs() : 0;
	if (HostGivenUp(s, job.job, now)) {
	    continue;
	}
	if (s->paceNs != 0) {
	    if (now < w->nextStartNs) {
		if (PushRetry(w, job) == 0 && Pause(w, w->nextStartNs - now)) {
		    return 1;
		}
		break;
	    }
	    w->nextStartNs = now + s->paceNs;
	}
	if (StartProbe(w, job) < 0) {
	    if (PushRetry(w, job) == 0) {
		Backoff(w);
	    }
	    break;
	}
	started++;
    }
    return 0;
}

/* Close whatever is still in flight (the scan was stopped). */
static void
Abandon(Worker *w)
{
    while (w->head != NULL) {
	Probe *p = w->head;
	int fd = p->fd;

	Release(w, p);
	close(fd);
    }
    if (w->sweepTimer != 0) {
	sc_delete_timer(w->loop, w->sweepTimer);
	w->sweepTimer = 0;
    }
}

/*
 *----------------------------------------------------------------------
 *
 * RunWorker --
 *
 *	Run one loop's share of the scan: keep it full, handle events,
 *	until the jobs are done or the scan is stopped.
 *
 *----------------------------------------------------------------------
 */

static void
RunWorker(Worker *w)
{
    Scan *s = w->scan;

    w->lastProgressNs = NowNs();
    for (;;) {
	int more = Fill(w);

	if (atomic_load(&s->stop)) {
	    break;
	}
	if (w->inflight == 0 && w->numRetry == 0 && w->exhausted
		&& !w->backoff) {
	    break;
	}
	if (sc_do_one_event(w->loop, SC_ALL_EVENTS
		| (more ? SC_DONT_WAIT : 0)) < 0) {
	    Fatal(s, errno);
	    break;
	}
    }
    Abandon(w);
}

static void
WorkerDone(void *clientData)
{
    Worker *w = clientData;

    sc_loop_release(w->scan->workers[0].loop);
}

static void *
WorkerThread(void *clientData)
{
    Worker *w = clientData;
    Scan *s = w->scan;

    RunWorker(w);
    atomic_fetch_sub(&s->running, 1);
    (void) sc_loop_post(s->workers[0].loop, WorkerDone, w);
    return NULL;
}

/*
 * The progress line, on a terminal, for scans longer than a second.
 */
static void
Progress(void *clientData)
{
    Scan *s = clientData;
    size_t done = atomic_load(&s->done);
    size_t open = atomic_load(&s->open);
    double elapsed = (double) (NowNs() - s->startNs) / 1e9;

    fprintf(stderr, "\r\033[Kscanning: %zu of %zu probes (%d%%), %zu open, "
	    "%.1f s", done, s->total, (int) (done * 100 / s->total), open,
	    elapsed);
    s->progressShown = 1;
    s->progressTimer = sc_create_timer(s->workers[0].loop,
	    PROGRESS_EVERY_MS, Progress, s);
}

/*
 *----------------------------------------------------------------------
 *
 * RunScan --
 *
 *	Run the scan on numWorkers loops (the first on this thread) with
 *	at most concurrency probes in flight in all.
 *
 * Results:
 *	0, or -1 if the loops could not be made (errno set).
 *
 * Side effects:
 *	Fills s->results; s->signo and s->fatalErr say if it was cut
 *	short.
 *
 *----------------------------------------------------------------------
 */

/*
 * Does every target answer from this machine's loopback? There a connect
 * settles within microseconds, so a few hundred in flight keep a core
 * busy, and more only cost descriptors.
 */
static int
AllLoopback(const Scan *s)
{
    static const unsigned char v6[16] = {[15] = 1};
    size_t i;

    for (i = 0; i < s->numHosts; i++) {
	const cli_host *h = &s->hosts[i];

	if (h->family == AF_INET ? h->addr[0] != 127
		: memcmp(h->addr, v6, 16) != 0) {
	    return 0;
	}
    }
    return 1;
}

static int
RunScan(Scan *s, int numWorkers, size_t concurrency)
{
    Worker *w0;
    int i, err = 0, started = 0;
    size_t per = (concurrency + (size_t) numWorkers - 1) / (size_t) numWorkers;

    s->workers = calloc((size_t) numWorkers, sizeof(Worker));
    if (s->workers == NULL) {
	return -1;
    }
    s->numWorkers = numWorkers;
    for (i = 0; i < numWorkers; i++) {
	Worker *w = &s->workers[i];
	size_t k;

	w->scan = s;
	w->maxCap = w->cap = per;
	w->nextHostCheckNs = UINT64_MAX;
	w->loop = sc_loop_new(per <= POLL_MAX ? SC_LOOP_POLL : 0);
	w->probes = calloc(per, sizeof(Probe));
	if (w->loop == NULL || w->probes == NULL) {
	    err = w->loop == NULL ? errno : ENOMEM;
	    goto done;
	}
	for (k = 0; k < per; k++) {
	    w->probes[k].w = w;
	    w->probes[k].next = k + 1 < per ? &w->probes[k + 1] : NULL;
	}
	w->freeList = &w->probes[0];
    }
    w0 = &s->workers[0];

    /* Signals first: the threads inherit the blocked mask. */
    if (cli_watch_signals(w0->loop, SignalProc, s) < 0) {
	err = errno;
	goto done;
    }
    s->startNs = NowNs();
    if (isatty(STDERR_FILENO)) {
	s->progressTimer = sc_create_timer(w0->loop, PROGRESS_FIRST_MS,
		Progress, s);
    }
    atomic_store(&s->running, numWorkers - 1);
    for (i = 1; i < numWorkers; i++) {
	sc_loop_hold(w0->loop);
	if (pthread_create(&s->workers[i].thread, NULL, WorkerThread,
		&s->workers[i]) != 0) {
	    sc_loop_release(w0->loop);
	    atomic_fetch_sub(&s->running, 1);
	    break;
	}
	started++;
    }
    RunWorker(w0);
    while (atomic_load(&s->running) > 0) {
	if (sc_do_one_event(w0->loop, SC_ALL_EVENTS) < 0) {
	    /* Cannot wait: stop the others and join them. */
	    StopAll(s);
	    break;
	}
    }
    for (i = 1; i <= started; i++) {
	pthread_join(s->workers[i].thread, NULL);
    }
    if (s->progressTimer != 0) {
	sc_delete_timer(w0->loop, s->progressTimer);
    }
    if (s->progressShown) {
	fputs("\r\033[K", stderr);
    }
    cli_unwatch_signals(w0->loop);

  done:
    for (i = 0; i < numWorkers; i++) {
	Worker *w = &s->workers[i];

	if (w->loop != NULL) {
	    sc_loop_free(w->loop);
	}
	free(w->probes);
	free(w->retry);
    }
    free(s->workers);
    s->workers = NULL;
    if (err != 0) {
	errno = err;
	return -1;
    }
    return 0;
}

/*
 *----------------------------------------------------------------------
 *
 * Output --
 *
 *	The results, in the formats asked for: the table or JSON Lines on
 *	stdout, and nmap's normal (-oN), XML (-oX) and greppable (-oG)
 *	formats. Every format says when the scan was interrupted and which
 *	hosts were given up (--host-timeout), and counts the ports that
 *	were not scanned.
 *
 *----------------------------------------------------------------------
 */

/* What every format needs besides the results. */
typedef struct Report {
    const Scan *s;
    char *const *services;
    int all;			/* --all: every port. */
    int open;			/* --open: open ports, hosts with one. */
    int argc;
    char **argv;		/* The command line, "scan" first. */
    time_t started, finished;
    double seconds;
} Report;

/* Service names by TCP port, from the services database (or NULL). */
static char **
LoadServices(void)
{
    char **names = calloc(65536, sizeof(*names));
    struct servent *se;

    if (names == NULL) {
	return NULL;
    }
    setservent(1);
    while ((se = getservent()) != NULL) {
	unsigned port = ntohs((uint16_t) se->s_port);

	if (strcmp(se->s_proto, "tcp") == 0 && names[port] == NULL) {
	    names[port] = strdup(se->s_name);
	}
    }
    endservent();
    return names;
}

static void
FreeServices(char **names)
{
    size_t i;

    if (names != NULL) {
	for (i = 0; i < 65536; i++) {
	    free(names[i]);
	}
	free(names);
    }
}

static const char *
Service(char *const *names, unsigned port)
{
    return names != NULL && names[port] != NULL ? names[port] : "";
}

/* The reason for a result, in Tcl's words. */
static const char *
Reason(const Result *r)
{
    if (r->state == ST_OPEN) {
	return "connected";
    }
    if (r->err == ERR_SELF) {
	return "connected to itself";
    }
    return sc_errno_msg(r->err);
}

/* The same in nmap's words (its --reason and XML vocabulary). */
static const char *
NmapReason(const Result *r)
{
    switch (r->state) {
    case ST_OPEN:
	return "syn-ack";
    case ST_CLOSED:
	return r->err == ECONNRESET ? "reset" : "conn-refused";
    default:
	break;
    }
    switch (r->err) {
    case EHOSTUNREACH:
	return "host-unreach";
    case ENETUNREACH:
	return "net-unreach";
    case EACCES:
    case EPERM:
	return "admin-prohibited";
    default:
	return "no-response";
    }
}

static const Result *
ResultOf(const Scan *s, size_t host, size_t port)
{
    return &s->results[port * s->numHosts + host];
}

static int
TimedOut(const Scan *s, size_t host)
{
    return s->hostTimedOut != NULL && s->hostTimedOut[host];
}

/* Why a host's ports were not scanned. */
static const char *
WhyUnscanned(const Scan *s, size_t host)
{
    return TimedOut(s, host) ? "host timed out" : "interrupted";
}

/* Is this result one of the rows of the table and JSON? */
static int
Listed(const Report *rp, const Result *r)
{
    return r->state == ST_OPEN || (rp->all && !rp->open);
}

/* Counts by state (ST_NONE: not probed) of one host, added to c. */
static void
CountHost(const Scan *s, size_t host, size_t c[4])
{
    size_t p;

    for (p = 0; p < s->numPorts; p++) {
	c[ResultOf(s, host, p)->state]++;
    }
}

/* Is a host shown at all (--open: only with an open port)? */
static int
HostShown(const Report *rp, const size_t c[4])
{
    return !rp->open || c[ST_OPEN] > 0;
}

/*
 * nmap's rule for its own formats: the ports of a state other than open
 * are counted, not listed, when there are more than IGNORE_OVER of them
 * (--open: always, even with --all; --all: never). Ports not scanned are
 * always counted.
 */
static int
Ignored(const Report *rp, const size_t c[4], int state)
{
    if (state == ST_NONE) {
	return 1;
    }
    if (state == ST_OPEN) {
	return 0;
    }
    if (rp->open) {
	return 1;
    }
    return !rp->all && c[state] > IGNORE_OVER;
}

/* The states one host's report leaves out, in nmap's order (closed,
 * filtered, unscanned), those with ports only: their count. */
static int
IgnoredStates(const Report *rp, const size_t c[4], int states[3])
{
    static const int order[3] = {ST_CLOSED, ST_FILTERED, ST_NONE};
    int i, n = 0;

    for (i = 0; i < 3; i++) {
	if (c[order[i]] > 0 && Ignored(rp, c, order[i])) {
	    states[n++] = order[i];
	}
    }
    return n;
}

static void
PrintCounts(FILE *out, const size_t c[4])
{
    fprintf(out, "%zu open, %zu closed, %zu filtered", c[ST_OPEN],
	    c[ST_CLOSED], c[ST_FILTERED]);
    if (c[ST_NONE] > 0) {
	fprintf(out, ", %zu not scanned", c[ST_NONE]);
    }
}

/* "interrupted by SIGINT" and the like, or NULL for a scan that ended. */
static const char *
Interruption(const Scan *s, char *buf, size_t len)
{
    if (s->signo == 0) {
	return NULL;
    }
    snprintf(buf, len, "interrupted by %s", s->signo == SIGINT ? "SIGINT"
	    : s->signo == SIGTERM ? "SIGTERM" : s->signo == SIGHUP ? "SIGHUP"
	    : s->signo == SIGQUIT ? "SIGQUIT" : "a signal");
    return buf;
}

/*
 * The default output: the listed ports as a table, then a line per host
 * with its counts (every host when there are few, else those with an
 * open port; a host given up says so), then the totals.
 */
static void
PrintTable(FILE *out, const Report *rp)
{
    const Scan *s = rp->s;
    size_t h, p, rows = 0, total[4] = {0, 0, 0, 0};
    int hostWidth = 4, serviceWidth = 7;
    char addr[CLI_HOST_LEN], why[64];

    for (h = 0; h < s->numHosts; h++) {
	int width;

	cli_host_format(&s->hosts[h], addr, sizeof(addr));
	width = (int) strlen(addr);
	for (p = 0; p < s->numPorts; p++) {
	    const Result *r = ResultOf(s, h, p);

	    if (r->state != ST_NONE && Listed(rp, r)) {
		int sw = (int) strlen(Service(rp->services, s->ports[p]));

		hostWidth = width > hostWidth ? width : hostWidth;
		serviceWidth = sw > serviceWidth ? sw : serviceWidth;
		rows++;
	    }
	}
    }
    if (rows > 0) {
	fprintf(out, "%-*s  %-5s  %-8s  %-*s  %12s  %s\n", hostWidth, "HOST",
		"PORT", "STATE", serviceWidth, "SERVICE", "RTT", "REASON");
    }
    for (h = 0; h < s->numHosts; h++) {
	cli_host_format(&s->hosts[h], addr, sizeof(addr));
	for (p = 0; p < s->numPorts; p++) {
	    const Result *r = ResultOf(s, h, p);

	    if (r->state != ST_NONE && Listed(rp, r)) {
		fprintf(out, "%-*s  %-5u  %-8s  %-*s  %9.3f ms  %s\n",
			hostWidth, addr, (unsigned) s->ports[p],
			stateNames[r->state], serviceWidth,
			Service(rp->services, s->ports[p]),
			r->rttUs / 1000.0, Reason(r));
	    }
	}
    }
    if (rows > 0) {
	fputc('\n', out);
    }
    for (h = 0; h < s->numHosts; h++) {
	size_t c[4] = {0, 0, 0, 0};

	CountHost(s, h, c);
	for (p = 0; p < 4; p++) {
	    total[p] += c[p];
	}
	if (HostShown(rp, c) && (s->numHosts <= 64 || c[ST_OPEN] > 0
		|| TimedOut(s, h))) {
	    cli_host_format(&s->hosts[h], addr, sizeof(addr));
	    fprintf(out, "%s", addr);
	    if (s->hosts[h].name != NULL) {
		fprintf(out, " (%s)", s->hosts[h].name);
	    }
	    fputs(TimedOut(s, h) ? ": host timed out: " : ": ", out);
	    PrintCounts(out, c);
	    fputc('\n', out);
	}
    }
    fprintf(out, "%s%s%zu host%s, %zu port%s in %.2f s: ",
	    s->signo ? Interruption(s, why, sizeof(why)) : "",
	    s->signo ? ": scanned " : "scanned ", s->numHosts,
	    s->numHosts == 1 ? "" : "s", s->numPorts,
	    s->numPorts == 1 ? "" : "s", rp->seconds);
    PrintCounts(out, total);
    fputc('\n', out);
}

/*
 * JSON Lines, one object per listed port; with --all, the ports not
 * scanned too, state "unscanned" and the reason why.
 */
static void
PrintJson(FILE *out, const Report *rp)
{
    const Scan *s = rp->s;
    size_t h, p;
    char addr[CLI_HOST_LEN];

    for (h = 0; h < s->numHosts; h++) {
	cli_host_format(&s->hosts[h], addr, sizeof(addr));
	for (p = 0; p < s->numPorts; p++) {
	    const Result *r = ResultOf(s, h, p);

	    /* Every string here is an address or a fixed word: no escapes. */
	    if (!Listed(rp, r)) {
		continue;
	    }
	    fprintf(out, "{\"host\":\"%s\",\"port\":%u,\"state\":\"%s\","
		    "\"reason\":\"%s\",\"rtt_ms\":%.3f}\n", addr,
		    (unsigned) s->ports[p], stateNames[r->state],
		    r->state == ST_NONE ? WhyUnscanned(s, h) : Reason(r),
		    r->rttUs / 1000.0);
	}
    }
}

/* nmap's time stamps: "Sun Dec  6 03:51:57 2026". */
static void
FormatTime(time_t t, char *buf, size_t len)
{
    struct tm tm;

    strftime(buf, len, "%a %b %e %H:%M:%S %Y", localtime_r(&t, &tm));
}

/* "sockchan scan -p 22 127.0.0.1": the command line. */
static void
PrintCommand(FILE *out, const Report *rp)
{
    int i;

    fputs("sockchan", out);
    for (i = 0; i < rp->argc; i++) {
	fprintf(out, " %s", rp->argv[i]);
    }
}

/*
 * The first line of -oN and -oG, and the last:
 *	# sockchan 0.3.0 scan initiated DATE as: sockchan scan ...
 *	# sockchan done at DATE -- 1 IP address (1 host up) scanned in 0.13 seconds
 * An interrupted scan's last line says "interrupted by SIGINT at" and
 * counts the ports not scanned.
 */
static void
PrintHeader(FILE *out, const Report *rp)
{
    char when[64];

    FormatTime(rp->started, when, sizeof(when));
    fprintf(out, "# sockchan %s scan initiated %s as: ", sc_version(), when);
    PrintCommand(out, rp);
    fputc('\n', out);
}

static void
PrintTrailer(FILE *out, const Report *rp)
{
    const Scan *s = rp->s;
    char when[64], why[64];
    size_t unscanned = s->total - atomic_load(&s->done);

    FormatTime(rp->finished, when, sizeof(when));
    fprintf(out, "# sockchan %s at %s -- %zu IP address%s (%zu host%s up) "
	    "scanned in %.2f seconds", s->signo ? Interruption(s, why,
	    sizeof(why)) : "done", when, s->numHosts,
	    s->numHosts == 1 ? "" : "es", s->numHosts,
	    s->numHosts == 1 ? "" : "s", rp->seconds);
    if (s->signo) {
	fprintf(out, "; %zu port%s not scanned", unscanned,
		unscanned == 1 ? "" : "s");
    }
    fputc('\n', out);
}

/*
 * nmap's greppable format (-oG): per host a status line and a ports
 * line, "port/state/tcp//service///" items. A state counted, not listed
 * (see Ignored), is "Ignored State" when it is the only one, as in nmap.
 * A host given up (--host-timeout) has a third line, "Status: Timeout".
 */
static void
PrintGreppable(FILE *out, const Report *rp)
{
    const Scan *s = rp->s;
    char addr[CLI_HOST_LEN];
    size_t h, p;

    PrintHeader(out, rp);
    for (h = 0; h < s->numHosts; h++) {
	const char *name = s->hosts[h].name ? s->hosts[h].name : "";
	size_t c[4] = {0, 0, 0, 0};
	int ignored = -1, numIgnored = 0, first = 1, st;

	CountHost(s, h, c);
	if (!HostShown(rp, c)) {
	    continue;
	}
	for (st = ST_CLOSED; st <= ST_FILTERED; st++) {
	    if (c[st] > 0 && Ignored(rp, c, st)) {
		ignored = st;
		numIgnored++;
	    }
	}
	cli_host_format(&s->hosts[h], addr, sizeof(addr));
	fprintf(out, "Host: %s (%s)\tStatus: Up\n", addr, name);
	fprintf(out, "Host: %s (%s)\tPorts: ", addr, name);
	for (p = 0; p < s->numPorts; p++) {
	    const Result *r = ResultOf(s, h, p);

	    if (Ignored(rp, c, r->state)) {
		continue;
	    }
	    fprintf(out, "%s%u/%s/tcp//%s///", first ? "" : ", ",
		    (unsigned) s->ports[p], stateNames[r->state],
		    Service(rp->services, s->ports[p]));
	    first = 0;
	}
	if (numIgnored == 1) {
	    fprintf(out, "\tIgnored State: %s (%zu)", stateNames[ignored],
		    c[ignored]);
	}
	if (c[ST_NONE] > 0) {
	    fprintf(out, "\tNot scanned: %zu (%s)", c[ST_NONE],
		    WhyUnscanned(s, h));
	}
	fputc('\n', out);
	if (TimedOut(s, h)) {
	    fprintf(out, "Host: %s (%s)\tStatus: Timeout\n", addr, name);
	}
    }
    PrintTrailer(out, rp);
}

/* Reasons and their counts among the ports of one state of a host. */
typedef struct ReasonCount {
    const char *reason;
    size_t count;
} ReasonCount;

static int
CountReasons(const Scan *s, size_t host, int state, ReasonCount *rc, int max)
{
    size_t p;
    int n = 0, i;

    for (p = 0; p < s->numPorts; p++) {
	const Result *r = ResultOf(s, host, p);
	const char *why;

	if (r->state != state) {
	    continue;
	}
	why = state == ST_NONE ? WhyUnscanned(s, host) : NmapReason(r);
	for (i = 0; i < n && strcmp(rc[i].reason, why) != 0; i++) {
	}
	if (i == n) {
	    if (n == max) {
		continue;
	    }
	    rc[n].reason = why;
	    rc[n++].count = 0;
	}
	rc[i].count++;
    }
    return n;
}

/* The fastest answer (open or closed) of a host, in seconds, or -1. */
static double
Latency(const Scan *s, size_t host)
{
    size_t p;
    uint32_t best = UINT32_MAX;

    for (p = 0; p < s->numPorts; p++) {
	const Result *r = ResultOf(s, host, p);

	if ((r->state == ST_OPEN || r->state == ST_CLOSED) && r->rttUs < best) {
	    best = r->rttUs;
	}
    }
    return best == UINT32_MAX ? -1 : best / 1e6;
}

/*
 * nmap's normal format (-oN): a report per host, its states counted
 * ("Not shown: ...") or listed in a PORT STATE SERVICE table.
 */
static void
PrintNormal(FILE *out, const Report *rp)
{
    const Scan *s = rp->s;
    char addr[CLI_HOST_LEN], item[16];
    size_t h, p;

    PrintHeader(out, rp);
    for (h = 0; h < s->numHosts; h++) {
	size_t c[4] = {0, 0, 0, 0}, listed = 0;
	int st, nIgnored, ignored[3], portWidth = 4, stateWidth = 5, first = 1;
	double latency = Latency(s, h);

	CountHost(s, h, c);
	if (!HostShown(rp, c)) {
	    continue;
	}
	cli_host_format(&s->hosts[h], addr, sizeof(addr));
	if (s->hosts[h].name != NULL) {
	    fprintf(out, "sockchan scan report for %s (%s)\n",
		    s->hosts[h].name, addr);
	} else {
	    fprintf(out, "sockchan scan report for %s\n", addr);
	}
	if (latency >= 0) {
	    fprintf(out, "Host is up (%.2gs latency).\n", latency);
	} else {
	    fputs("Host is up.\n", out);
	}
	if (TimedOut(s, h)) {
	    fprintf(out, "Host timed out after %.2f s.\n",
		    s->hostTimeoutNs / 1e9);
	}
	for (p = 0; p < s->numPorts; p++) {
	    const Result *r = ResultOf(s, h, p);

	    if (!Ignored(rp, c, r->state)) {
		int n = snprintf(item, sizeof(item), "%u/tcp",
			(unsigned) s->ports[p]);
		int w = (int) strlen(stateNames[r->state]);

		portWidth = n > portWidth ? n : portWidth;
		stateWidth = w > stateWidth ? w : stateWidth;
		listed++;
	    }
	}
	nIgnored = IgnoredStates(rp, c, ignored);
	for (st = 0; st < nIgnored; st++) {
	    int state = ignored[st];
	    ReasonCount rc[8];
	    int n, i;

	    if (first && listed == 0 && c[ST_NONE] < s->numPorts) {
		fprintf(out, "All %zu scanned ports on %s are in ignored "
			"states.\n", s->numPorts - c[ST_NONE], addr);
	    }
	    fprintf(out, "%s%zu %s tcp port%s (", first ? "Not shown: " : ", ",
		    c[state], state == ST_NONE ? "unscanned" : stateNames[state],
		    c[state] == 1 ? "" : "s");
	    n = CountReasons(s, h, state, rc, 8);
	    for (i = 0; i < n; i++) {
		if (n == 1) {
		    fputs(rc[i].reason, out);
		} else {
		    fprintf(out, "%s%zu %s", i ? ", " : "", rc[i].count,
			    rc[i].reason);
		}
	    }
	    fputc(')', out);
	    first = 0;
	}
	if (!first) {
	    fputc('\n', out);
	}
	if (listed > 0) {
	    fprintf(out, "%-*s %-*s SERVICE\n", portWidth, "PORT", stateWidth,
		    "STATE");
	    for (p = 0; p < s->numPorts; p++) {
		const Result *r = ResultOf(s, h, p);
		const char *service = Service(rp->services, s->ports[p]);

		if (Ignored(rp, c, r->state)) {
		    continue;
		}
		snprintf(item, sizeof(item), "%u/tcp", (unsigned) s->ports[p]);
		fprintf(out, "%-*s %-*s %s\n", portWidth, item, stateWidth,
			stateNames[r->state], *service ? service : "unknown");
	    }
	}
	fputc('\n', out);
    }
    PrintTrailer(out, rp);
}

/*
 * Text in an XML attribute: markup characters as references, control
 * characters (which XML 1.0 cannot hold) as '?'. In a comment (comment
 * set) only "--" needs care: nmap writes it "-&#45;".
 */
static void
XmlText(FILE *out, const char *text, int comment)
{
    const unsigned char *p;

    for (p = (const unsigned char *) text; *p != '\0'; p++) {
	if (comment) {
	    if (*p == '-' && p[1] == '-') {
		fputs("-&#45;", out);
		p++;
	    } else {
		fputc(*p < 0x20 ? '?' : *p, out);
	    }
	    continue;
	}
	switch (*p) {
	case '&':
	    fputs("&amp;", out);
	    break;
	case '<':
	    fputs("&lt;", out);
	    break;
	case '>':
	    fputs("&gt;", out);
	    break;
	case '"':
	    fputs("&quot;", out);
	    break;
	default:
	    fputc(*p < 0x20 ? '?' : *p, out);
	}
    }
}

static void
XmlCommand(FILE *out, const Report *rp, int comment)
{
    int i;

    fputs("sockchan", out);
    for (i = 0; i < rp->argc; i++) {
	fputc(' ', out);
	XmlText(out, rp->argv[i], comment);
    }
}

/*
 * The ports of the scan (host: -1) or of one host's results with a state
 * and reason, as nmap writes them: "1-30,8080".
 */
static void
PrintRanges(FILE *out, const Scan *s, long host, int state,
	const char *reason)
{
    size_t p;
    long first = -1, last = -1;
    int any = 0;

    for (p = 0; p <= s->numPorts; p++) {
	long port = -1;

	if (p < s->numPorts) {
	    const Result *r = host < 0 ? NULL : ResultOf(s, (size_t) host, p);

	    if (r == NULL || (r->state == state && strcmp(reason,
		    state == ST_NONE ? WhyUnscanned(s, (size_t) host)
		    : NmapReason(r)) == 0)) {
		port = s->ports[p];
	    }
	}
	if (port >= 0 && first >= 0 && port == last + 1) {
	    last = port;
	    continue;
	}
	if (first >= 0) {
	    fprintf(out, "%s%ld", any ? "," : "", first);
	    if (last > first) {
		fprintf(out, "-%ld", last);
	    }
	    any = 1;
	}
	first = last = port;
    }
}

/*
 * nmap's XML (-oX), valid against nmap's DTD (nmap.dtd) and read by its
 * tools (ndiff, nmap.xsl). The DTD allows only scanner="nmap"; args and
 * the comment say it was sockchan. A host given up has timedout="true";
 * the ports not scanned are an extraports of state "unscanned"; an
 * interrupted scan ends with exit="error" and the reason in errormsg.
 */
static void
PrintXml(FILE *out, const Report *rp)
{
    const Scan *s = rp->s;
    char when[64], end[64], why[64], addr[CLI_HOST_LEN];
    size_t h, p;

    FormatTime(rp->started, when, sizeof(when));
    FormatTime(rp->finished, end, sizeof(end));
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<!DOCTYPE nmaprun>\n"
	    "<?xml-stylesheet href=\"file:///usr/share/nmap/nmap.xsl\" "
	    "type=\"text/xsl\"?>\n", out);
    fprintf(out, "<!-- sockchan %s scan initiated %s as: ", sc_version(),
	    when);
    XmlCommand(out, rp, 1);
    fputs(" -->\n<nmaprun scanner=\"nmap\" args=\"", out);
    XmlCommand(out, rp, 0);
    fprintf(out, "\" start=\"%lld\" startstr=\"%s\" version=\"%s\" "
	    "xmloutputversion=\"1.05\">\n", (long long) rp->started, when,
	    sc_version());
    fprintf(out, "<scaninfo type=\"connect\" protocol=\"tcp\" "
	    "numservices=\"%zu\" services=\"", s->numPorts);
    PrintRanges(out, s, -1, 0, "");
    fputs("\"/>\n<verbose level=\"0\"/>\n<debugging level=\"0\"/>\n", out);

    for (h = 0; h < s->numHosts; h++) {
	size_t c[4] = {0, 0, 0, 0};
	int st, nIgnored, ignored[3];

	CountHost(s, h, c);
	if (!HostShown(rp, c)) {
	    continue;
	}
	cli_host_format(&s->hosts[h], addr, sizeof(addr));
	fprintf(out, "<host starttime=\"%lld\" endtime=\"%lld\"%s>"
		"<status state=\"up\" reason=\"user-set\" reason_ttl=\"0\"/>\n"
		"<address addr=\"%s\" addrtype=\"%s\"/>\n<hostnames>\n",
		(long long) rp->started, (long long) rp->finished,
		TimedOut(s, h) ? " timedout=\"true\"" : "", addr,
		s->hosts[h].family == AF_INET ? "ipv4" : "ipv6");
	if (s->hosts[h].name != NULL) {
	    fputs("<hostname name=\"", out);
	    XmlText(out, s->hosts[h].name, 0);
	    fputs("\" type=\"user\"/>\n", out);
	}
	fputs("</hostnames>\n<ports>", out);
	nIgnored = IgnoredStates(rp, c, ignored);
	for (st = 0; st < nIgnored; st++) {
	    int state = ignored[st];
	    ReasonCount rc[8];
	    int n, i;

	    fprintf(out, "<extraports state=\"%s\" count=\"%zu\">\n",
		    stateNames[state], c[state]);
	    n = CountReasons(s, h, state, rc, 8);
	    for (i = 0; i < n; i++) {
		fprintf(out, "<extrareasons reason=\"%s\" count=\"%zu\" "
			"proto=\"tcp\" ports=\"", rc[i].reason, rc[i].count);
		PrintRanges(out, s, (long) h, state, rc[i].reason);
		fputs("\"/>\n", out);
	    }
	    fputs("</extraports>\n", out);
	}
	for (p = 0; p < s->numPorts; p++) {
	    const Result *r = ResultOf(s, h, p);
	    const char *service = Service(rp->services, s->ports[p]);

	    if (Ignored(rp, c, r->state)) {
		continue;
	    }
	    fprintf(out, "<port protocol=\"tcp\" portid=\"%u\"><state "
		    "state=\"%s\" reason=\"%s\" reason_ttl=\"0\"/>",
		    (unsigned) s->ports[p], stateNames[r->state],
		    NmapReason(r));
	    if (*service != '\0') {
		fputs("<service name=\"", out);
		XmlText(out, service, 0);
		fputs("\" method=\"table\" conf=\"3\"/>", out);
	    }
	    fputs("</port>\n", out);
	}
	fputs("</ports>\n</host>\n", out);
    }
    fprintf(out, "<runstats><finished time=\"%lld\" timestr=\"%s\" "
	    "summary=\"sockchan %s at %s; %zu IP address%s (%zu host%s up) "
	    "scanned in %.2f seconds\" elapsed=\"%.2f\" exit=\"%s\"",
	    (long long) rp->finished, end, s->signo ? Interruption(s, why,
	    sizeof(why)) : "done", end, s->numHosts,
	    s->numHosts == 1 ? "" : "es", s->numHosts,
	    s->numHosts == 1 ? "" : "s", rp->seconds, rp->seconds,
	    s->signo ? "error" : "success");
    if (s->signo) {
	size_t unscanned = s->total - atomic_load(&s->done);

	fprintf(out, " errormsg=\"%s; %zu port%s not scanned\"", why,
		unscanned, unscanned == 1 ? "" : "s");
    }
    fprintf(out, "/><hosts up=\"%zu\" down=\"0\" total=\"%zu\"/>\n"
	    "</runstats>\n</nmaprun>\n", s->numHosts, s->numHosts);
}

/*
 *----------------------------------------------------------------------
 *
 * The command line --
 *
 *----------------------------------------------------------------------
 */

static const char usage[] =
"usage: sockchan scan [options] TARGET... [-p PORTS]\n"
"\n"
"Scan TCP ports with asynchronous connects (a connect scan, as nmap -sT),\n"
"thousands in flight on sockchan's event loop.\n"
"\n"
"Targets:\n"
"  TARGET                 an address (127.0.0.1, ::1), a CIDR block\n"
"                         (127.0.0.0/24, ::1/128), a range (127.0.0.1-20,\n"
"                         127.0.0.1-127.0.1.5, ::1-ff) or a host name; give\n"
"                         several, or separate them with commas; an IPv6\n"
"                         zone after % (fe80::1%eth0)\n"
"  -iL FILE               read targets from FILE ('-': stdin); '#' starts a\n"
"                         comment; lines of at most 65536 bytes, at most\n"
"                         1048576 targets\n"
"  --exclude TARGETS      leave these targets out (may be repeated)\n"
"  --excludefile FILE     leave out the targets listed in FILE\n"
"  -4, -6                 IPv4 or IPv6 only (a name stands for every address\n"
"                         it resolves to)\n"
"\n"
"Ports:\n"
"  -p PORTS               22,80,8000-8100,1024-,http; -p- for all of 1-65535\n"
"                         (default: a built-in list of about 110 common ports)\n"
"  -F                     nmap's 100 most frequent TCP ports\n"
"  --top-ports N          nmap's N most frequent TCP ports (with -p: the N\n"
"                         most frequent of those); both read nmap's services\n"
"                         file ($NMAPDIR, /usr/share/nmap, package\n"
"                         nmap-common)\n"
"  --exclude-ports PORTS  leave these ports out\n"
"\n"
"Timing (TIME: a number of seconds, or with ms, s, m or h after it):\n"
"  --concurrency N        connects in flight at once (default: the descriptor\n"
"                         limit, raised to its hard limit, less a reserve; at\n"
"                         most 16384, or 1024 when every target is loopback);\n"
"                         never more than the limit allows\n"
"  --timeout MS           milliseconds to wait for each attempt (default 1000)\n"
"  --retries N, --max-retries N\n"
"                         attempts after the first for a port that timed out\n"
"                         (default 1)\n"
"  --host-timeout TIME    give a host up TIME after its first probe: its\n"
"                         unfinished ports are reported as not scanned\n"
"  --max-rate N           start at most N connects a second (N may be a\n"
"                         fraction; retries count; one loop)\n"
"  --min-rate N           keep N x timeout connects in flight, so that starts\n"
"                         never fall below N a second for want of room (an\n"
"                         error if the descriptor limit or --concurrency\n"
"                         can't allow it)\n"
"  -T0 ... -T5            nmap's timing templates (paranoid, sneaky, polite,\n"
"                         normal, aggressive, insane), as sockchan's knobs:\n"
"                           T0 1 in flight, 1 start per 300 s, timeout 300 s\n"
"                           T1 1 in flight, 1 start per 15 s, timeout 15 s\n"
"                           T2 1 start per 0.4 s, timeout 1 s\n"
"                           T3 the defaults\n"
"                           T4 timeout 500 ms\n"
"                           T5 timeout 250 ms, no retry, host timeout 15 m\n"
"                         options given beside them win, wherever they are\n"
"  --threads N            event loops, one per thread (default: one per CPU,\n"
"                         at most 8; one for small scans and with --max-rate)\n"
"\n"
"Output (sorted by host and port):\n"
"  (default)              a table of the open ports, and the others counted\n"
"  --all                  list every port, whatever its state\n"
"  --open                 only open ports, and only hosts with one, in every\n"
"                         format\n"
"  --json                 JSON Lines instead of the table: host, port, state,\n"
"                         reason, rtt_ms (the same ports as the table)\n"
"  -oN FILE               also write nmap's normal format to FILE\n"
"  -oX FILE               also write nmap's XML to FILE (valid against nmap's\n"
"                         DTD; for ndiff, and xsltproc with nmap.xsl)\n"
"  -oG FILE               also write nmap's greppable format to FILE\n"
"  -oA BASE               the three: BASE.nmap, BASE.xml and BASE.gnmap\n"
"                         ('-' for -oN, -oX or -oG: to stdout, instead of the\n"
"                         table; for one of them only)\n"
"  -v, --verbose          statistics on stderr at the end\n"
"  -h, --help             this text\n"
"\n"
"Accepted as in nmap, for what sockchan always does:\n"
"  -sT                    a connect scan (other -s scan types are refused)\n"
"  -Pn                    no ping: every host counts as up (other -P are\n"
"                         refused)\n"
"  -n                     no reverse name lookups\n"
"\n"
"nmap equivalents:\n"
"  nmap                   sockchan scan\n"
"  -sT, -Pn, -n           the same (always)\n"
"  -p, -p-, -F            the same\n"
"  --top-ports, --open    the same\n"
"  --exclude-ports        the same\n"
"  -iL, --exclude(file)   the same\n"
"  -4, -6                 the same (-6 not needed for IPv6 targets)\n"
"  --max-retries          the same as --retries\n"
"  --host-timeout         the same\n"
"  --min-rate, --max-rate the same, see above\n"
"  -T0 ... -T5            mapped as above\n"
"  --max-rtt-timeout      --timeout (fixed, not adaptive)\n"
"  --max-parallelism      --concurrency\n"
"  -oN, -oX, -oG, -oA     the same\n"
"  (none)                 --all, --json, --threads\n"
"\n"
"States: open (connected), closed (connection refused), filtered (connection\n"
"timed out, or unreachable). On a terminal, a progress line shows on stderr\n"
"after a second; Ctrl-C prints what was found so far, and every format says\n"
"that the scan was interrupted.\n"
"\n"
"Exit status: 0 the scan ran (whatever it found), 1 it could not run or\n"
"its output could not be written, 2 bad usage or input (nothing was sent),\n"
"128+N on signal N (130 for Ctrl-C).\n";

/* What the command line asks for (-1: not given). */
typedef struct Options {
    cli_targets targets, excludes;
    cli_ports ports, excludePorts;
    int havePorts;
    int family;
    long concurrency, timeoutMs, retries, threads, hostTimeoutMs;
    long topPorts;		/* -F, --top-ports (0: neither). */
    const char *topOption;
    int timing;			/* -T (-1: none). */
    double minRate, maxRate;	/* 0: not given. */
    int all, json, verbose, open;
    const char *grepFile, *normalFile, *xmlFile;
} Options;

/* nmap's timing templates (-T0 ... -T5), as sockchan's knobs. */
static const struct {
    const char *name;
    long timeoutMs, retries, concurrency;	/* 0: the default. */
    double pace;		/* Seconds between starts (0: none). */
    long hostTimeoutMs;		/* 0: none. */
} templates[6] = {
    {"paranoid", 300000, 1, 1, 300.0, 0},
    {"sneaky", 15000, 1, 1, 15.0, 0},
    {"polite", 1000, 1, 0, 0.4, 0},
    {"normal", 1000, 1, 0, 0, 0},
    {"aggressive", 500, 1, 0, 0, 0},
    {"insane", 250, 0, 0, 0, 900000},
};

enum {
    O_HELP, O_INPUT, O_EXCLUDE, O_EXCLUDEFILE, O_IPV4, O_IPV6, O_PORTS,
    O_EXCLUDE_PORTS, O_CONCURRENCY, O_TIMEOUT, O_RETRIES, O_THREADS, O_ALL,
    O_JSON, O_GREP, O_VERBOSE, O_CONNECT, O_NOPING, O_NODNS, O_OPEN, O_FAST,
    O_TOP, O_TIMING, O_HOST_TIMEOUT, O_MIN_RATE, O_MAX_RATE, O_NORMAL, O_XML,
    O_ALLFORMATS
};

static const struct {
    const char *name;
    int id;
    int hasValue;
} optionTable[] = {
    {"-h", O_HELP, 0}, {"--help", O_HELP, 0},
    {"-iL", O_INPUT, 1},
    {"--exclude", O_EXCLUDE, 1}, {"--excludefile", O_EXCLUDEFILE, 1},
    {"-4", O_IPV4, 0}, {"-6", O_IPV6, 0},
    {"-p", O_PORTS, 1}, {"--ports", O_PORTS, 1},
    {"-F", O_FAST, 0}, {"--top-ports", O_TOP, 1},
    {"--exclude-ports", O_EXCLUDE_PORTS, 1},
    {"--concurrency", O_CONCURRENCY, 1}, {"--timeout", O_TIMEOUT, 1},
    {"--retries", O_RETRIES, 1}, {"--max-retries", O_RETRIES, 1},
    {"--threads", O_THREADS, 1}, {"--host-timeout", O_HOST_TIMEOUT, 1},
    {"--min-rate", O_MIN_RATE, 1}, {"--max-rate", O_MAX_RATE, 1},
    {"-T", O_TIMING, 1},
    {"--all", O_ALL, 0}, {"--open", O_OPEN, 0}, {"--json", O_JSON, 0},
    {"-oN", O_NORMAL, 1}, {"-oX", O_XML, 1}, {"-oG", O_GREP, 1},
    {"-oA", O_ALLFORMATS, 1},
    {"-v", O_VERBOSE, 0}, {"--verbose", O_VERBOSE, 0},
    {"-sT", O_CONNECT, 0}, {"-Pn", O_NOPING, 0}, {"-n", O_NODNS, 0},
};

static void
AddTargets(cli_targets *list, const char *text, size_t len,
	const char *where)
{
    char err[CLI_ERR_LEN];

    if (cli_targets_parse(list, text, len, err, sizeof(err)) < 0) {
	if (where != NULL) {
	    cli_die(EXIT_USAGE, "%s: %s", where, err);
	}
	cli_die(EXIT_USAGE, "%s", err);
    }
    if (list->count > MAX_TARGETS) {
	cli_die(EXIT_USAGE, "%s%stoo many targets: at most %u",
		where != NULL ? where : "", where != NULL ? ": " : "",
		MAX_TARGETS);
    }
}

/*
 * Add the targets of a file ("-": stdin), read a line at a time so that
 * memory stays bounded whatever the file holds (-iL /dev/zero): a line
 * longer than MAX_INPUT_LINE bytes, or more than MAX_TARGETS targets in
 * all, is an error that says so. Exits on failure.
 */
static void
AddTargetFile(cli_targets *list, const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    const char *where = f == stdin ? "stdin" : path;
    static char buf[MAX_INPUT_LINE];
    size_t len = 0;

    if (f == NULL) {
	cli_die(EXIT_USAGE, "couldn't open \"%s\": %s", path,
		sc_errno_msg(errno));
    }
    for (;;) {
	size_t n = fread(buf + len, 1, sizeof(buf) - len, f), used;
	const char *nl;

	len += n;
	if (n == 0) {
	    if (ferror(f)) {
		cli_die(EXIT_USAGE, "couldn't read \"%s\": %s", where,
			sc_errno_msg(errno));
	    }
	    AddTargets(list, buf, len, where);	/* The last line. */
	    break;
	}
	nl = memrchr(buf, '\n', len);
	if (nl == NULL) {
	    if (len == sizeof(buf)) {
		cli_die(EXIT_USAGE, "couldn't read \"%s\": a line is longer "
			"than %d bytes", where, MAX_INPUT_LINE);
	    }
	    continue;
	}
	used = (size_t) (nl - buf) + 1;
	AddTargets(list, buf, used, where);
	memmove(buf, buf + used, len - used);
	len -= used;
    }
    if (f != stdin) {
	fclose(f);
    }
}

static long
NumberOption(const char *name, const char *value, long min, long max,
	const char *unit)
{
    long n = cli_number(value, max);

    if (n < min) {
	cli_die(EXIT_USAGE, "bad value \"%s\" for %s: should be %ld to %ld%s",
		value, name, min, max, unit);
    }
    return n;
}

/*
 * A time in nmap's syntax, in milliseconds: a number (a fraction too)
 * of seconds, or with ms, s, m or h after it: 500ms, 1.5s, 2m, 1h. At
 * most a week; 0 only where zero is allowed (it means "none").
 */
static long
TimeOption(const char *name, const char *value, int zeroOk)
{
    static const struct {
	const char *suffix;
	double ms;
    } units[] = {{"", 1000}, {"ms", 1}, {"s", 1000}, {"m", 60000},
	    {"h", 3600000}};
    char *end;
    double n;
    size_t i;

    if (value[0] >= '0' && value[0] <= '9') {
	n = strtod(value, &end);
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
	    if (strcmp(end, units[i].suffix) == 0) {
		n *= units[i].ms;
		if (n < 604800000.0 && (n >= 1 || (zeroOk && n == 0))) {
		    return (long) n;
		}
		break;
	    }
	}
    }
    cli_die(EXIT_USAGE, "bad value \"%s\" for %s: should be a time such as "
	    "30, 500ms, 1.5s, 2m or 1h (%s1 ms to a week)", value, name,
	    zeroOk ? "0 for none, or " : "");
}

/* A rate in probes a second: a positive number, a fraction too. */
static double
RateOption(const char *name, const char *value)
{
    char *end;
    double n = value[0] >= '0' && value[0] <= '9' ? strtod(value, &end) : 0;

    if (n <= 0 || *end != '\0' || n > 10000000.0) {
	cli_die(EXIT_USAGE, "bad value \"%s\" for %s: should be a number of "
		"probes a second, more than 0 and at most 10000000", value,
		name);
    }
    return n;
}

/* -T0 ... -T5, or the templates' names. */
static int
TimingOption(const char *value)
{
    int i;

    for (i = 0; i < 6; i++) {
	if ((value[0] == '0' + i && value[1] == '\0')
		|| strcmp(value, templates[i].name) == 0) {
	    return i;
	}
    }
    cli_die(EXIT_USAGE, "bad value \"%s\" for -T: should be 0 to 5, or "
	    "paranoid, sneaky, polite, normal, aggressive or insane", value);
}

/*
 * -F and --top-ports N: the N most frequent TCP ports of nmap's services
 * file ("name port/proto frequency ...", read here, never copied into
 * sockchan), among those of -p when it was given; into o->ports. Exits
 * with status 2 when the file can't be read.
 */
static void
AddTopPorts(Options *o)
{
    const char *dirs[3] = {getenv("NMAPDIR"), "/usr/share/nmap",
	    "/usr/local/share/nmap"};
    char path[4096], line[1024];
    FILE *f = NULL;
    size_t i, n = 0;
    int err = ENOENT;
    struct {
	double freq;
	unsigned port;
    } *top, tmp;
    cli_ports within = o->ports;

    for (i = 0; i < 3 && f == NULL; i++) {
	if (dirs[i] != NULL && dirs[i][0] != '\0') {
	    snprintf(path, sizeof(path), "%s/nmap-services", dirs[i]);
	    f = fopen(path, "r");
	    if (f == NULL && errno != ENOENT) {
		err = errno;
		break;
	    }
	}
    }
    if (f == NULL) {
	cli_die(EXIT_USAGE, "%s needs nmap's services file: couldn't open "
		"\"/usr/share/nmap/nmap-services\": %s (install Debian's "
		"nmap-common package)", o->topOption, sc_errno_msg(err));
    }
    top = calloc(65536, sizeof(*top));
    if (top == NULL) {
	cli_die(EXIT_NET, "can't scan: out of memory");
    }
    while (fgets(line, sizeof(line), f) != NULL) {
	unsigned port;
	char proto[8];
	double freq;

	if (line[0] != '#' && sscanf(line, "%*s %u/%7s %lf", &port, proto,
		&freq) == 3 && strcmp(proto, "tcp") == 0 && port >= 1
		&& port <= 65535 && n < 65536
		&& (!o->havePorts || cli_ports_has(&within, port))) {
	    top[n].freq = freq;
	    top[n++].port = port;
	}
    }
    fclose(f);
    if (n == 0) {
	cli_die(EXIT_USAGE, "%s: no TCP port in \"%s\"", o->topOption, path);
    }
    /* The most frequent first; ties in the file's order (insertion). */
    for (i = 1; i < n; i++) {
	size_t j = i;

	tmp = top[i];
	while (j > 0 && top[j - 1].freq < tmp.freq) {
	    top[j] = top[j - 1];
	    j--;
	}
	top[j] = tmp;
    }
    cli_ports_init(&o->ports);
    for (i = 0; i < n && i < (size_t) o->topPorts; i++) {
	char text[8];
	char err2[CLI_ERR_LEN];

	snprintf(text, sizeof(text), "%u", top[i].port);
	(void) cli_ports_parse(&o->ports, text, strlen(text), err2,
		sizeof(err2));
    }
    free(top);
    o->havePorts = 1;
}

/* One more output file; '-' for stdout for one of them only. */
static void
SetOutput(Options *o, const char **slot, const char *name, const char *value)
{
    if (strcmp(value, "-") == 0 && ((o->grepFile != NULL
	    && strcmp(o->grepFile, "-") == 0) || (o->normalFile != NULL
	    && strcmp(o->normalFile, "-") == 0) || (o->xmlFile != NULL
	    && strcmp(o->xmlFile, "-") == 0)) && *slot != value) {
	cli_usage("scan", "%s -: only one output can go to stdout", name);
    }
    *slot = value;
}

/*
 * Parse the command line into o; exits with status 2 on bad usage, and
 * with 0 after --help.
 */
static void
ParseOptions(Options *o, int argc, char **argv)
{
    char err[CLI_ERR_LEN];
    int i, endOptions = 0;

    for (i = 1; i < argc; i++) {
	const char *arg = argv[i], *value = NULL;
	size_t k;
	int id = -1;

	if (endOptions || arg[0] != '-' || arg[1] == '\0') {
	    AddTargets(&o->targets, arg, strlen(arg), NULL);
	    continue;
	}
	if (strcmp(arg, "--") == 0) {
	    endOptions = 1;
	    continue;
	}
	if (arg[1] == 's' && strcmp(arg, "-sT") != 0) {
	    cli_usage("scan", "unsupported scan type \"%s\": sockchan scans "
		    "with connect() only (-sT)", arg);
	}
	if (arg[1] == 'P' && strcmp(arg, "-Pn") != 0) {
	    cli_usage("scan", "unsupported option \"%s\": sockchan never "
		    "pings, every host counts as up (-Pn)", arg);
	}
	for (k = 0; k < sizeof(optionTable) / sizeof(optionTable[0]); k++) {
	    const char *name = optionTable[k].name;
	    size_t n = strlen(name);

	    if (strcmp(arg, name) == 0) {
		id = optionTable[k].id;
	    } else if (optionTable[k].hasValue && strncmp(arg, name, n) == 0
		    && ((name[1] == '-' && arg[n] == '=')
		    || strcmp(name, "-p") == 0 || strcmp(name, "-T") == 0)) {
		/* --name=value, and nmap's -p22, -p- and -T4. */
		id = optionTable[k].id;
		value = arg + n + (arg[n] == '=' && name[1] == '-');
	    } else {
		continue;
	    }
	    if (optionTable[k].hasValue && value == NULL) {
		if (i + 1 >= argc) {
		    cli_usage("scan", "option %s needs a value", name);
		}
		value = argv[++i];
	    }
	    break;
	}
	switch (id) {
	case O_HELP:
	    fputs(usage, stdout);
	    exit(0);
	case O_INPUT:
	    AddTargetFile(&o->targets, value);
	    break;
	case O_EXCLUDE:
	    AddTargets(&o->excludes, value, strlen(value), "--exclude");
	    break;
	case O_EXCLUDEFILE:
	    AddTargetFile(&o->excludes, value);
	    break;
	case O_IPV4:
	case O_IPV6:
	    if (o->family != 0 && o->family != (id == O_IPV4 ? AF_INET
		    : AF_INET6)) {
		cli_usage("scan", "-4 and -6 can't be used together");
	    }
	    o->family = id == O_IPV4 ? AF_INET : AF_INET6;
	    break;
	case O_PORTS:
	    if (cli_ports_parse(&o->ports, value, strlen(value), err,
		    sizeof(err)) < 0) {
		cli_die(EXIT_USAGE, "%s", err);
	    }
	    o->havePorts = 1;
	    break;
	case O_FAST:
	    o->topPorts = 100;
	    o->topOption = "-F";
	    break;
	case O_TOP:
	    o->topPorts = NumberOption("--top-ports", value, 1, 65535, "");
	    o->topOption = "--top-ports";
	    break;
	case O_EXCLUDE_PORTS:
	    if (cli_ports_parse(&o->excludePorts, value, strlen(value), err,
		    sizeof(err)) < 0) {
		cli_die(EXIT_USAGE, "--exclude-ports: %s", err);
	    }
	    break;
	case O_CONCURRENCY:
	    o->concurrency = NumberOption("--concurrency", value, 1, 1000000,
		    "");
	    break;
	case O_TIMEOUT:
	    o->timeoutMs = NumberOption("--timeout", value, 1, 3600000,
		    " milliseconds");
	    break;
	case O_RETRIES:
	    o->retries = NumberOption(arg[2] == 'm' ? "--max-retries"
		    : "--retries", value, 0, 20, "");
	    break;
	case O_THREADS:
	    o->threads = NumberOption("--threads", value, 1, 64, "");
	    break;
	case O_HOST_TIMEOUT:
	    o->hostTimeoutMs = TimeOption("--host-timeout", value, 1);
	    break;
	case O_MIN_RATE:
	    o->minRate = RateOption("--min-rate", value);
	    break;
	case O_MAX_RATE:
	    o->maxRate = RateOption("--max-rate", value);
	    break;
	case O_TIMING:
	    o->timing = TimingOption(value);
	    break;
	case O_ALL:
	    o->all = 1;
	    break;
	case O_OPEN:
	    o->open = 1;
	    break;
	case O_JSON:
	    o->json = 1;
	    break;
	case O_GREP:
	    SetOutput(o, &o->grepFile, "-oG", value);
	    break;
	case O_NORMAL:
	    SetOutput(o, &o->normalFile, "-oN", value);
	    break;
	case O_XML:
	    SetOutput(o, &o->xmlFile, "-oX", value);
	    break;
	case O_ALLFORMATS: {
	    static char *names[3];
	    static const char *const exts[3] = {".nmap", ".xml", ".gnmap"};
	    int k3;

	    if (strcmp(value, "-") == 0 || value[0] == '\0') {
		cli_usage("scan", "-oA needs a base name, not \"%s\"", value);
	    }
	    for (k3 = 0; k3 < 3; k3++) {
		free(names[k3]);
		names[k3] = malloc(strlen(value) + 7);
		if (names[k3] == NULL) {
		    cli_die(EXIT_NET, "can't scan: out of memory");
		}
		strcpy(names[k3], value);
		strcat(names[k3], exts[k3]);
	    }
	    o->normalFile = names[0];
	    o->xmlFile = names[1];
	    o->grepFile = names[2];
	    break;
	}
	case O_VERBOSE:
	    o->verbose = 1;
	    break;
	case O_CONNECT:
	case O_NOPING:
	case O_NODNS:
	    break;		/* What sockchan always does. */
	default:
	    cli_refuse_nmap(arg);
	    cli_usage("scan", "unknown option \"%s\"", arg);
	}
    }
}

/*
 * The options' defaults, the timing template's values for those not
 * given, and the checks between options. Exits with status 2 on a
 * conflict.
 */
static void
ApplyTiming(Options *o, uint64_t *paceNs)
{
    int t = o->timing >= 0 ? o->timing : 3;

    if (o->timeoutMs < 0) {
	o->timeoutMs = templates[t].timeoutMs;
    }
    if (o->retries < 0) {
	o->retries = templates[t].retries;
    }
    if (o->hostTimeoutMs < 0) {
	o->hostTimeoutMs = templates[t].hostTimeoutMs;
    }
    if (o->minRate > 0 && o->maxRate > 0 && o->minRate > o->maxRate) {
	cli_usage("scan", "--min-rate must be at most --max-rate");
    }
    if (o->maxRate > 0) {
	*paceNs = (uint64_t) (1e9 / o->maxRate);
    } else if (templates[t].pace > 0 && (o->minRate == 0
	    || o->minRate <= 1 / templates[t].pace)) {
	*paceNs = (uint64_t) (templates[t].pace * 1e9);
    } else {
	*paceNs = 0;
    }
    if (o->concurrency == 0 && o->minRate == 0) {
	o->concurrency = templates[t].concurrency;
    }
}

/*
 * Report a write error on an output file (or a failed close), once.
 * Returns 0 if all was written, else -1.
 */
static int
CloseOutput(FILE *f, const char *path)
{
    int err = 0;

    errno = 0;
    if (fflush(f) != 0 || ferror(f)) {
	err = errno ? errno : EIO;
    }
    if (fclose(f) != 0 && err == 0) {
	err = errno;
    }
    if (err != 0) {
	fflush(stdout);
	fprintf(stderr, "sockchan: error writing \"%s\": %s\n", path,
		sc_errno_msg(err));
	return -1;
    }
    return 0;
}

/*
 *----------------------------------------------------------------------
 *
 * cmd_scan --
 *
 *	sockchan scan [options] TARGET... [-p PORTS]
 *
 * Results:
 *	The exit status: 0 when the scan ran, 1 when it could not (or its
 *	results could not all be written), 128+N after signal N (with what
 *	was found so far written, saying so).
 *
 * Side effects:
 *	Every input is checked (names resolved, the output files opened)
 *	before the first probe; bad input exits with status 2.
 *
 *----------------------------------------------------------------------
 */

int
cmd_scan(int argc, char **argv)
{
    Options o;
    Scan s;
    Report rp;
    char err[CLI_ERR_LEN], **services = NULL;
    cli_host *hosts = NULL;
    uint16_t *ports = NULL;
    size_t numHosts = 0, concurrency, budget, done, k;
    long limit, cpus;
    int threads, status = 0, fatal, toStdout = 0;
    uint64_t paceNs = 0;
    struct {
	const char *path;
	FILE *f;
	void (*print)(FILE *out, const Report *rp);
    } outs[3];

    memset(&o, 0, sizeof(o));
    cli_ports_init(&o.ports);
    cli_ports_init(&o.excludePorts);
    o.timeoutMs = o.retries = o.hostTimeoutMs = -1;
    o.timing = -1;
    ParseOptions(&o, argc, argv);
    ApplyTiming(&o, &paceNs);

    if (o.targets.count == 0) {
	cli_usage("scan", "no target given");
    }
    if (o.topPorts > 0) {
	if (strcmp(o.topOption, "-F") == 0 && o.havePorts) {
	    cli_usage("scan", "-F and -p can't be used together");
	}
	AddTopPorts(&o);
    }
    if (!o.havePorts) {
	cli_ports_add_default(&o.ports);
    }
    cli_ports_remove(&o.ports, &o.excludePorts);
    if (o.ports.count == 0) {
	cli_die(EXIT_USAGE, "no port left to scan");
    }
    outs[0].path = o.normalFile;
    outs[0].print = PrintNormal;
    outs[1].path = o.xmlFile;
    outs[1].print = PrintXml;
    outs[2].path = o.grepFile;
    outs[2].print = PrintGreppable;
    for (k = 0; k < 3; k++) {
	outs[k].f = NULL;
	if (outs[k].path != NULL && strcmp(outs[k].path, "-") == 0) {
	    toStdout = 1;
	}
    }
    if (toStdout && o.json) {
	cli_usage("scan", "--json and an output to '-' can't both write to "
		"stdout");
    }
    if (cli_targets_resolve(&o.targets, o.family, err, sizeof(err)) < 0
	    || cli_targets_resolve(&o.excludes, 0, err, sizeof(err)) < 0
	    || cli_targets_expand(&o.targets, &o.excludes, MAX_HOSTS, &hosts,
		    &numHosts, err, sizeof(err)) < 0) {
	cli_die(EXIT_USAGE, "%s", err);
    }
    if (numHosts == 0) {
	cli_die(EXIT_USAGE, "no target left to scan after --exclude");
    }
    if (numHosts * o.ports.count > MAX_PROBES) {
	cli_die(EXIT_USAGE, "too many probes: %zu hosts times %u ports is "
		"more than %u", numHosts, o.ports.count, MAX_PROBES);
    }

    memset(&s, 0, sizeof(s));
    ports = malloc(o.ports.count * sizeof(*ports));
    s.results = calloc(numHosts * o.ports.count, sizeof(Result));
    if (ports == NULL || s.results == NULL) {
	cli_die(EXIT_NET, "can't scan: out of memory");
    }
    s.hosts = hosts;
    s.numHosts = numHosts;
    s.ports = ports;
    s.numPorts = cli_ports_list(&o.ports, ports);
    s.total = numHosts * s.numPorts;
    s.timeoutMs = o.timeoutMs;
    s.retries = (int) o.retries;
    s.paceNs = paceNs;
    s.hostTimeoutNs = (uint64_t) o.hostTimeoutMs * 1000000u;
    if (s.hostTimeoutNs != 0) {
	s.hostStartNs = calloc(numHosts, sizeof(*s.hostStartNs));
	s.hostTimedOut = calloc(numHosts, sizeof(*s.hostTimedOut));
	if (s.hostStartNs == NULL || s.hostTimedOut == NULL) {
	    cli_die(EXIT_NET, "can't scan: out of memory");
	}
    }

    /*
     * Loops and probes: one loop per CPU for a scan big enough to share
     * (one to keep to --max-rate), and as many probes in flight as the
     * descriptor limit allows (raised to its hard limit), less a
     * reserve. Shortages that remain (other descriptors, source ports)
     * are met by backing off.
     */
    cpus = sysconf(_SC_NPROCESSORS_ONLN);
    threads = o.threads > 0 ? (int) o.threads
	    : (int) (cpus < 1 ? 1 : cpus > MAX_THREADS ? MAX_THREADS : cpus);
    if ((o.threads == 0 && s.total < 8 * CHUNK) || s.paceNs != 0) {
	threads = 1;
    }
    limit = cli_raise_nofile();
    budget = limit > FD_RESERVE + FD_PER_LOOP * threads
	    ? (size_t) (limit - FD_RESERVE - FD_PER_LOOP * threads) : 1;
    concurrency = o.concurrency > 0 ? (size_t) o.concurrency
	    : AllLoopback(&s) ? LOOPBACK_CONCURRENCY : MAX_CONCURRENCY;
    if (o.minRate > 0) {
	/*
	 * --min-rate: room for minRate starts a second even if every
	 * attempt waits out its timeout.
	 */
	double need = o.minRate * (double) s.timeoutMs / 1000.0;
	size_t needed = need < 1 ? 1 : (size_t) (need + 0.999999);

	if (o.concurrency > 0 && (size_t) o.concurrency < needed) {
	    cli_usage("scan", "--concurrency %ld is too few for --min-rate "
		    "%g with a timeout of %ld ms: it needs %zu", o.concurrency,
		    o.minRate, s.timeoutMs, needed);
	}
	if (needed > budget) {
	    cli_die(EXIT_USAGE, "--min-rate %g with a timeout of %ld ms needs "
		    "%zu connects in flight, but the descriptor limit allows "
		    "%zu", o.minRate, s.timeoutMs, needed, budget);
	}
	if (concurrency < needed) {
	    concurrency = needed;
	}
    }
    if (concurrency > budget) {
	concurrency = budget;
    }
    if (concurrency > s.total) {
	concurrency = s.total;
    }
    if ((size_t) threads > concurrency) {
	threads = (int) concurrency;
    }
    for (k = 0; k < 3; k++) {
	if (outs[k].path != NULL && strcmp(outs[k].path, "-") != 0) {
	    outs[k].f = fopen(outs[k].path, "w");
	    if (outs[k].f == NULL) {
		cli_die(EXIT_USAGE, "couldn't open \"%s\": %s", outs[k].path,
			sc_errno_msg(errno));
	    }
	}
    }

    memset(&rp, 0, sizeof(rp));
    rp.started = time(NULL);
    if (RunScan(&s, threads, concurrency) < 0) {
	cli_die(EXIT_NET, "can't scan: %s", sc_errno_msg(errno));
    }
    rp.finished = time(NULL);
    rp.seconds = (double) (NowNs() - s.startNs) / 1e9;
    done = atomic_load(&s.done);
    fatal = atomic_load(&s.fatalErr);

    if (o.verbose) {
	fprintf(stderr, "scan: %zu of %zu probes in %.3f s on %d loop%s, "
		"%zu in flight at most; %zu retries, %zu self-connects "
		"probed again, %zu back-offs\n", done, s.total, rp.seconds,
		threads, threads == 1 ? "" : "s", concurrency,
		atomic_load(&s.retried), atomic_load(&s.selfConnects),
		atomic_load(&s.backoffs));
    }
    if (!fatal || done > 0) {
	services = LoadServices();
	rp.s = &s;
	rp.services = services;
	rp.all = o.all;
	rp.open = o.open;
	rp.argc = argc;
	rp.argv = argv;
	if (o.json) {
	    PrintJson(stdout, &rp);
	} else if (!toStdout) {
	    PrintTable(stdout, &rp);
	}
	for (k = 0; k < 3; k++) {
	    if (outs[k].path != NULL) {
		outs[k].print(outs[k].f != NULL ? outs[k].f : stdout, &rp);
	    }
	}
    }
    for (k = 0; k < 3; k++) {
	if (outs[k].f != NULL && CloseOutput(outs[k].f, outs[k].path) < 0) {
	    status = EXIT_NET;
	}
    }
    if (cli_check_stdout() < 0) {
	status = EXIT_NET;
    }
    if (fatal) {
	fprintf(stderr, "sockchan: couldn't open socket: %s\n",
		sc_errno_msg(fatal));
	status = EXIT_NET;
    } else if (s.signo != 0) {
	status = s.signo == SIGINT ? EXIT_INTERRUPTED : 128 + s.signo;
    }

    FreeServices(services);
    free(s.results);
    free((void *) (uintptr_t) s.hostStartNs);
    free((void *) (uintptr_t) s.hostTimedOut);
    free(ports);
    free(hosts);
    cli_targets_free(&o.targets);
    cli_targets_free(&o.excludes);
    return status;
}
