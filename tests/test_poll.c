/*
 * test_poll.c --
 *
 *	What is particular to the poll backend (src/loop/poll.c); the
 *	behaviour both backends share is in test_loop.c, run on each.
 */

#include "harness.h"
#include "core/sys.h"

#include <errno.h>
#include <unistd.h>

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
SetFlag(void *clientData)
{
    *(int *) clientData = 1;
}

/*
 * A descriptor closed without deleting its handler makes poll() say
 * POLLNVAL on every call. The backend forgets it, as epoll would, instead
 * of waking the loop for it forever; a new handler on the reused number
 * revives the entry.
 */
static void
closed_descriptor_is_forgotten(void **state)
{
    sc_loop *loop = sc_loop_new(SC_LOOP_POLL);
    struct counter old = {0, 0}, fresh = {0, 0};
    int a[2], b[2], i;

    (void) state;
    assert_non_null(loop);
    sct_socketpair(a);
    assert_int_equal(sc_create_file_handler(loop, a[0], SC_READABLE, Count,
	    &old), 0);
    close(a[0]);
    for (i = 0; i < 3; i++) {
	assert_int_equal(sc_do_one_event(loop, SC_DONT_WAIT), 0);
    }
    assert_int_equal(old.calls, 0);
    /* A blocking wait for a timer is one poll, not a spin on POLLNVAL. */
    {
	int fired = 0;
	unsigned long polls = sc__sys_calls(SC_SYS_POLL);

	assert_true(sc_create_timer(loop, 30, SetFlag, &fired) != 0);
	sct_wait_for(loop, &fired, 5000);
	assert_true(sc__sys_calls(SC_SYS_POLL) - polls <= 4);
    }
    sct_socketpair(b);
    assert_int_equal(b[0], a[0]);
    assert_int_equal(sc_create_file_handler(loop, b[0], SC_READABLE, Count,
	    &fresh), 0);
    assert_int_equal(write(b[1], "x", 1), 1);
    sct_wait_for(loop, &fresh.calls, 5000);
    assert_int_equal(old.calls, 0);
    sc_delete_file_handler(loop, b[0]);
    close(a[1]);
    close(b[0]);
    close(b[1]);
    sct_loop_free(loop);
}

/*
 * More ready descriptors than one pass takes (128): successive passes
 * rotate, so every one is served within a few passes.
 */
static void
ready_descriptors_take_turns(void **state)
{
    enum { N = 300 };
    sc_loop *loop = sc_loop_new(SC_LOOP_POLL);
    static struct counter c[N];
    static int fds[N][2];
    int i, passes;

    (void) state;
    assert_non_null(loop);
    if (sct_want_fds(2 * N + 64) < 0) {
	skip();
    }
    for (i = 0; i < N; i++) {
	sct_socketpair(fds[i]);
	assert_int_equal(sc_create_file_handler(loop, fds[i][0], SC_WRITABLE,
		Count, &c[i]), 0);
    }
    for (passes = 0; passes < 3; passes++) {
	assert_int_equal(sc_do_one_event(loop, SC_DONT_WAIT), 1);
    }
    for (i = 0; i < N; i++) {
	assert_true(c[i].calls >= 1);
	sc_delete_file_handler(loop, fds[i][0]);
	close(fds[i][0]);
	close(fds[i][1]);
    }
    sct_loop_free(loop);
}

/* Removing from the middle keeps the index of the moved entry right. */
static void
remove_from_middle(void **state)
{
    sc_loop *loop = sc_loop_new(SC_LOOP_POLL);
    struct counter c[3] = {{0, 0}, {0, 0}, {0, 0}};
    int fds[3][2], i;

    (void) state;
    assert_non_null(loop);
    for (i = 0; i < 3; i++) {
	sct_socketpair(fds[i]);
	assert_int_equal(sc_create_file_handler(loop, fds[i][0], SC_READABLE,
		Count, &c[i]), 0);
    }
    sc_delete_file_handler(loop, fds[0][0]);	/* The last moves here. */
    assert_int_equal(sc_create_file_handler(loop, fds[2][0], SC_WRITABLE,
	    Count, &c[2]), 0);
    assert_int_equal(sc_do_one_event(loop, SC_DONT_WAIT), 1);
    assert_int_equal(c[2].calls, 1);
    assert_int_equal(c[2].lastMask, SC_WRITABLE);
    assert_int_equal(c[1].calls, 0);
    assert_int_equal(write(fds[1][1], "x", 1), 1);
    sc_delete_file_handler(loop, fds[2][0]);
    sct_wait_for(loop, &c[1].calls, 5000);
    assert_int_equal(c[0].calls, 0);
    sc_delete_file_handler(loop, fds[1][0]);
    for (i = 0; i < 3; i++) {
	close(fds[i][0]);
	close(fds[i][1]);
    }
    sct_loop_free(loop);
}

static const struct CMUnitTest tests[] = {
    SCT(closed_descriptor_is_forgotten),
    SCT(ready_descriptors_take_turns),
    SCT(remove_from_middle),
};

SCT_MAIN(tests)
