/*
 * test_epoll.c --
 *
 *	What is particular to the epoll backend (src/loop/epoll.c); the
 *	behaviour both backends share is in test_loop.c, run on each.
 */

#include "harness.h"
#include "core/sys.h"

#include <errno.h>
#include <string.h>
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

/*
 * A descriptor closed without deleting its handler leaves epoll's set by
 * itself. When the number comes back with a new handler, the loop must
 * register it again (MOD says ENOENT; the backend falls back to ADD).
 */
static void
closed_then_reused_number(void **state)
{
    sc_loop *loop = sc_loop_new(SC_LOOP_EPOLL);
    struct counter old = {0, 0}, fresh = {0, 0};
    unsigned long ctlBefore;
    int a[2], b[2];

    (void) state;
    assert_non_null(loop);
    sct_socketpair(a);
    assert_int_equal(sc_create_file_handler(loop, a[0], SC_READABLE, Count,
	    &old), 0);
    close(a[0]);			/* Behind the loop's back. */
    sct_socketpair(b);
    assert_int_equal(b[0], a[0]);	/* The number is reused. */
    ctlBefore = sc__sys_calls(SC_SYS_EPOLL_CTL);
    assert_int_equal(sc_create_file_handler(loop, b[0], SC_READABLE, Count,
	    &fresh), 0);
    assert_int_equal(sc__sys_calls(SC_SYS_EPOLL_CTL) - ctlBefore, 2);
    assert_int_equal(write(b[1], "x", 1), 1);
    sct_wait_for(loop, &fresh.calls, 5000);
    assert_int_equal(old.calls, 0);
    sc_delete_file_handler(loop, b[0]);
    close(a[1]);
    close(b[0]);
    close(b[1]);
    sct_loop_free(loop);
}

/* One epoll_ctl per change of interest, none per wait. */
static void
syscalls_per_change(void **state)
{
    sc_loop *loop = sc_loop_new(SC_LOOP_EPOLL);
    struct counter c = {0, 0};
    unsigned long ctl, waits;
    int a[2], i;

    (void) state;
    assert_non_null(loop);
    sct_socketpair(a);
    ctl = sc__sys_calls(SC_SYS_EPOLL_CTL);
    waits = sc__sys_calls(SC_SYS_EPOLL_WAIT);
    assert_int_equal(sc_create_file_handler(loop, a[0], SC_WRITABLE, Count,
	    &c), 0);
    for (i = 0; i < 10; i++) {
	assert_int_equal(sc_do_one_event(loop, SC_DONT_WAIT), 1);
    }
    /* The same mask again changes nothing. */
    assert_int_equal(sc_create_file_handler(loop, a[0], SC_WRITABLE, Count,
	    &c), 0);
    assert_int_equal(sc__sys_calls(SC_SYS_EPOLL_CTL) - ctl, 1);
    assert_int_equal(sc__sys_calls(SC_SYS_EPOLL_WAIT) - waits, 10);
    sc_delete_file_handler(loop, a[0]);
    assert_int_equal(sc__sys_calls(SC_SYS_EPOLL_CTL) - ctl, 2);
    close(a[0]);
    close(a[1]);
    sct_loop_free(loop);
}

/* A failing epoll_ctl leaves the handler as it was. */
static void
failed_registration_changes_nothing(void **state)
{
    sc_loop *loop = sc_loop_new(SC_LOOP_EPOLL);
    struct counter c = {0, 0};
    int a[2];

    (void) state;
    assert_non_null(loop);
    sct_socketpair(a);
    sc__fault_set(SC_SYS_EPOLL_CTL, 1, 1, ENOMEM);
    assert_int_equal(sc_create_file_handler(loop, a[0], SC_READABLE, Count,
	    &c), -1);
    sc__fault_clear();
    assert_int_equal(errno, ENOMEM);
    assert_string_equal(strchr(sc_errmsg(loop), ':'),
	    ": not enough memory");
    assert_int_equal(sc_loop_handlers(loop, SC_FILE_EVENTS), 0);

    assert_int_equal(sc_create_file_handler(loop, a[0], SC_READABLE, Count,
	    &c), 0);
    sc__fault_set(SC_SYS_EPOLL_CTL, 1, 1, ENOMEM);
    assert_int_equal(sc_create_file_handler(loop, a[0], SC_WRITABLE, Count,
	    &c), -1);
    sc__fault_clear();
    /* Still readable-only: writable would fire at once. */
    assert_int_equal(sc_do_one_event(loop, SC_DONT_WAIT), 0);
    assert_int_equal(c.calls, 0);
    sc_delete_file_handler(loop, a[0]);
    close(a[0]);
    close(a[1]);
    sct_loop_free(loop);
}

static const struct CMUnitTest tests[] = {
    SCT(closed_then_reused_number),
    SCT(syscalls_per_change),
    SCT(failed_registration_changes_nothing),
};

SCT_MAIN(tests)
