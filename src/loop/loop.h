/*
 * loop.h --
 *
 *	The event loop's insides, shared by loop.c and its backends
 *	(epoll.c, poll.c), and the few internal calls the rest of the
 *	library makes on a loop. Not installed.
 */

#ifndef SC_LOOP_LOOP_H
#define SC_LOOP_LOOP_H

#include "sockchan.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>

/*
 * One ready descriptor, as a backend reports it. The loop stamps it with
 * the handler's generation when the wait returns, so that an event meant
 * for a handler that a callback has since deleted (or replaced) is never
 * delivered to whatever holds the descriptor number now.
 */
struct sc__fired {
    int fd;
    int mask;			/* SC_READABLE | SC_WRITABLE | SC_EXCEPTION */
    uint32_t gen;
};

/*
 * The backend interface: a handful of functions, one table per backend
 * (redis' ae_epoll.c / ae_select.c, chosen per loop here so that tests
 * can run every case on both).
 *
 * set:  change fd's registration from oldMask to newMask (0 = none).
 *       Returns 0, or -1 with errno; EPERM means the descriptor cannot be
 *       polled (a regular file under epoll) and is then always ready.
 * wait: wait up to timeoutMs (-1: forever) and fill out[0..max) with
 *       ready descriptors. Returns how many, or -1 with errno (EINTR is
 *       returned, not retried).
 */
struct sc__backend {
    const char *name;
    int (*init)(sc_loop *loop);
    void (*free)(sc_loop *loop);
    int (*set)(sc_loop *loop, int fd, int oldMask, int newMask);
    int (*wait)(sc_loop *loop, struct sc__fired *out, int max,
	    int timeoutMs);
};

extern const struct sc__backend sc__backend_poll;
#ifdef __linux__
extern const struct sc__backend sc__backend_epoll;
#endif

struct sc__file {		/* 24 bytes: one per descriptor. */
    sc_file_proc *proc;
    void *clientData;
    uint32_t gen;		/* 0: no handler on this descriptor. */
    uint8_t mask;		/* What the user asked for. */
    uint8_t regMask;		/* What the backend has registered. */
    uint8_t alwaysReady:1;	/* The backend cannot poll it (EPERM). */
    uint8_t internal:1;		/* The loop's own (the wake-up). */
};

struct sc__timer {
    uint64_t deadline;		/* Monotonic, in nanoseconds. */
    uint64_t seq;		/* Creation order, for equal deadlines. */
    sc_proc *proc;
    void *clientData;
    uint32_t gen;		/* Changes each time the slot is reused. */
    uint32_t heapIndex;		/* Position in loop->heap, or NO_INDEX. */
    uint32_t nextFree;		/* Free-list link while unused. */
};

struct sc__idle {
    sc_proc *proc;
    void *clientData;
    uint64_t round;		/* The idle round it may run in. */
    struct sc__idle *next;
};

struct sc__deferred {
    sc_proc *proc;
    void *clientData;
};

struct sc__post {
    sc_proc *proc;
    void *clientData;
    struct sc__post *next;
};

struct sc_loop {
    const struct sc__backend *backend;
    void *backendData;

    /* File handlers, indexed by descriptor. */
    struct sc__file *files;
    int filesCap;
    size_t numFiles;		/* User handlers (any mask). */
    size_t activeFiles;		/* User handlers with a non-zero mask. */
    size_t alwaysReady;		/* Handlers the backend cannot poll. */
    uint32_t nextFileGen;

    /* Timers: slots, and a binary min-heap of slot numbers. */
    struct sc__timer *timers;
    uint32_t timersCap;
    uint32_t freeTimer;		/* Head of the free-slot list. */
    uint32_t *heap;
    uint32_t heapLen;
    uint64_t timerSeq;

    /* Idle callbacks, in order. */
    struct sc__idle *idleHead, *idleTail;
    size_t numIdle;
    uint64_t idleRound;

    /* Wake-up and callbacks posted by other threads. */
    pthread_mutex_t postLock;
    struct sc__post *postHead, *postTail;
    atomic_size_t numPosts;
    atomic_int wakePending;
    int wakeRead, wakeWrite;	/* Equal for an eventfd. */
    int holds;
    int postsRun;		/* Posted callbacks run by this dispatch. */

    struct sc__mailbox *mailbox;	/* See sc__loop_mailbox. */

    /* Calls put off while callbacks run (sc__loop_defer). */
    struct sc__deferred *deferred;
    size_t numDeferred, deferredCap;
    int depth;			/* sc_do_one_event calls on the stack. */

    /* Free I/O blocks of the pool's size, linked through their first
     * bytes (see pool.c). */
    void *poolHead;
    size_t poolCount;

    char errmsg[512];
};

/*
 * Leave a message for sc_errmsg() and set errno to err. The message is
 * formatted like printf; when err is not 0, ": " and sc_errno_msg(err)
 * follow it. Returns -1, for "return sc__loop_error(...)".
 */
int sc__loop_error(sc_loop *loop, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Forget the last error message (so that a caller can tell whether a
 * callee left one). */
void sc__loop_clear_error(sc_loop *loop);
int sc__loop_verror(sc_loop *loop, int err, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/*
 * A pool of I/O blocks shared by everything on a loop: a channel takes
 * blocks while data flows and gives them back when it stops, so that an
 * idle channel holds none. Blocks of SC__POOL_BLOCK bytes are kept (up to
 * SC__POOL_KEEP of them); other sizes go straight to the allocator.
 */
#define SC__POOL_BLOCK (4096 + 24)
#define SC__POOL_KEEP 256
void *sc__pool_alloc(sc_loop *loop, size_t size);
void sc__pool_free(sc_loop *loop, void *block, size_t size);
void sc__pool_drain(sc_loop *loop);

/*
 * A mailbox: how a thread that may outlive the loop posts to it. It is
 * shared (reference-counted) between the loop and such threads; when the
 * loop is freed, posts find it gone instead of freed memory.
 * sc__loop_mailbox takes a reference; sc__mailbox_post returns 0 (posted),
 * 1 (the loop is gone) or -1 (no memory); sc__mailbox_release drops one.
 */
struct sc__mailbox {
    pthread_mutex_t lock;
    sc_loop *loop;
    int refs;
};
struct sc__mailbox *sc__loop_mailbox(sc_loop *loop);
int sc__mailbox_post(struct sc__mailbox *mb, sc_proc *proc,
	void *clientData);
void sc__mailbox_release(struct sc__mailbox *mb);
/*
 * Loop thread: take back a post of proc(clientData) that no dispatch has
 * taken yet. Returns 1 if it was there (it will not run), else 0 (it ran,
 * or runs in the dispatch under way).
 */
int sc__loop_unpost(sc_loop *loop, sc_proc *proc, void *clientData);

/*
 * While the loop dispatches, put a call off until just before it next
 * waits, or until the dispatch ends, whichever comes first: how the
 * channel layer changes what it watches once per round instead of at each
 * write (a write queues, a flush empties: no change is left to make).
 * Returns 0, or -1 when the loop is not dispatching (or out of memory):
 * the caller then acts at once. sc__loop_undefer drops a put-off call
 * (its data is going away).
 */
int sc__loop_defer(sc_loop *loop, sc_proc *proc, void *clientData);
void sc__loop_undefer(sc_loop *loop, sc_proc *proc, void *clientData);

/* The monotonic clock, in nanoseconds. */
uint64_t sc__now_ns(void);

#endif /* SC_LOOP_LOOP_H */
