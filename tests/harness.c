/*
 * harness.c --
 *
 *	The shared part of the C tests. See harness.h.
 */

#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_TRACKED 65536

static unsigned char openAtSetup[MAX_TRACKED / 8];
static const char *currentFile = "?";

/* Fill bits with the descriptors open now. */
static void
ListOpen(unsigned char *bits)
{
    DIR *dir = opendir("/proc/self/fd");
    struct dirent *e;
    int self;

    memset(bits, 0, MAX_TRACKED / 8);
    if (dir == NULL) {
	return;
    }
    self = dirfd(dir);
    while ((e = readdir(dir)) != NULL) {
	int fd;

	if (e->d_name[0] == '.') {
	    continue;
	}
	fd = atoi(e->d_name);
	if (fd != self && fd >= 0 && fd < MAX_TRACKED) {
	    bits[fd / 8] |= (unsigned char) (1u << (fd % 8));
	}
    }
    closedir(dir);
}

int
sct_setup(void **state)
{
    (void) state;
    ListOpen(openAtSetup);
    return 0;
}

/* Fails the test if it left a descriptor open that was not open before. */
int
sct_teardown(void **state)
{
    static unsigned char now[MAX_TRACKED / 8];
    int fd, leaks = 0;

    (void) state;
    ListOpen(now);
    for (fd = 0; fd < MAX_TRACKED; fd++) {
	int bit = 1 << (fd % 8);

	if ((now[fd / 8] & bit) && !(openAtSetup[fd / 8] & bit)) {
	    char link[64], target[256];
	    ssize_t n;

	    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	    n = readlink(link, target, sizeof(target) - 1);
	    target[n > 0 ? n : 0] = '\0';
	    fprintf(stderr, "%s: descriptor %d left open (%s)\n", currentFile,
		    fd, target);
	    leaks++;
	}
    }
    return leaks ? -1 : 0;
}

static void
Deadline(int sig)
{
    static const char msg[] = "test deadline exceeded\n";
    ssize_t n;

    (void) sig;
    n = write(2, msg, sizeof(msg) - 1);
    (void) n;
    _exit(124);
}

int
sct_main(int argc, char **argv, const char *file,
	const struct CMUnitTest *tests, size_t n)
{
    const char *slash = strrchr(file, '/');

    currentFile = slash ? slash + 1 : file;
    signal(SIGALRM, Deadline);
    signal(SIGPIPE, SIG_IGN);
    /* SCT_DEADLINE in the environment: longer, for slow runs (valgrind). */
    alarm(getenv("SCT_DEADLINE") ? (unsigned) atoi(getenv("SCT_DEADLINE"))
	    : SCT_DEADLINE);
    if (argc > 1) {
	size_t i;

	for (i = 0; i < n && strcmp(tests[i].name, argv[1]) != 0; i++) {
	}
	if (i == n) {
	    fprintf(stderr, "%s: no test named \"%s\"\n", currentFile,
		    argv[1]);
	    return 2;
	}
	cmocka_set_test_filter(argv[1]);
    }
    return _cmocka_run_group_tests(currentFile, tests, n, NULL, NULL);
}

uint64_t
sct_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000u + (uint64_t) ts.tv_nsec / 1000000u;
}

sc_loop *
sct_loop(void)
{
    const char *want = getenv("SOCKCHAN_BACKEND");
    sc_loop *loop = sc_loop_new(0);

    assert_non_null(loop);
    if (want != NULL && want[0] != '\0') {
	assert_string_equal(sc_loop_backend(loop), want);
    }
    return loop;
}

void
sct_loop_free(sc_loop *loop)
{
    assert_int_equal(sc_loop_handlers(loop, SC_FILE_EVENTS), 0);
    assert_int_equal(sc_loop_handlers(loop, SC_TIMER_EVENTS), 0);
    assert_int_equal(sc_loop_handlers(loop, SC_IDLE_EVENTS), 0);
    sc_loop_free(loop);
}

static void
TimedOut(void *clientData)
{
    *(int *) clientData = 1;
}

void
sct_wait_for(sc_loop *loop, const int *flag, long ms)
{
    int timedOut = 0;
    sc_timer t = sc_create_timer(loop, ms, TimedOut, &timedOut);

    assert_true(t != 0);
    while (!*flag && !timedOut) {
	assert_true(sc_do_one_event(loop, SC_ALL_EVENTS) >= 0);
    }
    sc_delete_timer(loop, t);
    if (!*flag) {
	fail_msg("the event did not come within %ld ms", ms);
    }
}

void
sct_wait_count(sc_loop *loop, const int *counter, int target, long ms)
{
    int timedOut = 0;
    sc_timer t = sc_create_timer(loop, ms, TimedOut, &timedOut);

    assert_true(t != 0);
    while (*counter < target && !timedOut) {
	assert_true(sc_do_one_event(loop, SC_ALL_EVENTS) >= 0);
    }
    sc_delete_timer(loop, t);
    if (*counter < target) {
	fail_msg("only %d of %d events came within %ld ms", *counter, target,
		ms);
    }
}

void
sct_socketpair(int fds[2])
{
    assert_int_equal(socketpair(AF_UNIX,
	    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
}

void
sct_tcp_pair(int *client, int *server)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);
    int lfd, one = 1;

    lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(lfd >= 0);
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sin.sin_port = 0;
    assert_int_equal(bind(lfd, (struct sockaddr *) &sin, sizeof(sin)), 0);
    assert_int_equal(listen(lfd, 1), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *) &sin, &len), 0);
    assert_true(ntohs(sin.sin_port) != 0);
    *client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(*client >= 0);
    assert_int_equal(connect(*client, (struct sockaddr *) &sin,
	    sizeof(sin)), 0);
    *server = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    assert_true(*server >= 0);
    close(lfd);
    setsockopt(*client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int
sct_want_fds(long n)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
	return -1;
    }
    if (rl.rlim_cur != RLIM_INFINITY && (long) rl.rlim_cur >= n) {
	return 0;
    }
    if (rl.rlim_max != RLIM_INFINITY && (long) rl.rlim_max < n) {
	return -1;
    }
    rl.rlim_cur = (rlim_t) n;
    return setrlimit(RLIMIT_NOFILE, &rl);
}

sc_chan *
sct_pair_chan(sc_loop *loop, int *peer, int nonblocking)
{
    int fds[2];
    sc_chan *chan;

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    fds), 0);
    chan = sc_chan_open_fd(loop, fds[0], SC_READABLE | SC_WRITABLE, 0);
    assert_non_null(chan);
    if (nonblocking) {
	assert_int_equal(sc_chan_set_blocking(chan, 0), 0);
    }
    *peer = fds[1];
    return chan;
}

void
sct_expect(sc_chan *chan, const char *option, const char *value)
{
    char *got = sc_chan_cget(chan, option);

    if (got == NULL) {
	fail_msg("%s: %s", option, sc_errmsg(sc_chan_loop(chan)));
    }
    assert_string_equal(got, value);
    free(got);
}
