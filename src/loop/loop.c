/*
 * loop.c --
 *
 *	The generic part of the event loop: file handlers, timers, idle
 *	callbacks, the wake-up that other threads post through, and the
 *	dispatch that survives its own callbacks. The backends (epoll.c,
 *	poll.c) only register descriptors and wait.
 */

#include "loop.h"
#include "core/sys.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__linux__)
#include <sys/eventfd.h>
#endif

#define NO_INDEX UINT32_MAX
#define MAX_FIRED 128		/* Ready descriptors handled per wait. */
#define MAX_MS (INT64_MAX / 2000000)	/* Longest timer, to keep ns in range. */

const char *
sc_version(void)
{
    return SC_VERSION_STRING;
}

uint64_t
sc__now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

void
sc__loop_clear_error(sc_loop *loop)
{
    loop->errmsg[0] = '\0';
}

int
sc__loop_error(sc_loop *loop, int err, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = sc__loop_verror(loop, err, fmt, ap);
    va_end(ap);
    return r;
}

int
sc__loop_verror(sc_loop *loop, int err, const char *fmt, va_list ap)
{
    int n = vsnprintf(loop->errmsg, sizeof(loop->errmsg), fmt, ap);

    if (err != 0 && n >= 0 && (size_t) n < sizeof(loop->errmsg)) {
	snprintf(loop->errmsg + n, sizeof(loop->errmsg) - (size_t) n,
		": %s", sc_errno_msg(err));
    }
    errno = err ? err : EINVAL;
    return -1;
}

const char *
sc_errmsg(const sc_loop *loop)
{
    return loop ? loop->errmsg : "no loop";
}

/*
 *----------------------------------------------------------------------
 *
 * The wake-up --
 *
 *	An eventfd (or a pipe where there is none) that sc_loop_post()
 *	writes to and the loop watches like any descriptor, through an
 *	internal handler that does not count as work.
 *
 *----------------------------------------------------------------------
 */

/*
 * The wake-up descriptor is read and written through the seam's table but
 * not its fault injector: a fault meant for a channel's read or write
 * must not swallow a wake-up.
 */
static void
DrainWake(sc_loop *loop)
{
    char buf[64];

    while (sc__sys.read(loop->wakeRead, buf, sizeof(buf)) > 0
	    && loop->wakeRead != loop->wakeWrite) {
	/* A pipe may hold several bytes; an eventfd reads as one. */
    }
}

static void
WakeProc(void *clientData, int mask)
{
    sc_loop *loop = clientData;
    struct sc__post *p, *next;

    (void) mask;
    /*
     * Drain, then clear the flag, then take the list. A post that comes
     * before the flag is cleared is in the list we take (it appended
     * before testing the flag); one that comes after writes a new
     * wake-up, which no drain of ours can swallow any more.
     */
    DrainWake(loop);
    atomic_store(&loop->wakePending, 0);
    pthread_mutex_lock(&loop->postLock);
    p = loop->postHead;
    loop->postHead = loop->postTail = NULL;
    pthread_mutex_unlock(&loop->postLock);
    for (; p != NULL; p = next) {
	next = p->next;
	atomic_fetch_sub(&loop->numPosts, 1);
	loop->postsRun++;
	p->proc(p->clientData);
	sc__free(p);
    }
}

int
sc__loop_unpost(sc_loop *loop, sc_proc *proc, void *clientData)
{
    struct sc__post **pp, *p = NULL;

    pthread_mutex_lock(&loop->postLock);
    for (pp = &loop->postHead; *pp != NULL; pp = &(*pp)->next) {
	if ((*pp)->proc == proc && (*pp)->clientData == clientData) {
	    p = *pp;
	    *pp = p->next;
	    if (loop->postTail == p) {
		/* The new tail is the one before (or none). */
		struct sc__post *q = loop->postHead;

		while (q != NULL && q->next != NULL) {
		    q = q->next;
		}
		loop->postTail = q;
	    }
	    atomic_fetch_sub(&loop->numPosts, 1);
	    break;
	}
    }
    pthread_mutex_unlock(&loop->postLock);
    sc__free(p);
    return p != NULL;
}

static int
OpenWake(sc_loop *loop)
{
    int fds[2];

    loop->wakeRead = sc__eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (loop->wakeRead >= 0) {
	loop->wakeWrite = loop->wakeRead;
	return 0;
    }
    if (sc__pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0) {
	return -1;
    }
    loop->wakeRead = fds[0];
    loop->wakeWrite = fds[1];
    return 0;
}

int
sc_loop_post(sc_loop *loop, sc_proc *proc, void *clientData)
{
    struct sc__post *p;

    if (loop == NULL || proc == NULL) {
	errno = EINVAL;
	return -1;
    }
    p = sc__malloc(sizeof(*p));
    if (p == NULL) {
	errno = ENOMEM;
	return -1;
    }
    p->proc = proc;
    p->clientData = clientData;
    p->next = NULL;
    pthread_mutex_lock(&loop->postLock);
    if (loop->postTail) {
	loop->postTail->next = p;
    } else {
	loop->postHead = p;
    }
    loop->postTail = p;
    atomic_fetch_add(&loop->numPosts, 1);
    pthread_mutex_unlock(&loop->postLock);

    if (atomic_exchange(&loop->wakePending, 1) == 0) {
	uint64_t one = 1;
	ssize_t n;

	do {
	    n = sc__sys.write(loop->wakeWrite, &one,
		    loop->wakeRead == loop->wakeWrite ? sizeof(one) : 1);
	} while (n < 0 && errno == EINTR);
	/*
	 * EAGAIN means the counter or the pipe is full: the loop is awake
	 * already. Any other failure must not leave the flag set, or no
	 * later post would write.
	 */
	if (n < 0 && errno != EAGAIN) {
	    atomic_store(&loop->wakePending, 0);
	}
    }
    return 0;
}

struct sc__mailbox *
sc__loop_mailbox(sc_loop *loop)
{
    struct sc__mailbox *mb = loop->mailbox;

    pthread_mutex_lock(&mb->lock);
    mb->refs++;
    pthread_mutex_unlock(&mb->lock);
    return mb;
}

int
sc__mailbox_post(struct sc__mailbox *mb, sc_proc *proc, void *clientData)
{
    int r = 1;

    pthread_mutex_lock(&mb->lock);
    if (mb->loop != NULL) {
	r = sc_loop_post(mb->loop, proc, clientData) < 0 ? -1 : 0;
    }
    pthread_mutex_unlock(&mb->lock);
    return r;
}

void
sc__mailbox_release(struct sc__mailbox *mb)
{
    int last;

    pthread_mutex_lock(&mb->lock);
    last = --mb->refs == 0;
    pthread_mutex_unlock(&mb->lock);
    if (last) {
	pthread_mutex_destroy(&mb->lock);
	sc__free(mb);
    }
}

void
sc_loop_hold(sc_loop *loop)
{
    loop->holds++;
}

void
sc_loop_release(sc_loop *loop)
{
    if (loop->holds > 0) {
	loop->holds--;
    }
}

/*
 *----------------------------------------------------------------------
 *
 * sc_loop_new --
 *
 *	Creates a loop on the backend that flags or SOCKCHAN_BACKEND ask
 *	for (epoll on Linux otherwise).
 *
 * Results:
 *	The loop, or NULL with errno set.
 *
 *----------------------------------------------------------------------
 */

/*
 * The backend that flags, then SOCKCHAN_BACKEND, then the build ask for;
 * NULL with errno set for a name that is unknown or not built here.
 */
static const struct sc__backend *
ChooseBackend(int flags)
{
    const char *env = getenv("SOCKCHAN_BACKEND");
    const char *name;

    if (flags & ~(SC_LOOP_EPOLL | SC_LOOP_POLL)
	    || (flags & SC_LOOP_EPOLL && flags & SC_LOOP_POLL)) {
	errno = EINVAL;
	return NULL;
    }
    if (flags & SC_LOOP_POLL) {
	name = "poll";
    } else if (flags & SC_LOOP_EPOLL) {
	name = "epoll";
    } else if (env != NULL && env[0] != '\0') {
	name = env;
    } else {
#if defined(__linux__) && !defined(SC_DEFAULT_POLL)
	name = "epoll";
#else
	name = "poll";
#endif
    }
    if (strcmp(name, "poll") == 0) {
	return &sc__backend_poll;
    }
#ifdef __linux__
    if (strcmp(name, "epoll") == 0) {
	return &sc__backend_epoll;
    }
#endif
    errno = strcmp(name, "epoll") == 0 ? ENOSYS : EINVAL;
    return NULL;
}

sc_loop *
sc_loop_new(int flags)
{
    sc_loop *loop;
    const struct sc__backend *backend = ChooseBackend(flags);
    int err;

    if (backend == NULL) {
	return NULL;
    }
    loop = sc__calloc(1, sizeof(*loop));
    if (loop == NULL) {
	errno = ENOMEM;
	return NULL;
    }
    loop->mailbox = sc__calloc(1, sizeof(*loop->mailbox));
    if (loop->mailbox == NULL) {
	sc__free(loop);
	errno = ENOMEM;
	return NULL;
    }
    pthread_mutex_init(&loop->mailbox->lock, NULL);
    loop->mailbox->loop = loop;
    loop->mailbox->refs = 1;
    loop->backend = backend;
    loop->freeTimer = NO_INDEX;
    loop->wakeRead = loop->wakeWrite = -1;
    loop->nextFileGen = 1;
    pthread_mutex_init(&loop->postLock, NULL);
    if (backend->init(loop) < 0) {
	goto fail;
    }
    if (OpenWake(loop) < 0) {
	goto failBackend;
    }
    if (sc_create_file_handler(loop, loop->wakeRead, SC_READABLE, WakeProc,
	    loop) < 0) {
	goto failWake;
    }
    loop->files[loop->wakeRead].internal = 1;
    loop->numFiles--;
    loop->activeFiles--;
    loop->errmsg[0] = '\0';
    return loop;

  failWake:
    err = errno;
    sc__close(loop->wakeRead);
    if (loop->wakeWrite != loop->wakeRead) {
	sc__close(loop->wakeWrite);
    }
    errno = err;
  failBackend:
    err = errno;
    backend->free(loop);
    errno = err;
  fail:
    err = errno;
    sc__free(loop->files);
    pthread_mutex_destroy(&loop->postLock);
    sc__mailbox_release(loop->mailbox);
    sc__free(loop);
    errno = err;
    return NULL;
}

void
sc_loop_free(sc_loop *loop)
{
    struct sc__idle *idle, *nextIdle;
    struct sc__post *post, *nextPost;

    if (loop == NULL) {
	return;
    }
    /* Threads still holding the mailbox find the loop gone. */
    pthread_mutex_lock(&loop->mailbox->lock);
    loop->mailbox->loop = NULL;
    pthread_mutex_unlock(&loop->mailbox->lock);
    sc__mailbox_release(loop->mailbox);
    loop->backend->free(loop);
    sc__close(loop->wakeRead);
    if (loop->wakeWrite != loop->wakeRead) {
	sc__close(loop->wakeWrite);
    }
    for (idle = loop->idleHead; idle != NULL; idle = nextIdle) {
	nextIdle = idle->next;
	sc__free(idle);
    }
    for (post = loop->postHead; post != NULL; post = nextPost) {
	nextPost = post->next;
	sc__free(post);
    }
    pthread_mutex_destroy(&loop->postLock);
    sc__pool_drain(loop);
    sc__free(loop->deferred);
    sc__free(loop->files);
    sc__free(loop->timers);
    sc__free(loop->heap);
    sc__free(loop);
}

const char *
sc_loop_backend(const sc_loop *loop)
{
    return loop->backend->name;
}

size_t
sc_loop_handlers(const sc_loop *loop, int flags)
{
    size_t n = 0;

    if (flags & SC_FILE_EVENTS) {
	/* A hold is work to come: a post another thread will make. */
	n += loop->numFiles + (size_t) loop->holds;
    }
    if (flags & SC_TIMER_EVENTS) {
	n += loop->heapLen;
    }
    if (flags & SC_IDLE_EVENTS) {
	n += loop->numIdle;
    }
    return n;
}

/*
 *----------------------------------------------------------------------
 *
 * File handlers --
 *
 *----------------------------------------------------------------------
 */

/*
 * Grow the table to hold fd. The new table comes zeroed from calloc, and
 * only the old part is copied: a large one is fresh pages, so the part
 * past the highest descriptor in use costs no memory until it is used.
 */
static int
GrowFiles(sc_loop *loop, int fd)
{
    int cap = loop->filesCap ? loop->filesCap : 64;
    struct sc__file *files;

    while (cap <= fd) {
	if (cap > INT_MAX / 2) {
	    cap = INT_MAX;
	    break;
	}
	cap *= 2;
    }
    files = sc__calloc((size_t) cap, sizeof(*files));
    if (files == NULL) {
	return -1;
    }
    if (loop->filesCap > 0) {
	memcpy(files, loop->files, (size_t) loop->filesCap * sizeof(*files));
    }
    sc__free(loop->files);
    loop->files = files;
    loop->filesCap = cap;
    return 0;
}

/*
 * Bring the backend's registration of fd in line with what the handler
 * wants. A descriptor the backend cannot poll becomes always ready.
 */
static int
Register(sc_loop *loop, int fd, struct sc__file *f, int force)
{
    int want = f->alwaysReady ? 0 : f->mask;

    if (want == f->regMask && !(force && want != 0)) {
	return 0;
    }
    if (loop->backend->set(loop, fd, f->regMask, want) < 0) {
	if (errno != EPERM || f->regMask != 0) {
	    return -1;
	}
	f->alwaysReady = 1;
	return 0;
    }
    f->regMask = (uint8_t) want;
    return 0;
}

int
sc_create_file_handler(sc_loop *loop, int fd, int mask, sc_file_proc *proc,
	void *clientData)
{
    struct sc__file *f;
    int isNew, replaced;

    if (loop == NULL) {
	errno = EINVAL;
	return -1;
    }
    if (fd < 0) {
	return sc__loop_error(loop, EBADF, "can't watch descriptor %d", fd);
    }
    if (mask & ~(SC_READABLE | SC_WRITABLE | SC_EXCEPTION)) {
	return sc__loop_error(loop, 0, "bad event mask %#x: should be a "
		"combination of SC_READABLE, SC_WRITABLE and SC_EXCEPTION",
		(unsigned) mask);
    }
    if (proc == NULL) {
	return sc__loop_error(loop, 0,
		"can't watch descriptor %d: no callback given", fd);
    }
    if (fd >= loop->filesCap && GrowFiles(loop, fd) < 0) {
	return sc__loop_error(loop, ENOMEM, "can't watch descriptor %d", fd);
    }
    f = &loop->files[fd];
    isNew = (f->gen == 0);
    if (f->internal) {
	return sc__loop_error(loop, EBUSY,
		"can't watch descriptor %d: the loop's own", fd);
    }

    /*
     * Register first, so that a failure changes nothing. A new handler
     * on a descriptor that had one is registered again even with the same
     * mask: the old descriptor may have been closed and the number
     * reused, and the backend has then forgotten it.
     */
    replaced = !isNew && (f->proc != proc || f->clientData != clientData);
    if (isNew || f->mask != mask || replaced) {
	int oldMask = f->mask;
	int wasReady = f->alwaysReady && (oldMask & (SC_READABLE
		| SC_WRITABLE));

	f->mask = (uint8_t) mask;
	if (Register(loop, fd, f, replaced) < 0) {
	    int err = errno;

	    f->mask = (uint8_t) oldMask;
	    return sc__loop_error(loop, err, "can't watch descriptor %d", fd);
	}
	/* Only a handler that wants reading or writing is ever "ready". */
	loop->alwaysReady -= (size_t) wasReady;
	loop->alwaysReady += f->alwaysReady
		&& (mask & (SC_READABLE | SC_WRITABLE));
	if (!isNew) {
	    loop->activeFiles -= (oldMask != 0);
	}
	loop->activeFiles += (mask != 0);
    }
    if (isNew) {
	loop->numFiles++;
    }
    if (isNew || replaced) {
	/*
	 * A different handler: events already reported for the old one
	 * must not reach it.
	 */
	f->gen = loop->nextFileGen++;
	if (loop->nextFileGen == 0) {
	    loop->nextFileGen = 1;
	}
    }
    f->proc = proc;
    f->clientData = clientData;
    return 0;
}

void
sc_delete_file_handler(sc_loop *loop, int fd)
{
    struct sc__file *f;

    if (loop == NULL || fd < 0 || fd >= loop->filesCap) {
	return;
    }
    f = &loop->files[fd];
    if (f->gen == 0 || f->internal) {
	return;
    }
    if (f->regMask != 0) {
	/*
	 * The descriptor may be closed already, in which case the backend
	 * has forgotten it by itself; there is nothing else to report.
	 */
	(void) loop->backend->set(loop, fd, f->regMask, 0);
    }
    if (f->alwaysReady && (f->mask & (SC_READABLE | SC_WRITABLE))) {
	loop->alwaysReady--;
    }
    loop->activeFiles -= (f->mask != 0);
    loop->numFiles--;
    memset(f, 0, sizeof(*f));
}

/*
 *----------------------------------------------------------------------
 *
 * Timers --
 *
 *	A binary min-heap ordered by (deadline, seq), of slot numbers; each
 *	slot knows its heap position, so that cancelling is O(log n). A
 *	token is the slot's generation and number, so a stale token (one
 *	that fired, or was cancelled) is recognised and ignored.
 *
 *----------------------------------------------------------------------
 */

static int
TimerBefore(const sc_loop *loop, uint32_t a, uint32_t b)
{
    const struct sc__timer *ta = &loop->timers[a], *tb = &loop->timers[b];

    return ta->deadline < tb->deadline
	    || (ta->deadline == tb->deadline && ta->seq < tb->seq);
}

static void
HeapSet(sc_loop *loop, uint32_t pos, uint32_t slot)
{
    loop->heap[pos] = slot;
    loop->timers[slot].heapIndex = pos;
}

static void
SiftUp(sc_loop *loop, uint32_t pos)
{
    uint32_t slot = loop->heap[pos];

    while (pos > 0) {
	uint32_t parent = (pos - 1) / 2;

	if (!TimerBefore(loop, slot, loop->heap[parent])) {
	    break;
	}
	HeapSet(loop, pos, loop->heap[parent]);
	pos = parent;
    }
    HeapSet(loop, pos, slot);
}

static void
SiftDown(sc_loop *loop, uint32_t pos)
{
    uint32_t slot = loop->heap[pos];

    for (;;) {
	uint32_t child = 2 * pos + 1;

	if (child >= loop->heapLen) {
	    break;
	}
	if (child + 1 < loop->heapLen
		&& TimerBefore(loop, loop->heap[child + 1], loop->heap[child])) {
	    child++;
	}
	if (!TimerBefore(loop, loop->heap[child], slot)) {
	    break;
	}
	HeapSet(loop, pos, loop->heap[child]);
	pos = child;
    }
    HeapSet(loop, pos, slot);
}

/* Take slot out of the heap and put it on the free list. */
static void
RemoveTimer(sc_loop *loop, uint32_t slot)
{
    struct sc__timer *t = &loop->timers[slot];
    uint32_t pos = t->heapIndex;
    uint32_t last = loop->heap[--loop->heapLen];

    if (pos != loop->heapLen) {
	HeapSet(loop, pos, last);
	if (pos > 0 && TimerBefore(loop, last, loop->heap[(pos - 1) / 2])) {
	    SiftUp(loop, pos);
	} else {
	    SiftDown(loop, pos);
	}
    }
    t->heapIndex = NO_INDEX;
    t->proc = NULL;
    t->gen = (t->gen + 1) ? t->gen + 1 : 1;
    t->nextFree = loop->freeTimer;
    loop->freeTimer = slot;
}

static int
GrowTimers(sc_loop *loop)
{
    uint32_t cap = loop->timersCap ? loop->timersCap * 2 : 16;
    struct sc__timer *timers;
    uint32_t *heap;
    uint32_t i;

    if (loop->timersCap >= UINT32_MAX / 4) {
	errno = ENOMEM;
	return -1;
    }
    timers = sc__realloc(loop->timers, cap * sizeof(*timers));
    if (timers == NULL) {
	return -1;
    }
    loop->timers = timers;
    heap = sc__realloc(loop->heap, cap * sizeof(*heap));
    if (heap == NULL) {
	return -1;		/* The larger slot array is kept; harmless. */
    }
    loop->heap = heap;
    for (i = cap; i-- > loop->timersCap;) {
	timers[i].gen = 1;
	timers[i].heapIndex = NO_INDEX;
	timers[i].proc = NULL;
	timers[i].nextFree = loop->freeTimer;
	loop->freeTimer = i;
    }
    loop->timersCap = cap;
    return 0;
}

sc_timer
sc_create_timer(sc_loop *loop, long ms, sc_proc *proc, void *clientData)
{
    struct sc__timer *t;
    uint32_t slot;

    if (loop == NULL) {
	errno = EINVAL;
	return 0;
    }
    if (ms < 0) {
	sc__loop_error(loop, 0, "bad timeout %ld: should be a non-negative "
		"number of milliseconds", ms);
	return 0;
    }
    if (proc == NULL) {
	sc__loop_error(loop, 0, "can't create timer: no callback given");
	return 0;
    }
    if (loop->freeTimer == NO_INDEX && GrowTimers(loop) < 0) {
	sc__loop_error(loop, ENOMEM, "can't create timer");
	return 0;
    }
    slot = loop->freeTimer;
    t = &loop->timers[slot];
    loop->freeTimer = t->nextFree;
    if (ms > MAX_MS) {
	ms = MAX_MS;
    }
    t->deadline = sc__now_ns() + (uint64_t) ms * 1000000u;
    t->seq = loop->timerSeq++;
    t->proc = proc;
    t->clientData = clientData;
    loop->heap[loop->heapLen] = slot;
    t->heapIndex = loop->heapLen++;
    SiftUp(loop, t->heapIndex);
    return ((uint64_t) t->gen << 32) | (uint64_t) (slot + 1);
}

int
sc_delete_timer(sc_loop *loop, sc_timer timer)
{
    uint32_t slot = (uint32_t) (timer & 0xffffffffu);
    uint32_t gen = (uint32_t) (timer >> 32);

    if (loop == NULL || slot == 0 || slot > loop->timersCap) {
	return 0;
    }
    slot--;
    if (loop->timers[slot].gen != gen
	    || loop->timers[slot].heapIndex == NO_INDEX) {
	return 0;
    }
    RemoveTimer(loop, slot);
    return 1;
}

/*
 * Fire the timers that are due now and were created before this call:
 * a timer that a callback creates with 0 ms waits for the next pass, as
 * in Tcl, so that a timer re-arming itself cannot starve the loop.
 */
static int
FireTimers(sc_loop *loop)
{
    uint64_t now, seqLimit;
    int ran = 0;

    if (loop->heapLen == 0) {
	return 0;		/* No timer: no need for the clock. */
    }
    now = sc__now_ns();
    seqLimit = loop->timerSeq;

    while (loop->heapLen > 0) {
	uint32_t slot = loop->heap[0];
	struct sc__timer *t = &loop->timers[slot];
	sc_proc *proc = t->proc;
	void *clientData = t->clientData;

	if (t->deadline > now || t->seq >= seqLimit) {
	    break;
	}
	RemoveTimer(loop, slot);
	proc(clientData);
	ran++;
    }
    return ran;
}

/* Milliseconds until the first timer is due, rounded up; 0 if it is. */
static int
TimerTimeout(const sc_loop *loop)
{
    uint64_t now = sc__now_ns();
    uint64_t deadline = loop->timers[loop->heap[0]].deadline;
    uint64_t ms;

    if (deadline <= now) {
	return 0;
    }
    ms = (deadline - now + 999999u) / 1000000u;
    return ms > INT_MAX ? INT_MAX : (int) ms;
}

/*
 *----------------------------------------------------------------------
 *
 * Idle callbacks --
 *
 *----------------------------------------------------------------------
 */

int
sc_do_when_idle(sc_loop *loop, sc_proc *proc, void *clientData)
{
    struct sc__idle *idle;

    if (loop == NULL) {
	errno = EINVAL;
	return -1;
    }
    if (proc == NULL) {
	return sc__loop_error(loop, 0,
		"can't add idle callback: no callback given");
    }
    idle = sc__malloc(sizeof(*idle));
    if (idle == NULL) {
	return sc__loop_error(loop, ENOMEM, "can't add idle callback");
    }
    idle->proc = proc;
    idle->clientData = clientData;
    idle->round = loop->idleRound;
    idle->next = NULL;
    if (loop->idleTail) {
	loop->idleTail->next = idle;
    } else {
	loop->idleHead = idle;
    }
    loop->idleTail = idle;
    loop->numIdle++;
    return 0;
}

void
sc_cancel_idle_call(sc_loop *loop, sc_proc *proc, void *clientData)
{
    struct sc__idle **pp, *idle, *prev = NULL;

    if (loop == NULL) {
	return;
    }
    for (pp = &loop->idleHead; (idle = *pp) != NULL;) {
	if (idle->proc == proc && idle->clientData == clientData) {
	    *pp = idle->next;
	    loop->numIdle--;
	    sc__free(idle);
	} else {
	    prev = idle;
	    pp = &idle->next;
	}
    }
    loop->idleTail = prev;
}

/* Run the idle callbacks queued before this round began. */
static int
RunIdle(sc_loop *loop)
{
    uint64_t round = loop->idleRound++;
    int ran = 0;

    while (loop->idleHead != NULL && loop->idleHead->round <= round) {
	struct sc__idle *idle = loop->idleHead;
	sc_proc *proc = idle->proc;
	void *clientData = idle->clientData;

	loop->idleHead = idle->next;
	if (loop->idleHead == NULL) {
	    loop->idleTail = NULL;
	}
	loop->numIdle--;
	sc__free(idle);
	proc(clientData);
	ran++;
    }
    return ran;
}

/*
 *----------------------------------------------------------------------
 *
 * Deferred calls --
 *
 *----------------------------------------------------------------------
 */

int
sc__loop_defer(sc_loop *loop, sc_proc *proc, void *clientData)
{
    if (loop->depth == 0) {
	return -1;
    }
    if (loop->numDeferred == loop->deferredCap) {
	size_t cap = loop->deferredCap ? 2 * loop->deferredCap : 64;
	struct sc__deferred *d = sc__realloc(loop->deferred,
		cap * sizeof(*d));

	if (d == NULL) {
	    return -1;
	}
	loop->deferred = d;
	loop->deferredCap = cap;
    }
    loop->deferred[loop->numDeferred].proc = proc;
    loop->deferred[loop->numDeferred].clientData = clientData;
    loop->numDeferred++;
    return 0;
}

void
sc__loop_undefer(sc_loop *loop, sc_proc *proc, void *clientData)
{
    size_t i;

    for (i = 0; i < loop->numDeferred; i++) {
	if (loop->deferred[i].proc == proc
		&& loop->deferred[i].clientData == clientData) {
	    loop->deferred[i].proc = NULL;
	}
    }
}

/*
 * Make the put-off calls, in order. One may put off another (it is made
 * in this pass) or drop a later one; the table may move meanwhile.
 */
static void
RunDeferred(sc_loop *loop)
{
    size_t i;

    for (i = 0; i < loop->numDeferred; i++) {
	sc_proc *proc = loop->deferred[i].proc;

	if (proc != NULL) {
	    loop->deferred[i].proc = NULL;
	    proc(loop->deferred[i].clientData);
	}
    }
    loop->numDeferred = 0;
}

/*
 *----------------------------------------------------------------------
 *
 * Dispatch --
 *
 *----------------------------------------------------------------------
 */

/*
 * Call the handlers of the descriptors a wait reported. A callback may
 * delete or replace any handler, close any descriptor, or open a new one
 * with a number that was reported: the generation check drops events
 * meant for a handler that is gone, and the mask is re-read each time.
 */
static int
DispatchFiles(sc_loop *loop, struct sc__fired *fired, int n)
{
    int i, ran = 0, outerPosts = loop->postsRun;

    /* A nested dispatch (a callback running the loop) counts its own. */
    loop->postsRun = 0;
    for (i = 0; i < n; i++) {
	int fd = fired[i].fd;
	const struct sc__file *f;
	int mask;

	if (fd >= loop->filesCap) {
	    continue;
	}
	f = &loop->files[fd];
	if (f->gen != fired[i].gen) {
	    continue;
	}
	mask = fired[i].mask & f->mask;
	if (mask == 0) {
	    continue;
	}
	/*
	 * Nothing in f may be read after the call: the callback may grow
	 * (and so move) the table.
	 */
	ran += !f->internal;
	f->proc(f->clientData, mask);
    }
    ran += loop->postsRun;
    loop->postsRun = outerPosts;
    return ran;
}

/* Add the descriptors the backend cannot poll: they are always ready. */
static int
AddAlwaysReady(sc_loop *loop, struct sc__fired *fired, int n, int max)
{
    int fd;

    for (fd = 0; fd < loop->filesCap && n < max; fd++) {
	struct sc__file *f = &loop->files[fd];

	if (f->gen != 0 && f->alwaysReady && f->mask) {
	    fired[n].fd = fd;
	    fired[n].mask = f->mask & (SC_READABLE | SC_WRITABLE);
	    fired[n].gen = f->gen;
	    n++;
	}
    }
    return n;
}

/* Could anything of the kinds in flags ever become ready? */
static int
Alive(const sc_loop *loop, int flags)
{
    return ((flags & SC_FILE_EVENTS) && (loop->activeFiles > 0
		    || loop->holds > 0 || atomic_load(&loop->numPosts) > 0))
	    || ((flags & SC_TIMER_EVENTS) && loop->heapLen > 0)
	    || ((flags & SC_IDLE_EVENTS) && loop->numIdle > 0);
}

/* One round of sc_do_one_event: wait, then call what became ready. */
static int
Dispatch(sc_loop *loop, int flags)
{
    struct sc__fired fired[MAX_FIRED];
    int timeout = -1, ran = 0, n;

    if (flags & SC_DONT_WAIT) {
	timeout = 0;
    } else if ((flags & SC_IDLE_EVENTS) && loop->numIdle > 0) {
	timeout = 0;
    } else if ((flags & SC_TIMER_EVENTS) && loop->heapLen > 0) {
	timeout = TimerTimeout(loop);
    }

    if (flags & SC_FILE_EVENTS) {
	if (loop->alwaysReady > 0) {
	    timeout = 0;
	}
	n = loop->backend->wait(loop, fired, MAX_FIRED, timeout);
	if (n < 0) {
	    if (errno != EINTR) {
		return sc__loop_error(loop, errno, "can't wait for events");
	    }
	    n = 0;
	}
	if (loop->alwaysReady > 0) {
	    n = AddAlwaysReady(loop, fired, n, MAX_FIRED);
	}
	for (int i = 0; i < n; i++) {
	    fired[i].gen = fired[i].fd < loop->filesCap
		    ? loop->files[fired[i].fd].gen : 0;
	}
	ran += DispatchFiles(loop, fired, n);
    } else if (timeout != 0) {
	/* Only timers (or idle) are wanted: sleep until the first is due. */
	if (sc__poll(NULL, 0, timeout) < 0 && errno != EINTR) {
	    return sc__loop_error(loop, errno, "can't wait for events");
	}
    }

    if (flags & SC_TIMER_EVENTS) {
	ran += FireTimers(loop);
    }
    if (ran == 0 && (flags & SC_IDLE_EVENTS)) {
	ran += RunIdle(loop);
    }
    return ran > 0;
}

int
sc_do_one_event(sc_loop *loop, int flags)
{
    int r;

    if (loop == NULL) {
	errno = EINVAL;
	return -1;
    }
    if (!(flags & SC_ALL_EVENTS)) {
	flags |= SC_ALL_EVENTS;
    }
    RunDeferred(loop);		/* A callback running the loop again. */
    if (!Alive(loop, flags)) {
	return 0;
    }
    loop->depth++;
    r = Dispatch(loop, flags);
    loop->depth--;
    if (r >= 0) {
	RunDeferred(loop);	/* The program sees the watches as they are. */
    }
    return r;
}

int
sc_vwait(sc_loop *loop, const int *flag)
{
    if (loop == NULL) {
	errno = EINVAL;
	return -1;
    }
    while (flag == NULL || *flag == 0) {
	int r = sc_do_one_event(loop, SC_ALL_EVENTS);

	if (r < 0) {
	    return -1;
	}
	if (r == 0 && !Alive(loop, SC_ALL_EVENTS)) {
	    if (flag == NULL || *flag != 0) {
		return 0;
	    }
	    return sc__loop_error(loop, 0, "can't wait: would wait forever");
	}
    }
    return 0;
}
