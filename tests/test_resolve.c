/*
 * test_resolve.c --
 *
 *	Lookups off the caller's thread (src/core/resolve.c): many at once,
 *	each done exactly once, on a thread that is not the caller's.
 */

#include "harness.h"
#include "core/sock.h"
#include "core/sys.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

struct tally {
    atomic_int done;
    atomic_int failed;
    atomic_int onCaller;
    pthread_t caller;
};

static void
Done(void *clientData, struct sc__lookup *l)
{
    struct tally *t = clientData;

    if (pthread_equal(pthread_self(), t->caller)) {
	atomic_fetch_add(&t->onCaller, 1);
    }
    if (l->failed) {
	atomic_fetch_add(&t->failed, 1);
    }
    sc__lookup_free(l);
    atomic_fetch_add(&t->done, 1);
}

static char *
Dup(const char *s)
{
    char *d = sc__malloc(strlen(s) + 1);

    assert_non_null(d);
    strcpy(d, s);
    return d;
}

static void
many_lookups_each_done_once(void **state)
{
    enum { N = 200 };
    struct tally t;
    int i;
    uint64_t start = sct_ms();

    (void) state;
    atomic_init(&t.done, 0);
    atomic_init(&t.failed, 0);
    atomic_init(&t.onCaller, 0);
    t.caller = pthread_self();
    for (i = 0; i < N; i++) {
	struct sc__lookup *l = sc__calloc(1, sizeof(*l));

	assert_non_null(l);
	/* Numeric hosts: no resolver is asked, but the path is the same. */
	l->host = Dup(i % 2 || i % 3 == 0 ? "127.0.0.1" : "::1");
	l->port = 1000 + i;
	if (i % 3 == 0) {
	    /* With a local address as well. */
	    l->myaddr = Dup("127.0.0.1");
	    l->family = SC__FAMILY_INET;
	}
	l->done = Done;
	l->clientData = &t;
	assert_int_equal(sc__lookup_start(l), 0);
    }
    while (atomic_load(&t.done) < N && sct_ms() - start < 20000) {
	struct timespec ms = {0, 1000000};

	nanosleep(&ms, NULL);	/* Polling another thread's counter. */
    }
    assert_int_equal(atomic_load(&t.done), N);
    assert_int_equal(atomic_load(&t.failed), 0);
    assert_int_equal(atomic_load(&t.onCaller), 0);
}

static void
failure_is_reported(void **state)
{
    struct tally t;
    struct sc__lookup *l = sc__calloc(1, sizeof(*l));
    uint64_t start = sct_ms();

    (void) state;
    atomic_init(&t.done, 0);
    atomic_init(&t.failed, 0);
    atomic_init(&t.onCaller, 0);
    t.caller = pthread_self();
    assert_non_null(l);
    l->host = Dup("::1");
    l->family = SC__FAMILY_INET;	/* An IPv6 address, IPv4 only. */
    l->done = Done;
    l->clientData = &t;
    assert_int_equal(sc__lookup_start(l), 0);
    while (atomic_load(&t.done) < 1 && sct_ms() - start < 10000) {
	struct timespec ms = {0, 1000000};

	nanosleep(&ms, NULL);
    }
    assert_int_equal(atomic_load(&t.done), 1);
    assert_int_equal(atomic_load(&t.failed), 1);
}

static const struct CMUnitTest tests[] = {
    SCT(many_lookups_each_done_once),
    SCT(failure_is_reported),
};

SCT_MAIN(tests)
