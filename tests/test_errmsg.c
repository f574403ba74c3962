/*
 * test_errmsg.c --
 *
 *	sc_errno_msg (src/core/errmsg.c): Tcl's words for errno values.
 */

#include "harness.h"

#include <dlfcn.h>
#include <errno.h>
#include <string.h>

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
    assert_string_equal(sc_errno_msg(EPERM), "not owner");
    assert_string_equal(sc_errno_msg(ENOPROTOOPT), "bad protocol option");
    assert_string_equal(sc_errno_msg(EPROTONOSUPPORT),
	    "protocol not supported");
    assert_string_equal(sc_errno_msg(ENOTEMPTY), "directory not empty");
}

static void
unknown_values(void **state)
{
    (void) state;
    assert_string_equal(sc_errno_msg(0), "no error");
    assert_string_equal(sc_errno_msg(-1), "unknown POSIX error");
    assert_string_equal(sc_errno_msg(99999), "unknown POSIX error");
    /* Where Tcl has no text of its own, strerror's, as Tcl does. */
    assert_string_equal(sc_errno_msg(ERESTART), strerror(ERESTART));
}

/*
 * Every errno value, against Tcl itself: Debian's libtcl8.6, loaded at
 * run time (skipped where it is not installed).
 */
static void
same_as_tcl(void **state)
{
    const char *(*tclErrnoMsg)(int);
    void *tcl = dlopen("libtcl8.6.so", RTLD_NOW | RTLD_LOCAL);
    int e, compared = 0;

    (void) state;
    if (tcl == NULL) {
	skip();
    }
    *(void **) &tclErrnoMsg = dlsym(tcl, "Tcl_ErrnoMsg");
    assert_non_null(tclErrnoMsg);
    for (e = 1; e < 134; e++) {
	const char *want = tclErrnoMsg(e);

	if (strncmp(want, "Unknown error", 13) == 0) {
	    continue;		/* glibc's own words for a gap: no errno. */
	}
	if (strcmp(sc_errno_msg(e), want) != 0) {
	    fail_msg("errno %d: sockchan says \"%s\", Tcl says \"%s\"", e,
		    sc_errno_msg(e), want);
	}
	compared++;
    }
    assert_true(compared > 100);
    dlclose(tcl);
}

static const struct CMUnitTest tests[] = {
    SCT(same_as_tcl),
    SCT(tcl_words),
    SCT(unknown_values),
};

SCT_MAIN(tests)
