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
    Result *results;

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
"  --exclude-ports PORTS  leave these ports out\n"
"\n"
"Timing:\n"
"  --concurrency N        connects in flight at once (default: the descriptor\n"
"                         limit, raised to its hard limit, less a reserve; at\n"
"                         most 16384, or 1024 when every target is loopback);\n"
"                         never more than the limit allows\n"
"  --timeout MS           milliseconds to wait for each attempt (default 1000)\n"
"  --retries N            attempts after the first for a port that timed out\n"
"                         (default 1)\n"
"  --threads N            event loops, one per thread (default: one per CPU,\n"
"                         at most 8; one for small scans)\n"
"\n"
"Output (sorted by host and port):\n"
"  (default)              a table of the open ports, and the others counted\n"
"  --all                  list every port, whatever its state\n"
"  --json                 JSON Lines instead of the table: host, port, state,\n"
"                         reason, rtt_ms (the same ports as the table)\n"
"  -oG FILE               also write nmap's greppable format to FILE ('-':\n"
"                         to stdout, instead of the table)\n"
"  -v, --verbose          statistics on stderr at the end\n"
"  -h, --help             this text\n"
"\n"
"States: open (connected), closed (connection refused), filtered (connection\n"
"timed out, or unreachable). On a terminal, a progress line shows on stderr\n"
"after a second; Ctrl-C prints what was found so far.\n"
"\n"
"Exit status: 0 the scan ran (whatever it found), 1 it could not run,\n"
"2 bad usage or input (nothing was sent), 128+N on signal N (130 for Ctrl-C).\n";

/* What the command line asks for. */
typedef struct Options {
    cli_targets targets, excludes;
    cli_ports ports, excludePorts;
    int havePorts, haveExcludePorts;
    int family;
    long concurrency, timeoutMs, retries, threads;
    int all, json, verbose;
    const char *grepFile;
} Options;

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

/* Make sure a timer is due when the oldest probe's time is up. */
static void
ArmSweep(Worker *w)
{
    uint64_t now, ms;

    if (w->sweepTimer != 0 || w->head == NULL) {
	return;
    }
    now = NowNs();
    ms = w->head->deadlineNs > now
	    ? (w->head->deadlineNs - now + 999999u) / 1000000u : 0;
    w->sweepTimer = sc_create_timer(w->loop, (long) ms, Sweep, w);
    if (w->sweepTimer == 0) {
	Fatal(w->scan, ENOMEM);
    }
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
    uint64_t now = NowNs();

    w->sweepTimer = 0;
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
	ArmSweep(w);
	return 0;
    }
    if (err == EADDRNOTAVAIL || err == EAGAIN) {
	close(fd);
	w->lastErr = err;
	return -1;
    }
    /* Settled at once: connected, refused, unreachable... */
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

    while (w->inflight < w->cap && !w->backoff && !atomic_load(&s->stop)) {
	Job job;

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
 *----------------------------------------------------------------------
 */

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

static const Result *
ResultOf(const Scan *s, size_t host, size_t port)
{
    return &s->results[port * s->numHosts + host];
}

/* Is this result one of the rows (--all: every probed port)? */
static int
Listed(const Result *r, int all)
{
    return r->state == ST_OPEN || (all && r->state != ST_NONE);
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

static void
PrintCounts(FILE *out, const size_t c[4])
{
    fprintf(out, "%zu open, %zu closed, %zu filtered", c[ST_OPEN],
	    c[ST_CLOSED], c[ST_FILTERED]);
    if (c[ST_NONE] > 0) {
	fprintf(out, ", %zu not scanned", c[ST_NONE]);
    }
}

/*
 * The default output: the listed ports as a table, then a line per host
 * with its counts (every host when there are few, else those with an
 * open port), then the totals.
 */
static void
PrintTable(FILE *out, const Scan *s, char *const *services, int all,
	double seconds)
{
    size_t h, p, rows = 0, total[4] = {0, 0, 0, 0};
    int hostWidth = 4, serviceWidth = 7;
    char addr[CLI_HOST_LEN];

    for (h = 0; h < s->numHosts; h++) {
	int width;

	cli_host_format(&s->hosts[h], addr, sizeof(addr));
	width = (int) strlen(addr);
	for (p = 0; p < s->numPorts; p++) {
	    if (Listed(ResultOf(s, h, p), all)) {
		int sw = (int) strlen(Service(services, s->ports[p]));

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

	    if (Listed(r, all)) {
		fprintf(out, "%-*s  %-5u  %-8s  %-*s  %9.3f ms  %s\n",
			hostWidth, addr, (unsigned) s->ports[p],
			stateNames[r->state], serviceWidth,
			Service(services, s->ports[p]), r->rttUs / 1000.0,
			Reason(r));
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
	if (s->numHosts <= 64 || c[ST_OPEN] > 0) {
	    cli_host_format(&s->hosts[h], addr, sizeof(addr));
	    fprintf(out, "%s", addr);
	    if (s->hosts[h].name != NULL) {
		fprintf(out, " (%s)", s->hosts[h].name);
	    }
	    fputs(": ", out);
	    PrintCounts(out, c);
	    fputc('\n', out);
	}
    }
    fprintf(out, "%s %zu host%s, %zu port%s in %.2f s: ",
	    s->signo ? "interrupted: scanned" : "scanned", s->numHosts,
	    s->numHosts == 1 ? "" : "s", s->numPorts,
	    s->numPorts == 1 ? "" : "s", seconds);
    PrintCounts(out, total);
    fputc('\n', out);
}

/* JSON Lines, one object per listed port. */
static void
PrintJson(FILE *out, const Scan *s, int all)
{
    size_t h, p;
    char addr[CLI_HOST_LEN];

    for (h = 0; h < s->numHosts; h++) {
	cli_host_format(&s->hosts[h], addr, sizeof(addr));
	for (p = 0; p < s->numPorts; p++) {
	    const Result *r = ResultOf(s, h, p);

	    /* Every string here is an address or a fixed word: no escapes. */
	    if (Listed(r, all)) {
		fprintf(out, "{\"host\":\"%s\",\"port\":%u,\"state\":\"%s\","
			"\"reason\":\"%s\",\"rtt_ms\":%.3f}\n", addr,
			(unsigned) s->ports[p], stateNames[r->state],
			Reason(r), r->rttUs / 1000.0);
	    }
	}
    }
}

/*
 * nmap's greppable format (-oG): per host a status line and a ports
 * line, "port/state/tcp//service///" items. As in nmap, the most
 * common state other than open is left out and counted as "Ignored
 * State" when it has more than IGNORE_OVER ports (never with --all).
 */
static void
PrintGreppable(FILE *out, const Scan *s, char *const *services, int all,
	int argc, char **argv, time_t started, double seconds)
{
    char addr[CLI_HOST_LEN], when[64];
    size_t h, p;
    int i;

    strftime(when, sizeof(when), "%a %b %e %H:%M:%S %Y",
	    localtime(&started));
    fprintf(out, "# sockchan %s scan initiated %s as: sockchan", sc_version(),
	    when);
    for (i = 0; i < argc; i++) {
	fprintf(out, " %s", argv[i]);
    }
    fputc('\n', out);
    for (h = 0; h < s->numHosts; h++) {
	const char *name = s->hosts[h].name ? s->hosts[h].name : "";
	size_t c[4] = {0, 0, 0, 0};
	int ignored = -1, first = 1;

	cli_host_format(&s->hosts[h], addr, sizeof(addr));
	CountHost(s, h, c);
	if (!all) {
	    ignored = c[ST_FILTERED] > c[ST_CLOSED] ? ST_FILTERED : ST_CLOSED;
	    if (c[ignored] <= IGNORE_OVER) {
		ignored = -1;
	    }
	}
	fprintf(out, "Host: %s (%s)\tStatus: Up\n", addr, name);
	fprintf(out, "Host: %s (%s)\tPorts: ", addr, name);
	for (p = 0; p < s->numPorts; p++) {
	    const Result *r = ResultOf(s, h, p);

	    if (r->state == ST_NONE || r->state == ignored) {
		continue;
	    }
	    fprintf(out, "%s%u/%s/tcp//%s///", first ? "" : ", ",
		    (unsigned) s->ports[p], stateNames[r->state],
		    Service(services, s->ports[p]));
	    first = 0;
	}
	if (ignored >= 0) {
	    fprintf(out, "\tIgnored State: %s (%zu)", stateNames[ignored],
		    c[ignored]);
	}
	fputc('\n', out);
    }
    started = time(NULL);
    strftime(when, sizeof(when), "%a %b %e %H:%M:%S %Y", localtime(&started));
    fprintf(out, "# sockchan done at %s -- %zu IP address%s (%zu host%s up) "
	    "scanned in %.2f seconds\n", when, s->numHosts,
	    s->numHosts == 1 ? "" : "es", s->numHosts,
	    s->numHosts == 1 ? "" : "s", seconds);
}

/*
 *----------------------------------------------------------------------
 *
 * The command line --
 *
 *----------------------------------------------------------------------
 */

enum {
    O_HELP, O_INPUT, O_EXCLUDE, O_EXCLUDEFILE, O_IPV4, O_IPV6, O_PORTS,
    O_EXCLUDE_PORTS, O_CONCURRENCY, O_TIMEOUT, O_RETRIES, O_THREADS, O_ALL,
    O_JSON, O_GREP, O_VERBOSE
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
    {"--exclude-ports", O_EXCLUDE_PORTS, 1},
    {"--concurrency", O_CONCURRENCY, 1}, {"--timeout", O_TIMEOUT, 1},
    {"--retries", O_RETRIES, 1}, {"--threads", O_THREADS, 1},
    {"--all", O_ALL, 0}, {"--json", O_JSON, 0}, {"-oG", O_GREP, 1},
    {"-v", O_VERBOSE, 0}, {"--verbose", O_VERBOSE, 0},
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
	for (k = 0; k < sizeof(optionTable) / sizeof(optionTable[0]); k++) {
	    const char *name = optionTable[k].name;
	    size_t n = strlen(name);

	    if (strcmp(arg, name) == 0) {
		id = optionTable[k].id;
	    } else if (optionTable[k].hasValue && strncmp(arg, name, n) == 0
		    && ((name[1] == '-' && arg[n] == '=')
		    || strcmp(name, "-p") == 0)) {
		/* --name=value, and nmap's -p22 and -p-. */
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
	    o->retries = NumberOption("--retries", value, 0, 20, "");
	    break;
	case O_THREADS:
	    o->threads = NumberOption("--threads", value, 1, 64, "");
	    break;
	case O_ALL:
	    o->all = 1;
	    break;
	case O_JSON:
	    o->json = 1;
	    break;
	case O_GREP:
	    o->grepFile = value;
	    break;
	case O_VERBOSE:
	    o->verbose = 1;
	    break;
	default:
	    cli_usage("scan", "unknown option \"%s\"", arg);
	}
    }
}

/*
 *----------------------------------------------------------------------
 *
 * cmd_scan --
 *
 *	sockchan scan [options] TARGET... [-p PORTS]
 *
 * Results:
 *	The exit status: 0 when the scan ran, 1 when it could not, 130
 *	after Ctrl-C (with what was found so far printed).
 *
 * Side effects:
 *	Every input is checked (names resolved, the output file opened)
 *	before the first probe; bad input exits with status 2.
 *
 *----------------------------------------------------------------------
 */

int
cmd_scan(int argc, char **argv)
{
    Options o;
    Scan s;
    char err[CLI_ERR_LEN], **services = NULL;
    cli_host *hosts = NULL;
    uint16_t *ports = NULL;
    size_t numHosts = 0, concurrency, budget, done;
    long limit, cpus;
    int threads, status = 0, fatal;
    FILE *grep = NULL;
    time_t started = time(NULL);
    double seconds;

    memset(&o, 0, sizeof(o));
    cli_ports_init(&o.ports);
    cli_ports_init(&o.excludePorts);
    o.timeoutMs = 1000;
    o.retries = 1;
    ParseOptions(&o, argc, argv);

    if (o.targets.count == 0) {
	cli_usage("scan", "no target given");
    }
    if (!o.havePorts) {
	cli_ports_add_default(&o.ports);
    }
    cli_ports_remove(&o.ports, &o.excludePorts);
    if (o.ports.count == 0) {
	cli_die(EXIT_USAGE, "no port left to scan");
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
    if (o.grepFile != NULL && strcmp(o.grepFile, "-") != 0) {
	grep = fopen(o.grepFile, "w");
	if (grep == NULL) {
	    cli_die(EXIT_USAGE, "couldn't open \"%s\": %s", o.grepFile,
		    sc_errno_msg(errno));
	}
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

    /*
     * Loops and probes: one loop per CPU for a scan big enough to share,
     * and as many probes in flight as the descriptor limit allows
     * (raised to its hard limit), less a reserve. Shortages that remain
     * (other descriptors, source ports) are met by backing off.
     */
    cpus = sysconf(_SC_NPROCESSORS_ONLN);
    threads = o.threads > 0 ? (int) o.threads
	    : (int) (cpus < 1 ? 1 : cpus > MAX_THREADS ? MAX_THREADS : cpus);
    if (o.threads == 0 && s.total < 8 * CHUNK) {
	threads = 1;
    }
    limit = cli_raise_nofile();
    budget = limit > FD_RESERVE + FD_PER_LOOP * threads
	    ? (size_t) (limit - FD_RESERVE - FD_PER_LOOP * threads) : 1;
    concurrency = o.concurrency > 0 ? (size_t) o.concurrency
	    : AllLoopback(&s) ? LOOPBACK_CONCURRENCY : MAX_CONCURRENCY;
    if (concurrency > budget) {
	concurrency = budget;
    }
    if (concurrency > s.total) {
	concurrency = s.total;
    }
    if ((size_t) threads > concurrency) {
	threads = (int) concurrency;
    }

    if (RunScan(&s, threads, concurrency) < 0) {
	cli_die(EXIT_NET, "can't scan: %s", sc_errno_msg(errno));
    }
    seconds = (double) (NowNs() - s.startNs) / 1e9;
    done = atomic_load(&s.done);
    fatal = atomic_load(&s.fatalErr);

    if (o.verbose) {
	fprintf(stderr, "scan: %zu of %zu probes in %.3f s on %d loop%s, "
		"%zu in flight at most; %zu retries, %zu self-connects "
		"probed again, %zu back-offs\n", done, s.total, seconds,
		threads, threads == 1 ? "" : "s", concurrency,
		atomic_load(&s.retried), atomic_load(&s.selfConnects),
		atomic_load(&s.backoffs));
    }
    if (!fatal || done > 0) {
	int toStdout = o.grepFile != NULL && strcmp(o.grepFile, "-") == 0;

	services = LoadServices();
	if (o.json) {
	    PrintJson(stdout, &s, o.all);
	} else if (!toStdout) {
	    PrintTable(stdout, &s, services, o.all, seconds);
	}
	if (o.grepFile != NULL) {
	    PrintGreppable(toStdout ? stdout : grep, &s, services, o.all,
		    argc, argv, started, seconds);
	}
    }
    if (grep != NULL && fclose(grep) != 0) {
	fflush(stdout);
	fprintf(stderr, "sockchan: couldn't write \"%s\": %s\n", o.grepFile,
		sc_errno_msg(errno));
	status = EXIT_NET;
    }
    if (fflush(stdout) != 0 && status == 0) {
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
    free(ports);
    free(hosts);
    cli_targets_free(&o.targets);
    cli_targets_free(&o.excludes);
    return status;
}
