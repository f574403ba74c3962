/*
 * test_errmsg.c --
 *
 *	sc_errno_msg (src/core/errmsg.c): Tcl's words for errno values.
 */

#include "harness.h"

#include <errno.h>

static void
tcl_words(void **state)
{
    (void) state;
    assert_string_equal(sc_errno_msg(ECONNREFUSED), "connection refused");
    assert_string_equal(sc_errno_msg(EADDRINUSE), "address already in use");
    assert_string_equal(sc_errno_msg(ETIMEDOUT), "connection timed out");
    assert_string_equal(sc_errno_msg(EMFILE), "too many open files");
    assert_string_equal(sc_errno_msg(EBADF), "bad file number");
    assert_string_equal(sc_errno_msg(ENOTCONN), "socket is not connected");
    assert_string_equal(sc_errno_msg(EAGAIN),
	    "resource temporarily unavailable");
    /* Spelled as Tcl 8.6 spells it. */
    assert_string_equal(sc_errno_msg(ENOPROTOOPT), "bad proocol option");
}

static void
unknown_values(void **state)
{
    (void) state;
    assert_string_equal(sc_errno_msg(0), "no error");
    assert_string_equal(sc_errno_msg(-1), "unknown POSIX error");
    assert_string_equal(sc_errno_msg(99999), "unknown POSIX error");
}

static const struct CMUnitTest tests[] = {
    SCT(tcl_words),
    SCT(unknown_values),
};

SCT_MAIN(tests)
