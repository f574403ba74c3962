/*
 * harness.h --
 *
 *	What every C test shares: cmocka, a per-test check that nothing was
 *	left open, a deadline, and helpers that wait on events with a
 *	deadline instead of sleeping.
 *
 *	Each test file ends with an array of SCT(name) entries and
 *	SCT_MAIN(array). CMake reads the SCT(...) names from the source and
 *	registers each case as its own CTest test (its own process, with a
 *	timeout); run by hand, `test_x NAME` runs one case and `test_x` runs
 *	them all.
 */

#ifndef SC_TESTS_HARNESS_H
#define SC_TESTS_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sockchan.h"

#define SCT(fn) cmocka_unit_test_setup_teardown(fn, sct_setup, sct_teardown)
#define SCT_MAIN(tests)							\
    int main(int argc, char **argv)					\
    {									\
	return sct_main(argc, argv, __FILE__, tests,			\
		sizeof(tests) / sizeof(tests[0]));			\
    }

/* The deadline of one test process, in seconds (CTest's is longer). */
#define SCT_DEADLINE 60

int sct_setup(void **state);
int sct_teardown(void **state);
int sct_main(int argc, char **argv, const char *file,
	const struct CMUnitTest *tests, size_t n);

/* A loop on the backend SOCKCHAN_BACKEND names (checked), and its end:
 * sct_loop_free fails the test if a handler, timer or idle callback is
 * still registered. */
sc_loop *sct_loop(void);
void sct_loop_free(sc_loop *loop);

/* Run the loop until *flag is non-zero; fail the test after ms. */
void sct_wait_for(sc_loop *loop, const int *flag, long ms);

/* Run the loop until *counter reaches target; fail the test after ms. */
void sct_wait_count(sc_loop *loop, const int *counter, int target, long ms);

/* Milliseconds on the monotonic clock. */
uint64_t sct_ms(void);

/* A nonblocking, close-on-exec socketpair (AF_UNIX, SOCK_STREAM). */
void sct_socketpair(int fds[2]);
/* A channel over one end of a socketpair, both ways (nonblocking if
 * asked); the other end, a raw descriptor, in *peer. */
sc_chan *sct_pair_chan(sc_loop *loop, int *peer, int nonblocking);
/* The option's value must be value (a failed cget fails with its
 * message). */
void sct_expect(sc_chan *chan, const char *option, const char *value);
/* A connected TCP pair on 127.0.0.1 through a listener on port 0. */
void sct_tcp_pair(int *client, int *server);
/* Raise RLIMIT_NOFILE so that n descriptors fit; 0, or -1 if the hard
 * limit is too low (the caller skips). */
int sct_want_fds(long n);

#endif /* SC_TESTS_HARNESS_H */
