/*
 * test_loop.c --
 *
 *	The event loop (src/loop/loop.c). CTest runs every case once per
 *	backend (SOCKCHAN_BACKEND=epoll and =poll).
 */

#include "harness.h"
#include "core/sys.h"
#include "loop/loop.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* The wait call of a loop's backend, for the seam's counters. */
static int
WaitCall(sc_loop *loop)
{
    return strcmp(sc_loop_backend(loop), "epoll") == 0
	    ? SC_SYS_EPOLL_WAIT : SC_SYS_POLL;
}

/* --- file handlers ------------------------------------------------------ */

struct counter {
    int calls;
    int lastMask;
};

static void
Count(void *clientData, int mask)
{
    struct counter *c = clientData;

    c->calls++;
    c->lastMask = mask;
}

static void
readable_and_writable(void **state)
{
    sc_loop *loop = sct_loop();
    struct counter c = {0, 0};
    int fds[2];

    (void) state;
    sct_socketpair(fds);

    /* Nothing to read: a readable handler does not fire. */
    assert_int_equal(sc_create_file_handler(loop, fds[0], SC_READABLE,
	    Count, &c), 0);
    assert_int_equal(sc_do_one_event(loop, SC_DONT_WAIT), 0);
    assert_int_equal(c.calls, 0);

    /* Data arrives: it fires, with the readable bit only. */
    assert_int_equal(write(fds[1], "x", 1), 1);
    sct_wait_for(loop, &c.calls, 5000);
    assert_int_equal(c.lastMask, SC_READABLE);

    /* Changing the mask to writable: fires at once, readable bit gone. */
    c.calls = 0;
    assert_int_equal(sc_create_file_handler(loop, fds[0], SC_WRITABLE,
	    Count, &c), 0);
    sct_wait_for(loop, &c.calls, 5000);
    assert_int_equal(c.lastMask, SC_WRITABLE);

    /* Mask 0 keeps the handler but watches nothing. */
    c.calls = 0;
    assert_int_equal(sc_create_file_handler(loop, fds[0], 0, Count, &c), 0);
    assert_int_equal(sc_loop_handlers(loop, SC_FILE_EVENTS), 1);
    assert_int_equal(sc_do_one_event(loop, SC_DONT_WAIT), 0);
    assert_int_equal(c.calls, 0);

    sc_delete_file_handler(loop, fds[0]);
    sc_delete_file_handler(loop, fds[0]);	/* A no-op the second time. */
    close(fds[0]);
    close(fds[1]);
    sct_loop_free(loop);
}

struct selfRemove {
    sc_loop *loop;
    int fd;
    int calls;
    int closeIt;
};

static void
RemoveSelf(void *clientData, int mask)
{
    struct selfRemove *s = clientData;

    (void) mask;
    s->calls++;
    sc_delete_file_handler(s->loop, s->fd);
    if (s->closeIt) {
	close(s->fd);
	s->fd = -1;
    }
}

static void
handler_removes_itself(void **state)
{
    sc_loop *loop = sct_loop();
    struct selfRemove s = {loop, -1, 0, 0};
    int fds[2], i;

    (void) state;
    sct_socketpair(fds);
    s.fd = fds[0];
    assert_int_equal(write(fds[1], "x", 1), 1);	/* Stays readable. */
    assert_int_equal(sc_create_file_handler(loop, fds[0], SC_READABLE,
	    RemoveSelf, &s), 0);
    for (i = 0; i < 5; i++) {
	sc_do_one_event(loop, SC_DONT_WAIT);
    }
    assert_int_equal(s.calls, 1);
    assert_int_equal(sc_loop_handlers(loop, SC_FILE_EVENTS), 0);
    close(fds[0]);
    close(fds[1]);
    sct_loop_free(loop);
}

static void
handler_closes_its_descriptor(void **state)
{
    sc_loop *loop = sct_loop();
    struct selfRemove s = {loop, -1, 0, 1};
    int fds[2], i;

    (void) state;
    sct_socketpair(fds);
    s.fd = fds[0];
    assert_int_equal(write(fds[1], "x", 1), 1);
    assert_int_equal(sc_create_file_handler(loop, fds[0],
	    SC_READABLE | SC_WRITABLE, RemoveSelf, &s), 0);
    for (i = 0; i < 5; i++) {
	sc_do_one_event(loop, SC_DONT_WAIT);
    }
    assert_int_equal(s.calls, 1);
    assert_int_equal(s.fd, -1);
    close(fds[1]);
    sct_loop_free(loop);
}

/*
 * Two descriptors are ready in one pass. The first handler to run deletes
 * the other's handler, closes it, and opens a new descriptor that gets the
 * same number, with a handler of its own: the event reported for the old
 * descriptor must reach neither the old handler nor the new one.
 */
struct reuse {
    sc_loop *loop;
    int fdA, fdB;
    int peerA, peerB;
    int callsA, callsB, callsNew;
    int newFds[2];
    int reused;
};

static void ReuseA(void *clientData, int mask);
static void ReuseB(void *clientData, int mask);

static void
ReuseNew(void *clientData, int mask)
{
    struct reuse *r = clientData;

    (void) mask;
    r->callsNew++;
}

static void
Victim(struct reuse *r, int victim)
{
    sc_delete_file_handler(r->loop, victim);
    close(victim);
    sct_socketpair(r->newFds);
    r->reused = (r->newFds[0] == victim);
    assert_int_equal(sc_create_file_handler(r->loop, r->newFds[0],
	    SC_READABLE, ReuseNew, r), 0);
}

static void
ReuseA(void *clientData, int mask)
{
    struct reuse *r = clientData;

    (void) mask;
    r->callsA++;
    if (r->callsB == 0) {
	Victim(r, r->fdB);
	r->fdB = -1;
    }
    sc_delete_file_handler(r->loop, r->fdA);
}

static void
ReuseB(void *clientData, int mask)
{
    struct reuse *r = clientData;

    (void) mask;
    r->callsB++;
    if (r->callsA == 0) {
	Victim(r, r->fdA);
	r->fdA = -1;
    }
    sc_delete_file_handler(r->loop, r->fdB);
}

static void
stale_event_not_delivered(void **state)
{
    sc_loop *loop = sct_loop();
    struct reuse r;
    int a[2], b[2];

    (void) state;
    memset(&r, 0, sizeof(r));
    r.loop = loop;
    sct_socketpair(a);
    sct_socketpair(b);
    r.fdA = a[0];
    r.peerA = a[1];
    r.fdB = b[0];
    r.peerB = b[1];
    assert_int_equal(write(a[1], "x", 1), 1);
    assert_int_equal(write(b[1], "x", 1), 1);
    assert_int_equal(sc_create_file_handler(loop, a[0], SC_READABLE, ReuseA,
	    &r), 0);
    assert_int_equal(sc_create_file_handler(loop, b[0], SC_READABLE, ReuseB,
	    &r), 0);
    assert_int_equal(sc_do_one_event(loop, SC_DONT_WAIT), 1);

    /* Exactly one of the two ran; the victim's event went nowhere. */
    assert_int_equal(r.callsA + r.callsB, 1);
    assert_true(r.reused);
    assert_int_equal(r.callsNew, 0);

    sc_delete_file_handler(loop, r.newFds[0]);
    if (r.fdA >= 0) {
	close(r.fdA);
    }
    if (r.fdB >= 0) {
	close(r.fdB);
    }
    close(r.peerA);
    close(r.peerB);
    close(r.newFds[0]);
    close(r.newFds[1]);
    sct_loop_free(loop);
}

/*
 * A handler replaces another descriptor's handler (new proc and mask) in
 * the pass where both are ready: the readable event reported for the old
 * handler reaches neither it nor the new one; the new one fires next.
 */
struct other {
    sc_loop *loop;
    int fd;
    struct counter old, fresh;
};

static void
ChangeOther(void *clientData, int mask)
{
    struct other *o = clientData;

    (void) mask;
    assert_int_equal(sc_create_file_handler(o->loop, o->fd, SC_WRITABLE,
	    Count, &o->fresh), 0);
}

static void
handler_changes_another(void **state)
{
    sc_loop *loop = sct_loop();
    struct other o;
    int a[2], b[2];

    (void) state;
    memset(&o, 0, sizeof(o));
    o.loop = loop;
    sct_socketpair(a);
    sct_socketpair(b);
    o.fd = b[0];
    assert_int_equal(write(b[1], "x", 1), 1);
    assert_int_equal(write(a[1], "x", 1), 1);
    /* b[0] is readable now, with its old handler. */
    assert_int_equal(sc_create_file_handler(loop, b[0], SC_READABLE, Count,
	    &o.old), 0);
    /* a[0] is readable too, and its handler replaces b[0]'s. Whichever
     * runs first, the old handler of b[0] may run only if it came first. */
    assert_int_equal(sc_create_file_handler(loop, a[0], SC_READABLE,
	    ChangeOther, &o), 0);
    assert_int_equal(sc_do_one_event(loop, SC_DONT_WAIT), 1);
    assert_int_equal(o.fresh.calls, 0);
    sc_delete_file_handler(loop, a[0]);
    sct_wait_for(loop, &o.fresh.calls, 5000);
    assert_int_equal(o.fresh.lastMask, SC_WRITABLE);
    assert_true(o.old.calls <= 1);
    sc_delete_file_handler(loop, b[0]);
    close(a[0]);
    close(a[1]);
    close(b[0]);
    close(b[1]);
    sct_loop_free(loop);
}

/* A callback registers a descriptor far above the table: it grows. */
struct grow {
    sc_loop *loop;
    int high;
    int calls, highCalls;
};

static void
HighReady(void *clientData, int mask)
{
    struct grow *g = clientData;

    (void) mask;
    g->highCalls++;
    sc_delete_file_handler(g->loop, g->high);
}

static void
GrowInCallback(void *clientData, int mask)
{
    struct grow *g = clientData;

    (void) mask;
    g->calls++;
    assert_int_equal(sc_create_file_handler(g->loop, g->high, SC_WRITABLE,
	    HighReady, g), 0);
}

static void
callback_grows_the_table(void **state)
{
    sc_loop *loop = sct_loop();
    struct grow g = {loop, -1, 0, 0};
    int a[2], b[2];

    (void) state;
    if (sct_want_fds(3000) < 0) {
	skip();
    }
    sct_socketpair(a);
    sct_socketpair(b);
    g.high = dup2(b[0], 2900);
    assert_int_equal(g.high, 2900);
    assert_int_equal(sc_create_file_handler(loop, a[0], SC_WRITABLE,
	    GrowInCallback, &g), 0);
    assert_int_equal(sc_do_one_event(loop, SC_DONT_WAIT), 1);
    sc_delete_file_handler(loop, a[0]);
    sct_wait_for(loop, &g.highCalls, 5000);
    assert_int_equal(g.calls, 1);
    close(g.high);
    close(a[0]);
    close(a[1]);
    close(b[0]);
    close(b[1]);
    sct_loop_free(loop);
}

/* A callback that runs the loop itself (a nested vwait). */
struct nest {
    sc_loop *loop;
    int inner, outer, depth, maxDepth;
};

static void
InnerTimer(void *clientData)
{
    ((struct nest *) clientData)->inner = 1;
}

static void
OuterTimer(void *clientData)
{
    struct nest *n = clientData;

    n->depth++;
    if (n->depth > n->maxDepth) {
	n->maxDepth = n->depth;
    }
    assert_true(sc_create_timer(n->loop, 5, InnerTimer, n) != 0);
    assert_int_equal(sc_vwait(n->loop, &n->inner), 0);
    n->depth--;
    n->outer = 1;
}

static void
nested_vwait(void **state)
{
    sc_loop *loop = sct_loop();
    struct nest n = {loop, 0, 0, 0, 0};

    (void) state;
    assert_true(sc_create_timer(loop, 0, OuterTimer, &n) != 0);
    assert_int_equal(sc_vwait(loop, &n.outer), 0);
    assert_int_equal(n.inner, 1);
    assert_int_equal(n.maxDepth, 1);
    sct_loop_free(loop);
}

/* Hang-up: the peer closes; a readable handler fires (and read says EOF). */
static void
hangup_is_readable(void **state)
{
    sc_loop *loop = sct_loop();
    struct counter c = {0, 0};
    char buf[4];
    int fds[2];

    (void) state;
    sct_socketpair(fds);
    assert_int_equal(sc_create_file_handler(loop, fds[0], SC_READABLE,
	    Count, &c), 0);
    close(fds[1]);
    sct_wait_for(loop, &c.calls, 5000);
    assert_int_equal(c.lastMask, SC_READABLE);
    assert_int_equal(read(fds[0], buf, sizeof(buf)), 0);
    sc_delete_file_handler(loop, fds[0]);
    close(fds[0]);
    sct_loop_free(loop);
}

/* Urgent data on TCP is an exception event. */
static void
exception_on_urgent_data(void **state)
{
    sc_loop *loop = sct_loop();
    struct counter c = {0, 0};
    int client, server;

    (void) state;
    sct_tcp_pair(&client, &server);
    assert_int_equal(sc_create_file_handler(loop, server, SC_EXCEPTION,
	    Count, &c), 0);
    assert_int_equal(sc_do_one_event(loop, SC_DONT_WAIT), 0);
    assert_int_equal(send(client, "!", 1, MSG_OOB), 1);
    sct_wait_for(loop, &c.calls, 5000);
    assert_int_equal(c.lastMask, SC_EXCEPTION);
    sc_delete_file_handler(loop, server);
    close(client);
    close(server);
    sct_loop_free(loop);
}

/*
 * Descriptors far above 1,024 (select's FD_SETSIZE): 2,000 socketpairs,
 * all ready at once, each handler called, none missed, none twice.
 */
#define MANY 2000

struct many {
    sc_loop *loop;
    int fds[MANY][2];
    int calls[MANY];
    int done;
    int all;			/* Set when every handler has run. */
};

static void
ManyReadable(void *clientData, int mask)
{
    void **slot = clientData;
    struct many *m = slot[0];
    int i = (int) (intptr_t) slot[1];
    char c;

    (void) mask;
    assert_int_equal(read(m->fds[i][0], &c, 1), 1);
    m->calls[i]++;
    sc_delete_file_handler(m->loop, m->fds[i][0]);
    if (++m->done == MANY) {
	m->all = 1;
    }
}

static void
descriptors_above_1024(void **state)
{
    struct many *m;
    void *(*slots)[2];
    int i, maxFd = 0;

    (void) state;
    if (sct_want_fds(2 * MANY + 64) < 0) {
	skip();
    }
    m = calloc(1, sizeof(*m));
    slots = calloc(MANY, sizeof(*slots));
    assert_non_null(m);
    assert_non_null(slots);
    m->loop = sct_loop();
    for (i = 0; i < MANY; i++) {
	sct_socketpair(m->fds[i]);
	if (m->fds[i][0] > maxFd) {
	    maxFd = m->fds[i][0];
	}
	slots[i][0] = m;
	slots[i][1] = (void *) (intptr_t) i;
	assert_int_equal(sc_create_file_handler(m->loop, m->fds[i][0],
		SC_READABLE, ManyReadable, slots[i]), 0);
    }
    assert_true(maxFd > 1024 * 3);
    for (i = 0; i < MANY; i++) {
	assert_int_equal(write(m->fds[i][1], "x", 1), 1);
    }
    sct_wait_for(m->loop, &m->all, 10000);
    for (i = 0; i < MANY; i++) {
	assert_int_equal(m->calls[i], 1);
	close(m->fds[i][0]);
	close(m->fds[i][1]);
    }
    sct_loop_free(m->loop);
    free(slots);
    free(m);
}

/* --- timers ------------------------------------------------------------- */

struct order {
    int seen[16];
    int n;
};

struct tick {
    struct order *order;
    int id;
};

static void
Tick(void *clientData)
{
    struct tick *t = clientData;

    t->order->seen[t->order->n++] = t->id;
}

static void
timers_fire_in_deadline_order(void **state)
{
    sc_loop *loop = sct_loop();
    struct order o = {{0}, 0};
    struct tick t[6];
    long ms[6] = {30, 10, 20, 10, 0, 10};
    int expect[6] = {4, 1, 3, 5, 2, 0};
    int i, done = 0;
    uint64_t start = sct_ms();

    (void) state;
    for (i = 0; i < 6; i++) {
	t[i].order = &o;
	t[i].id = i;
	assert_true(sc_create_timer(loop, ms[i], Tick, &t[i]) != 0);
    }
    while (o.n < 6) {
	assert_int_equal(sc_vwait(loop, &done), -1);	/* Runs them all. */
    }
    /* Equal deadlines (1, 3, 5 at 10 ms) keep their creation order. */
    assert_memory_equal(o.seen, expect, sizeof(expect));
    assert_true(sct_ms() - start >= 30);
    assert_string_equal(sc_errmsg(loop), "can't wait: would wait forever");
    sct_loop_free(loop);
}

static void
timer_cancel(void **state)
{
    sc_loop *loop = sct_loop();
    struct order o = {{0}, 0};
    struct tick t[3] = {{&o, 0}, {&o, 1}, {&o, 2}};
    sc_timer a, b, c;

    (void) state;
    a = sc_create_timer(loop, 0, Tick, &t[0]);
    b = sc_create_timer(loop, 0, Tick, &t[1]);
    c = sc_create_timer(loop, 0, Tick, &t[2]);
    assert_true(a && b && c && a != b && b != c);
    assert_int_equal(sc_loop_handlers(loop, SC_TIMER_EVENTS), 3);
    assert_int_equal(sc_delete_timer(loop, b), 1);
    assert_int_equal(sc_delete_timer(loop, b), 0);	/* Already gone. */
    assert_int_equal(sc_loop_handlers(loop, SC_TIMER_EVENTS), 2);
    assert_int_equal(sc_vwait(loop, NULL), 0);
    assert_int_equal(o.n, 2);
    assert_int_equal(o.seen[0], 0);
    assert_int_equal(o.seen[1], 2);
    /* A token that fired is stale: cancelling it does nothing, even after
     * its slot was reused by a new timer. */
    assert_int_equal(sc_delete_timer(loop, a), 0);
    b = sc_create_timer(loop, 1000, Tick, &t[1]);
    assert_true(b != a && b != c);
    assert_int_equal(sc_delete_timer(loop, a), 0);
    assert_int_equal(sc_delete_timer(loop, c), 0);
    assert_int_equal(sc_delete_timer(loop, 0), 0);
    assert_int_equal(sc_delete_timer(loop, (sc_timer) 1 << 40 | 77), 0);
    assert_int_equal(sc_loop_handlers(loop, SC_TIMER_EVENTS), 1);
    assert_int_equal(sc_delete_timer(loop, b), 1);
    sct_loop_free(loop);
}

/* A timer callback cancels the next one due in the same pass. */
struct canceller {
    sc_loop *loop;
    sc_timer victim;
    int fired;
    int victimFired;
};

static void
CancelVictim(void *clientData)
{
    struct canceller *c = clientData;

    c->fired++;
    assert_int_equal(sc_delete_timer(c->loop, c->victim), 1);
}

static void
VictimFired(void *clientData)
{
    ((struct canceller *) clientData)->victimFired++;
}

static void
timer_cancels_another_due_now(void **state)
{
    sc_loop *loop = sct_loop();
    struct canceller c = {loop, 0, 0, 0};

    (void) state;
    assert_true(sc_create_timer(loop, 5, CancelVictim, &c) != 0);
    c.victim = sc_create_timer(loop, 5, VictimFired, &c);
    assert_true(c.victim != 0);
    assert_int_equal(sc_vwait(loop, NULL), 0);
    assert_int_equal(c.fired, 1);
    assert_int_equal(c.victimFired, 0);
    sct_loop_free(loop);
}

/* A 0 ms timer created by a timer waits for the next pass. */
struct rearm {
    sc_loop *loop;
    int fired;
};

static void
Rearm(void *clientData)
{
    struct rearm *r = clientData;

    if (++r->fired < 3) {
	assert_true(sc_create_timer(r->loop, 0, Rearm, r) != 0);
    }
}

static void
timer_created_in_callback_waits_a_pass(void **state)
{
    sc_loop *loop = sct_loop();
    struct rearm r = {loop, 0};

    (void) state;
    assert_true(sc_create_timer(loop, 0, Rearm, &r) != 0);
    assert_int_equal(sc_do_one_event(loop, SC_TIMER_EVENTS), 1);
    assert_int_equal(r.fired, 1);
    assert_int_equal(sc_do_one_event(loop, SC_TIMER_EVENTS), 1);
    assert_int_equal(r.fired, 2);
    assert_int_equal(sc_do_one_event(loop, SC_TIMER_EVENTS), 1);
    assert_int_equal(r.fired, 3);
    assert_int_equal(sc_do_one_event(loop, SC_TIMER_EVENTS), 0);
    sct_loop_free(loop);
}

/*
 * Many timers, cancelled at random, fire in (deadline, creation) order:
 * checks the heap under insertions and removals from the middle. The
 * deadlines are read from the loop itself (a white-box look through
 * loop.h), since creating 20,000 timers takes longer than a millisecond.
 */
struct heapCheck {
    uint64_t lastDeadline, lastSeq;
    int fired;
    int bad;
};

struct heapTimer {
    struct heapCheck *check;
    uint64_t deadline, seq;
    sc_timer token;
    int cancelled;
    int fired;
};

static void
HeapFired(void *clientData)
{
    struct heapTimer *t = clientData;
    struct heapCheck *c = t->check;

    if (t->cancelled || t->fired || t->deadline < c->lastDeadline
	    || (t->deadline == c->lastDeadline && t->seq < c->lastSeq)) {
	c->bad++;
    }
    if (sc__now_ns() < t->deadline) {
	c->bad++;		/* Early. */
    }
    c->lastDeadline = t->deadline;
    c->lastSeq = t->seq;
    t->fired = 1;
    c->fired++;
}

/* The heap property and every slot's back-index. */
static int
HeapValid(const sc_loop *loop)
{
    uint32_t i;

    for (i = 0; i < loop->heapLen; i++) {
	const struct sc__timer *t = &loop->timers[loop->heap[i]];

	if (t->heapIndex != i) {
	    return 0;
	}
	if (i > 0) {
	    const struct sc__timer *p = &loop->timers[loop->heap[(i - 1) / 2]];

	    if (p->deadline > t->deadline
		    || (p->deadline == t->deadline && p->seq > t->seq)) {
		return 0;
	    }
	}
    }
    return 1;
}

static void
timer_heap_under_churn(void **state)
{
    enum { N = 20000 };
    sc_loop *loop = sct_loop();
    struct heapCheck check = {0, 0, 0, 0};
    struct heapTimer *t = calloc(N, sizeof(*t));
    int i, live = N;

    (void) state;
    assert_non_null(t);
    srand(42);
    for (i = 0; i < N; i++) {
	const struct sc__timer *slot;

	t[i].check = &check;
	t[i].token = sc_create_timer(loop, rand() % 50, HeapFired, &t[i]);
	assert_true(t[i].token != 0);
	slot = &loop->timers[(t[i].token & 0xffffffffu) - 1];
	t[i].deadline = slot->deadline;
	t[i].seq = slot->seq;
    }
    assert_true(HeapValid(loop));
    for (i = 0; i < N; i += 1 + rand() % 3) {
	assert_int_equal(sc_delete_timer(loop, t[i].token), 1);
	t[i].cancelled = 1;
	live--;
    }
    assert_true(HeapValid(loop));
    assert_int_equal(sc_loop_handlers(loop, SC_TIMER_EVENTS), live);
    assert_int_equal(sc_vwait(loop, NULL), 0);
    assert_int_equal(check.fired, live);
    assert_int_equal(check.bad, 0);
    free(t);
    sct_loop_free(loop);
}

/*
 * Timers whose deadlines are exactly equal fire in creation order. The
 * clock has nanoseconds, so the test makes them equal through loop.h.
 */
static void
equal_deadlines_keep_creation_order(void **state)
{
    sc_loop *loop = sct_loop();
    struct order o = {{0}, 0};
    struct tick t[8];
    sc_timer tok[8];
    uint64_t deadline;
    int i;

    (void) state;
    for (i = 0; i < 8; i++) {
	t[i].order = &o;
	t[i].id = i;
	tok[i] = sc_create_timer(loop, 5, Tick, &t[i]);
	assert_true(tok[i] != 0);
    }
    deadline = loop->timers[(tok[7] & 0xffffffffu) - 1].deadline;
    for (i = 0; i < 8; i++) {
	loop->timers[(tok[i] & 0xffffffffu) - 1].deadline = deadline;
    }
    assert_true(HeapValid(loop));
    assert_int_equal(sc_vwait(loop, NULL), 0);
    for (i = 0; i < 8; i++) {
	assert_int_equal(o.seen[i], i);
    }
    sct_loop_free(loop);
}

/* --- idle callbacks ----------------------------------------------------- */

struct idleRun {
    sc_loop *loop;
    int runs;
    int addMore;
    int timerFired;
};

static void
Idle(void *clientData)
{
    struct idleRun *r = clientData;

    r->runs++;
    if (r->addMore > 0) {
	r->addMore--;
	assert_int_equal(sc_do_when_idle(r->loop, Idle, r), 0);
    }
}

static void
IdleTimer(void *clientData)
{
    ((struct idleRun *) clientData)->timerFired++;
}

static void
idle_runs_when_nothing_else(void **state)
{
    sc_loop *loop = sct_loop();
    struct idleRun r = {loop, 0, 2, 0};
    int fds[2];
    struct counter c = {0, 0};

    (void) state;
    sct_socketpair(fds);
    assert_int_equal(write(fds[1], "x", 1), 1);
    assert_int_equal(sc_create_file_handler(loop, fds[0], SC_READABLE,
	    Count, &c), 0);
    assert_int_equal(sc_do_when_idle(loop, Idle, &r), 0);

    /* A ready descriptor goes first; idle waits for a quiet pass. */
    assert_int_equal(sc_do_one_event(loop, SC_ALL_EVENTS), 1);
    assert_int_equal(c.calls, 1);
    assert_int_equal(r.runs, 0);
    sc_delete_file_handler(loop, fds[0]);

    /* Each round runs what was queued before it: the one it adds waits. */
    assert_int_equal(sc_do_one_event(loop, SC_ALL_EVENTS), 1);
    assert_int_equal(r.runs, 1);
    assert_int_equal(sc_do_one_event(loop, SC_ALL_EVENTS), 1);
    assert_int_equal(r.runs, 2);
    assert_int_equal(sc_do_one_event(loop, SC_ALL_EVENTS), 1);
    assert_int_equal(r.runs, 3);
    assert_int_equal(sc_do_one_event(loop, SC_ALL_EVENTS), 0);

    /* Without SC_IDLE_EVENTS, idle callbacks wait. */
    assert_int_equal(sc_do_when_idle(loop, Idle, &r), 0);
    assert_true(sc_create_timer(loop, 0, IdleTimer, &r) != 0);
    assert_int_equal(sc_do_one_event(loop, SC_TIMER_EVENTS), 1);
    assert_int_equal(r.timerFired, 1);
    assert_int_equal(sc_do_one_event(loop, SC_TIMER_EVENTS), 0);
    assert_int_equal(r.runs, 3);
    assert_int_equal(sc_do_one_event(loop, SC_IDLE_EVENTS), 1);
    assert_int_equal(r.runs, 4);

    close(fds[0]);
    close(fds[1]);
    sct_loop_free(loop);
}

static void
idle_cancel(void **state)
{
    sc_loop *loop = sct_loop();
    struct idleRun r = {loop, 0, 0, 0}, other = {loop, 0, 0, 0};

    (void) state;
    assert_int_equal(sc_do_when_idle(loop, Idle, &r), 0);
    assert_int_equal(sc_do_when_idle(loop, Idle, &other), 0);
    assert_int_equal(sc_do_when_idle(loop, Idle, &r), 0);
    assert_int_equal(sc_loop_handlers(loop, SC_IDLE_EVENTS), 3);
    sc_cancel_idle_call(loop, Idle, &r);	/* Both of r's go. */
    assert_int_equal(sc_loop_handlers(loop, SC_IDLE_EVENTS), 1);
    assert_int_equal(sc_vwait(loop, NULL), 0);
    assert_int_equal(r.runs, 0);
    assert_int_equal(other.runs, 1);
    /* The list stays usable after cancelling its tail. */
    assert_int_equal(sc_do_when_idle(loop, Idle, &r), 0);
    assert_int_equal(sc_vwait(loop, NULL), 0);
    assert_int_equal(r.runs, 1);
    sct_loop_free(loop);
}

/* --- do one event and vwait --------------------------------------------- */

static void
nothing_registered_returns(void **state)
{
    sc_loop *loop = sct_loop();
    int flag = 0;
    uint64_t start = sct_ms();

    (void) state;
    /* Blocking calls with nothing that could fire return at once. */
    assert_int_equal(sc_do_one_event(loop, 0), 0);
    assert_int_equal(sc_do_one_event(loop, SC_ALL_EVENTS), 0);
    assert_int_equal(sc_vwait(loop, &flag), -1);
    assert_string_equal(sc_errmsg(loop), "can't wait: would wait forever");
    assert_int_equal(sc_vwait(loop, NULL), 0);
    assert_true(sct_ms() - start < 1000);
    sct_loop_free(loop);
}

static void
SetFlag(void *clientData)
{
    *(int *) clientData = 1;
}

static void
SetFlagAfterTwo(void *clientData)
{
    int *n = clientData;

    ++*n;
}

static void
vwait_until_flag(void **state)
{
    sc_loop *loop = sct_loop();
    int flag = 0, other = 0;
    sc_timer later;

    (void) state;
    assert_true(sc_create_timer(loop, 1, SetFlagAfterTwo, &other) != 0);
    assert_true(sc_create_timer(loop, 20, SetFlag, &flag) != 0);
    later = sc_create_timer(loop, 60000, SetFlag, &other);
    assert_int_equal(sc_vwait(loop, &flag), 0);
    assert_int_equal(flag, 1);
    assert_int_equal(other, 1);
    /* The later timer is untouched by the wait ending. */
    assert_int_equal(sc_delete_timer(loop, later), 1);
    sct_loop_free(loop);
}

static void
flags_select_event_kinds(void **state)
{
    sc_loop *loop = sct_loop();
    struct counter c = {0, 0};
    int fired = 0, fds[2];

    (void) state;
    sct_socketpair(fds);
    assert_int_equal(sc_create_file_handler(loop, fds[0], SC_WRITABLE,
	    Count, &c), 0);
    assert_true(sc_create_timer(loop, 0, SetFlag, &fired) != 0);

    /* Timers only: the writable descriptor is not handled. */
    assert_int_equal(sc_do_one_event(loop, SC_TIMER_EVENTS | SC_DONT_WAIT),
	    1);
    assert_int_equal(fired, 1);
    assert_int_equal(c.calls, 0);

    /* Files only: a due timer waits. */
    fired = 0;
    assert_true(sc_create_timer(loop, 0, SetFlag, &fired) != 0);
    assert_int_equal(sc_do_one_event(loop, SC_FILE_EVENTS | SC_DONT_WAIT),
	    1);
    assert_int_equal(c.calls, 1);
    assert_int_equal(fired, 0);
    sc_delete_file_handler(loop, fds[0]);
    assert_int_equal(sc_do_one_event(loop, SC_DONT_WAIT), 1);
    assert_int_equal(fired, 1);

    /* A blocking wait for timers only sleeps until the timer is due. */
    fired = 0;
    assert_true(sc_create_timer(loop, 30, SetFlag, &fired) != 0);
    assert_int_equal(sc_do_one_event(loop, SC_TIMER_EVENTS), 1);
    assert_int_equal(fired, 1);

    close(fds[0]);
    close(fds[1]);
    sct_loop_free(loop);
}

/* --- the wake-up -------------------------------------------------------- */

struct poster {
    sc_loop *loop;
    int posts;
    int received;		/* Touched on the loop's thread only. */
    int done;
};

static void
Received(void *clientData)
{
    struct poster *p = clientData;

    if (++p->received == p->posts) {
	p->done = 1;
    }
}

static void *
PostFromThread(void *arg)
{
    struct poster *p = arg;
    int i;

    for (i = 0; i < p->posts / 4; i++) {
	if (sc_loop_post(p->loop, Received, p) != 0) {
	    abort();		/* cmocka's asserts belong to the main thread. */
	}
    }
    return NULL;
}

static void
wakeup_from_other_threads(void **state)
{
    sc_loop *loop = sct_loop();
    struct poster p = {loop, 40000, 0, 0};
    pthread_t threads[4];
    int i;

    (void) state;
    /* Without a hold, nothing registered: the wait would end at once. */
    sc_loop_hold(loop);
    for (i = 0; i < 4; i++) {
	assert_int_equal(pthread_create(&threads[i], NULL, PostFromThread,
		&p), 0);
    }
    sct_wait_for(loop, &p.done, 20000);
    sc_loop_release(loop);
    for (i = 0; i < 4; i++) {
	pthread_join(threads[i], NULL);
    }
    assert_int_equal(p.received, p.posts);
    /* Nothing pending: the loop is empty again. */
    assert_int_equal(sc_do_one_event(loop, SC_DONT_WAIT), 0);
    sct_loop_free(loop);
}

/* One post, late, while the loop is blocked in its wait. */
static void *
PostLate(void *arg)
{
    struct poster *p = arg;
    struct timespec ts = {0, 50 * 1000000};

    nanosleep(&ts, NULL);	/* The other thread's delay, not a sync. */
    if (sc_loop_post(p->loop, Received, p) != 0) {
	abort();
    }
    return NULL;
}

static void
wakeup_interrupts_blocking_wait(void **state)
{
    sc_loop *loop = sct_loop();
    struct poster p = {loop, 1, 0, 0};
    pthread_t thread;
    uint64_t start;

    (void) state;
    sc_loop_hold(loop);
    start = sct_ms();
    assert_int_equal(pthread_create(&thread, NULL, PostLate, &p), 0);
    assert_int_equal(sc_vwait(loop, &p.done), 0);
    assert_true(sct_ms() - start < 10000);
    pthread_join(thread, NULL);
    sc_loop_release(loop);
    sct_loop_free(loop);
}

/* A queued post counts as work even without a hold. */
static void
queued_post_is_work(void **state)
{
    sc_loop *loop = sct_loop();
    struct poster p = {loop, 1, 0, 0};

    (void) state;
    assert_int_equal(sc_loop_post(loop, Received, &p), 0);
    assert_int_equal(sc_vwait(loop, &p.done), 0);
    assert_int_equal(p.received, 1);
    sct_loop_free(loop);
}

/* --- several loops ------------------------------------------------------ */

static void
loops_are_independent(void **state)
{
    sc_loop *a = sct_loop(), *b = sct_loop();
    struct counter ca = {0, 0}, cb = {0, 0};
    int fds[2], fa = 0;

    (void) state;
    sct_socketpair(fds);
    assert_int_equal(sc_create_file_handler(a, fds[0], SC_WRITABLE, Count,
	    &ca), 0);
    assert_true(sc_create_timer(b, 0, SetFlag, &fa) != 0);
    assert_int_equal(sc_do_one_event(b, SC_DONT_WAIT), 1);
    assert_int_equal(ca.calls, 0);
    assert_int_equal(fa, 1);
    /* The same descriptor on two loops: each calls its own handler. */
    assert_int_equal(sc_create_file_handler(b, fds[0], SC_WRITABLE, Count,
	    &cb), 0);
    assert_int_equal(sc_do_one_event(a, SC_DONT_WAIT), 1);
    assert_int_equal(ca.calls, 1);
    assert_int_equal(cb.calls, 0);
    sc_delete_file_handler(a, fds[0]);
    assert_int_equal(sc_do_one_event(b, SC_DONT_WAIT), 1);
    assert_int_equal(cb.calls, 1);
    sc_delete_file_handler(b, fds[0]);
    close(fds[0]);
    close(fds[1]);
    sct_loop_free(a);
    sct_loop_free(b);
}

struct threadLoop {
    int rounds;
    int ok;
};

static void
Rounds(void *clientData)
{
    (*(int *) clientData)++;
}

static void *
RunOwnLoop(void *arg)
{
    struct threadLoop *t = arg;
    sc_loop *loop = sc_loop_new(0);
    int i, n = 0;

    if (loop == NULL) {
	return NULL;
    }
    for (i = 0; i < t->rounds; i++) {
	if (sc_create_timer(loop, 0, Rounds, &n) == 0) {
	    break;
	}
	sc_vwait(loop, NULL);
    }
    t->ok = (n == t->rounds && sc_loop_handlers(loop, SC_ALL_EVENTS) == 0);
    sc_loop_free(loop);
    return NULL;
}

static void
loops_in_threads(void **state)
{
    struct threadLoop t[4];
    pthread_t threads[4];
    int i;

    (void) state;
    for (i = 0; i < 4; i++) {
	t[i].rounds = 2000;
	t[i].ok = 0;
	assert_int_equal(pthread_create(&threads[i], NULL, RunOwnLoop,
		&t[i]), 0);
    }
    for (i = 0; i < 4; i++) {
	pthread_join(threads[i], NULL);
	assert_true(t[i].ok);
    }
}

/* --- backends ----------------------------------------------------------- */

static void
backend_is_named(void **state)
{
    sc_loop *p = sc_loop_new(SC_LOOP_POLL), *e = sc_loop_new(SC_LOOP_EPOLL);

    (void) state;
    assert_non_null(p);
    assert_string_equal(sc_loop_backend(p), "poll");
    assert_non_null(e);
    assert_string_equal(sc_loop_backend(e), "epoll");
    sc_loop_free(p);
    sc_loop_free(e);
    errno = 0;
    assert_null(sc_loop_new(SC_LOOP_POLL | SC_LOOP_EPOLL));
    assert_int_equal(errno, EINVAL);
    assert_null(sc_loop_new(1 << 7));
    assert_int_equal(errno, EINVAL);
}

/* A regular file cannot be polled by epoll: it is always ready. */
static void
regular_file_is_always_ready(void **state)
{
    sc_loop *loop = sct_loop();
    struct counter c = {0, 0};
    char path[] = "/tmp/sockchan-test-XXXXXX";
    int fd = mkstemp(path);

    (void) state;
    assert_true(fd >= 0);
    unlink(path);
    assert_int_equal(sc_create_file_handler(loop, fd,
	    SC_READABLE | SC_WRITABLE, Count, &c), 0);
    assert_int_equal(sc_do_one_event(loop, SC_DONT_WAIT), 1);
    assert_int_equal(c.lastMask, SC_READABLE | SC_WRITABLE);
    assert_int_equal(sc_create_file_handler(loop, fd, SC_WRITABLE, Count,
	    &c), 0);
    assert_int_equal(sc_do_one_event(loop, 0), 1);
    assert_int_equal(c.lastMask, SC_WRITABLE);
    /* Watching nothing it can report: no busy loop while waiting. */
    assert_int_equal(sc_create_file_handler(loop, fd, SC_EXCEPTION, Count,
	    &c), 0);
    {
	int fired = 0;
	unsigned long waits = sc__sys_calls(WaitCall(loop));

	assert_true(sc_create_timer(loop, 30, SetFlag, &fired) != 0);
	sct_wait_for(loop, &fired, 5000);
	assert_true(sc__sys_calls(WaitCall(loop)) - waits <= 4);
    }
    sc_delete_file_handler(loop, fd);
    assert_int_equal(sc_do_one_event(loop, SC_DONT_WAIT), 0);
    close(fd);
    sct_loop_free(loop);
}

/* --- faults through the system-call seam ------------------------------- */


/*
 * Every allocation and descriptor sc_loop_new takes fails in turn: the
 * first call of each kind that the backend makes fails the whole call
 * (NULL, errno set), later ones may or may not be reached; nothing ever
 * leaks (the teardown counts descriptors; ASan counts memory).
 */
static void
loop_new_under_faults(void **state)
{
    int epoll = strcmp(getenv("SOCKCHAN_BACKEND") ? getenv("SOCKCHAN_BACKEND")
	    : "epoll", "poll") != 0;
    const struct {
	int call;
	int fatal;		/* The first call of it must fail the loop. */
    } calls[] = {
	{SC_SYS_MALLOC, 1},
	{SC_SYS_EPOLL_CREATE1, epoll},
	{SC_SYS_EVENTFD, 0},	/* Falls back to a pipe. */
	{SC_SYS_EPOLL_CTL, epoll},
	{SC_SYS_FCNTL, !epoll},
    };
    size_t i;
    unsigned long nth;

    (void) state;
    for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
	for (nth = 1; nth <= 4; nth++) {
	    int err = calls[i].call == SC_SYS_MALLOC ? ENOMEM : EMFILE;
	    sc_loop *loop;

	    sc__fault_set(calls[i].call, nth, 1, err);
	    errno = 0;
	    loop = sc_loop_new(0);
	    sc__fault_clear();
	    if (nth == 1 && calls[i].fatal) {
		assert_null(loop);
	    }
	    if (loop == NULL) {
		assert_int_equal(errno, err);
		continue;
	    }
	    assert_int_equal(sc_loop_handlers(loop, SC_ALL_EVENTS), 0);
	    sct_loop_free(loop);
	}
    }
    /* No eventfd and no pipe: no loop, and nothing left open. */
    sc__fault_set(SC_SYS_EVENTFD, 1, 1, ENOSYS);
    sc__fault_set(SC_SYS_PIPE2, 1, 1, EMFILE);
    errno = 0;
    assert_null(sc_loop_new(0));
    sc__fault_clear();
    assert_int_equal(errno, EMFILE);
}

/*
 * A post that lands while the loop drains its wake-up: it is delivered
 * in that round, and the next post from another thread wakes the loop
 * (the wake-up was not lost).
 */
static sc_loop *raceLoop;
static int racePosted, raceSecond;
static ssize_t (*realRead)(int, void *, size_t);

static void
ReceivedRace(void *clientData)
{
    ++*(int *) clientData;
}

static ssize_t
ReadAndPost(int fd, void *buf, size_t n)
{
    if (!racePosted) {
	racePosted = 1;
	if (sc_loop_post(raceLoop, ReceivedRace, &raceSecond) != 0) {
	    abort();
	}
    }
    return realRead(fd, buf, n);
}

static void
post_during_drain_is_not_lost(void **state)
{
    sc_loop *loop = sct_loop();
    struct poster late = {loop, 1, 0, 0};
    int first = 0;
    pthread_t thread;

    (void) state;
    raceLoop = loop;
    racePosted = raceSecond = 0;
    realRead = sc__sys.read;
    sc__sys.read = ReadAndPost;
    assert_int_equal(sc_loop_post(loop, ReceivedRace, &first), 0);
    assert_int_equal(sc_do_one_event(loop, SC_DONT_WAIT), 1);
    sc__sys.read = realRead;
    assert_int_equal(first, 1);
    /* The post made during the drain ran in the same round. */
    assert_int_equal(raceSecond, 1);
    sc_loop_hold(loop);
    assert_int_equal(pthread_create(&thread, NULL, PostLate, &late), 0);
    sct_wait_for(loop, &late.done, 10000);
    pthread_join(thread, NULL);
    sc_loop_release(loop);
    sct_loop_free(loop);
}

/* Without eventfd the wake-up falls back to a pipe, and still works. */
static void
wakeup_through_pipe(void **state)
{
    sc_loop *loop;
    struct poster p = {NULL, 1, 0, 0};
    pthread_t thread;

    (void) state;
    sc__fault_set(SC_SYS_EVENTFD, 1, 1, ENOSYS);
    loop = sct_loop();
    sc__fault_clear();
    p.loop = loop;
    sc_loop_hold(loop);
    assert_int_equal(pthread_create(&thread, NULL, PostLate, &p), 0);
    sct_wait_for(loop, &p.done, 10000);
    pthread_join(thread, NULL);
    sc_loop_release(loop);
    sct_loop_free(loop);
}

static void
interrupted_wait_goes_on(void **state)
{
    sc_loop *loop = sct_loop();
    int flag = 0;

    (void) state;
    assert_true(sc_create_timer(loop, 20, SetFlag, &flag) != 0);
    sc__fault_set(WaitCall(loop), 1, 3, EINTR);
    assert_int_equal(sc_vwait(loop, &flag), 0);
    sc__fault_clear();
    assert_int_equal(flag, 1);
    sct_loop_free(loop);
}

static void
failed_wait_is_reported(void **state)
{
    sc_loop *loop = sct_loop();
    int flag = 0;
    sc_timer t;

    (void) state;
    t = sc_create_timer(loop, 20, SetFlag, &flag);
    sc__fault_set(WaitCall(loop), 1, 0, EINVAL);
    assert_int_equal(sc_do_one_event(loop, 0), -1);
    assert_string_equal(sc_errmsg(loop),
	    "can't wait for events: invalid argument");
    /* vwait stops with the error instead of spinning. */
    assert_int_equal(sc_vwait(loop, &flag), -1);
    sc__fault_clear();
    assert_int_equal(flag, 0);
    assert_int_equal(sc_delete_timer(loop, t), 1);
    sct_loop_free(loop);
}

/* A failing allocation in a timer or idle call registers nothing. */
static void
allocation_failures(void **state)
{
    sc_loop *loop = sct_loop();
    int flag = 0, i;

    (void) state;
    sc__fault_set(SC_SYS_MALLOC, 1, 0, ENOMEM);
    assert_true(sc_create_timer(loop, 1, SetFlag, &flag) == 0);
    assert_string_equal(sc_errmsg(loop),
	    "can't create timer: not enough memory");
    assert_int_equal(sc_do_when_idle(loop, SetFlag, &flag), -1);
    assert_string_equal(sc_errmsg(loop),
	    "can't add idle callback: not enough memory");
    assert_int_equal(sc_loop_post(loop, SetFlag, &flag), -1);
    assert_int_equal(errno, ENOMEM);
    sc__fault_clear();
    assert_int_equal(sc_loop_handlers(loop, SC_ALL_EVENTS), 0);
    /* A file handler far above the table's size needs a larger table. */
    sc__fault_set(SC_SYS_MALLOC, 1, 0, ENOMEM);
    assert_int_equal(sc_create_file_handler(loop, 100000, SC_READABLE,
	    Count, &flag), -1);
    sc__fault_clear();
    assert_int_equal(errno, ENOMEM);
    /* Once allocations work again, so does everything. */
    for (i = 0; i < 100; i++) {
	assert_true(sc_create_timer(loop, 0, SetFlag, &flag) != 0);
    }
    assert_int_equal(sc_vwait(loop, NULL), 0);
    assert_int_equal(flag, 1);
    sct_loop_free(loop);
}

/* --- bad input ---------------------------------------------------------- */

static void
bad_input(void **state)
{
    sc_loop *loop = sct_loop();
    struct counter c = {0, 0};
    int fds[2], closedFd;

    (void) state;
    sct_socketpair(fds);
    closedFd = dup(fds[0]);
    close(closedFd);

    assert_int_equal(sc_create_file_handler(loop, -1, SC_READABLE, Count,
	    &c), -1);
    assert_int_equal(errno, EBADF);
    assert_string_equal(sc_errmsg(loop),
	    "can't watch descriptor -1: bad file number");

    assert_int_equal(sc_create_file_handler(loop, closedFd, SC_READABLE,
	    Count, &c), -1);
    assert_int_equal(errno, EBADF);
    assert_non_null(strstr(sc_errmsg(loop), ": bad file number"));
    assert_int_equal(sc_loop_handlers(loop, SC_FILE_EVENTS), 0);

    assert_int_equal(sc_create_file_handler(loop, fds[0], 1 << 9, Count,
	    &c), -1);
    assert_int_equal(errno, EINVAL);
    assert_string_equal(sc_errmsg(loop), "bad event mask 0x200: should be "
	    "a combination of SC_READABLE, SC_WRITABLE and SC_EXCEPTION");

    assert_int_equal(sc_create_file_handler(loop, fds[0], SC_READABLE, NULL,
	    NULL), -1);
    {
	char expect[64];

	snprintf(expect, sizeof(expect),
		"can't watch descriptor %d: no callback given", fds[0]);
	assert_string_equal(sc_errmsg(loop), expect);
    }

    assert_true(sc_create_timer(loop, -5, SetFlag, &c) == 0);
    assert_int_equal(errno, EINVAL);
    assert_string_equal(sc_errmsg(loop), "bad timeout -5: should be a "
	    "non-negative number of milliseconds");
    assert_true(sc_create_timer(loop, 5, NULL, NULL) == 0);
    assert_string_equal(sc_errmsg(loop),
	    "can't create timer: no callback given");
    assert_int_equal(sc_do_when_idle(loop, NULL, NULL), -1);
    assert_string_equal(sc_errmsg(loop),
	    "can't add idle callback: no callback given");
    assert_int_equal(sc_loop_post(loop, NULL, NULL), -1);
    assert_int_equal(errno, EINVAL);

    /* NULL loops are refused, never dereferenced. */
    assert_int_equal(sc_create_file_handler(NULL, 0, SC_READABLE, Count,
	    &c), -1);
    assert_true(sc_create_timer(NULL, 0, SetFlag, &c) == 0);
    assert_int_equal(sc_do_one_event(NULL, 0), -1);
    assert_int_equal(sc_vwait(NULL, NULL), -1);
    sc_delete_file_handler(NULL, 0);
    sc_loop_free(NULL);

    /* Nothing was registered by any of it. */
    assert_int_equal(sc_loop_handlers(loop, SC_ALL_EVENTS), 0);
    close(fds[0]);
    close(fds[1]);
    sct_loop_free(loop);
}


static void
CountCall(void *clientData)
{
    (*(int *) clientData)++;
}

/* A post taken back before any dispatch took it never runs, and is no
 * longer work; one that is not there cannot be taken back. */
static void
unpost_takes_back_a_post(void **state)
{
    sc_loop *loop = sct_loop();
    int a = 0, b = 0;

    (void) state;
    assert_int_equal(sc_loop_post(loop, CountCall, &a), 0);
    assert_int_equal(sc_loop_post(loop, CountCall, &b), 0);
    assert_int_equal(sc__loop_unpost(loop, CountCall, &b), 1);
    assert_int_equal(sc__loop_unpost(loop, CountCall, &b), 0);
    assert_int_equal(sc_vwait(loop, NULL), 0);
    assert_int_equal(a, 1);
    assert_int_equal(b, 0);
    /* The tail too: a post after a taken-back last one still runs. */
    assert_int_equal(sc_loop_post(loop, CountCall, &a), 0);
    assert_int_equal(sc__loop_unpost(loop, CountCall, &a), 1);
    assert_int_equal(sc_loop_post(loop, CountCall, &b), 0);
    assert_int_equal(sc_vwait(loop, NULL), 0);
    assert_int_equal(a, 1);
    assert_int_equal(b, 1);
    sct_loop_free(loop);
}

static const struct CMUnitTest tests[] = {
    SCT(readable_and_writable),
    SCT(handler_removes_itself),
    SCT(handler_closes_its_descriptor),
    SCT(stale_event_not_delivered),
    SCT(handler_changes_another),
    SCT(callback_grows_the_table),
    SCT(nested_vwait),
    SCT(hangup_is_readable),
    SCT(exception_on_urgent_data),
    SCT(descriptors_above_1024),
    SCT(timers_fire_in_deadline_order),
    SCT(timer_cancel),
    SCT(timer_cancels_another_due_now),
    SCT(timer_created_in_callback_waits_a_pass),
    SCT(timer_heap_under_churn),
    SCT(equal_deadlines_keep_creation_order),
    SCT(idle_runs_when_nothing_else),
    SCT(idle_cancel),
    SCT(nothing_registered_returns),
    SCT(vwait_until_flag),
    SCT(flags_select_event_kinds),
    SCT(wakeup_from_other_threads),
    SCT(wakeup_interrupts_blocking_wait),
    SCT(queued_post_is_work),
    SCT(loops_are_independent),
    SCT(loops_in_threads),
    SCT(backend_is_named),
    SCT(regular_file_is_always_ready),
    SCT(loop_new_under_faults),
    SCT(post_during_drain_is_not_lost),
    SCT(unpost_takes_back_a_post),
    SCT(wakeup_through_pipe),
    SCT(interrupted_wait_goes_on),
    SCT(failed_wait_is_reported),
    SCT(allocation_failures),
    SCT(bad_input),
};

SCT_MAIN(tests)
