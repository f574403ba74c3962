/*
 * test_sys.c --
 *
 *	The system-call seam (src/core/sys.c): the fault injector, the call
 *	counters, the replaceable table, and the EINTR rules.
 */

#include "harness.h"
#include "core/sys.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void
nth_call_fails(void **state)
{
    int a, b, c;

    (void) state;
    sc__fault_set(SC_SYS_SOCKET, 2, 1, EMFILE);
    a = sc__socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    errno = 0;
    b = sc__socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal(errno, EMFILE);
    c = sc__socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sc__fault_clear();
    assert_true(a >= 0);
    assert_int_equal(b, -1);
    assert_true(c >= 0);
    close(a);
    close(c);
}

static void
count_zero_fails_every_call_from_nth(void **state)
{
    int i, fails = 0;

    (void) state;
    sc__fault_set(SC_SYS_MALLOC, 3, 0, ENOMEM);
    for (i = 0; i < 10; i++) {
	void *p = sc__malloc(16);

	fails += (p == NULL);
	sc__free(p);
    }
    sc__fault_clear();
    assert_int_equal(fails, 8);
    /* Disarmed: calls succeed again. */
    {
	void *p = sc__malloc(16);

	assert_non_null(p);
	sc__free(p);
    }
}

static void
counters_count_every_call(void **state)
{
    unsigned long before = sc__sys_calls(SC_SYS_PIPE2);
    int fds[2];

    (void) state;
    assert_int_equal(sc__pipe2(fds, O_CLOEXEC), 0);
    sc__fault_set(SC_SYS_PIPE2, 1, 1, ENFILE);
    assert_int_equal(sc__pipe2(fds + 0, O_CLOEXEC) < 0 ? -1 : 0, -1);
    sc__fault_clear();
    assert_int_equal(sc__sys_calls(SC_SYS_PIPE2) - before, 2);
    assert_string_equal(sc__sys_name(SC_SYS_PIPE2), "pipe2");
    assert_string_equal(sc__sys_name(SC_SYS_EPOLL_WAIT), "epoll_wait");
    assert_string_equal(sc__sys_name(-1), "?");
    assert_int_equal(sc__sys_calls(SC_SYS_COUNT), 0);
    close(fds[0]);
    close(fds[1]);
}

static void
eintr_is_retried(void **state)
{
    int fds[2];
    char buf[8];

    (void) state;
    sct_socketpair(fds);
    assert_int_equal(write(fds[1], "abc", 3), 3);
    sc__fault_set(SC_SYS_READ, 1, 2, EINTR);
    assert_int_equal(sc__read(fds[0], buf, sizeof(buf)), 3);
    sc__fault_set(SC_SYS_WRITE, 1, 3, EINTR);
    assert_int_equal(sc__write(fds[1], "de", 2), 2);
    sc__fault_set(SC_SYS_RECV, 1, 1, EINTR);
    assert_int_equal(sc__recv(fds[0], buf, sizeof(buf), 0), 2);
    sc__fault_clear();
    assert_memory_equal(buf, "de", 2);
    /* A real error is not retried. */
    sc__fault_set(SC_SYS_READ, 1, 1, ECONNRESET);
    errno = 0;
    assert_int_equal(sc__read(fds[0], buf, sizeof(buf)), -1);
    assert_int_equal(errno, ECONNRESET);
    sc__fault_clear();
    close(fds[0]);
    close(fds[1]);
}

static void
failed_close_still_closes(void **state)
{
    int fds[2];

    (void) state;
    sct_socketpair(fds);
    sc__fault_set(SC_SYS_CLOSE, 1, 1, EIO);
    assert_int_equal(sc__close(fds[0]), -1);
    assert_int_equal(errno, EIO);
    sc__fault_clear();
    assert_int_equal(fcntl(fds[0], F_GETFD), -1);
    assert_int_equal(errno, EBADF);
    assert_int_equal(sc__close(fds[1]), 0);
}

static ssize_t
ShortWrite(int fd, const void *buf, size_t len)
{
    return write(fd, buf, len > 1 ? 1 : len);
}

static void
table_entry_can_be_replaced(void **state)
{
    ssize_t (*saved)(int, const void *, size_t) = sc__sys.write;
    int fds[2];
    char buf[8];

    (void) state;
    sct_socketpair(fds);
    sc__sys.write = ShortWrite;
    assert_int_equal(sc__write(fds[1], "xyz", 3), 1);
    sc__sys.write = saved;
    assert_int_equal(sc__write(fds[1], "yz", 2), 2);
    assert_int_equal(read(fds[0], buf, sizeof(buf)), 3);
    assert_memory_equal(buf, "xyz", 3);
    close(fds[0]);
    close(fds[1]);
}

static void
set_nonblocking(void **state)
{
    int fds[2];

    (void) state;
    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    assert_int_equal(sc__set_nonblocking(fds[0], 1), 0);
    assert_true(fcntl(fds[0], F_GETFL) & O_NONBLOCK);
    assert_int_equal(sc__set_nonblocking(fds[0], 1), 0);
    assert_int_equal(sc__set_nonblocking(fds[0], 0), 0);
    assert_false(fcntl(fds[0], F_GETFL) & O_NONBLOCK);
    close(fds[0]);
    close(fds[1]);
    assert_int_equal(sc__set_nonblocking(fds[0], 1), -1);
    assert_int_equal(errno, EBADF);
}

static const struct CMUnitTest tests[] = {
    SCT(nth_call_fails),
    SCT(count_zero_fails_every_call_from_nth),
    SCT(counters_count_every_call),
    SCT(eintr_is_retried),
    SCT(failed_close_still_closes),
    SCT(table_entry_can_be_replaced),
    SCT(set_nonblocking),
};

SCT_MAIN(tests)
