/*
 * sys.c --
 *
 *	The system-call seam: a table of the real calls, a fault injector in
 *	front of it, and wrappers that retry EINTR. See sys.h.
 */

#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>

#if defined(__linux__)
#include <sys/eventfd.h>
#endif

/*
 * Thin adapters where the libc prototype differs from the table's.
 */

static int
real_fcntl(int fd, int cmd, long arg)
{
    return fcntl(fd, cmd, arg);
}

static ssize_t
real_splice(int fdIn, loff_t *offIn, int fdOut, loff_t *offOut, size_t len,
	unsigned int flags)
{
#if defined(__linux__)
    return splice(fdIn, offIn, fdOut, offOut, len, flags);
#else
    (void) fdIn; (void) offIn; (void) fdOut; (void) offOut; (void) len;
    (void) flags;
    errno = ENOSYS;
    return -1;
#endif
}

static int
real_eventfd(unsigned int initval, int flags)
{
#if defined(__linux__)
    return eventfd(initval, flags);
#else
    (void) initval; (void) flags;
    errno = ENOSYS;
    return -1;
#endif
}

static int
real_renameat2(int oldDir, const char *oldName, int newDir,
	const char *newName, unsigned int flags)
{
#if defined(__linux__)
    return renameat2(oldDir, oldName, newDir, newName, flags);
#else
    (void) oldDir; (void) oldName; (void) newDir; (void) newName;
    (void) flags;
    errno = ENOSYS;
    return -1;
#endif
}

struct sc__syscalls sc__sys = {
    .socket = socket,
    .bind = bind,
    .listen = listen,
    .accept4 = accept4,
    .connect = connect,
    .shutdown = shutdown,
    .getsockname = getsockname,
    .getpeername = getpeername,
    .setsockopt = setsockopt,
    .getsockopt = getsockopt,
    .read = read,
    .write = write,
    .writev = writev,
    .recv = recv,
    .send = send,
    .splice = real_splice,
    .pipe2 = pipe2,
    .close = close,
    .fcntl = real_fcntl,
    .eventfd = real_eventfd,
    .poll = poll,
#ifdef SC_HAVE_EPOLL
    .epoll_create1 = epoll_create1,
    .epoll_ctl = epoll_ctl,
    .epoll_wait = epoll_wait,
#endif
    .getaddrinfo = getaddrinfo,
    .freeaddrinfo = freeaddrinfo,
    .malloc = malloc,
    .calloc = calloc,
    .realloc = realloc,
    .renameat2 = real_renameat2,
};

static const char *const sysNames[SC_SYS_COUNT] = {
    [SC_SYS_SOCKET] = "socket",
    [SC_SYS_BIND] = "bind",
    [SC_SYS_LISTEN] = "listen",
    [SC_SYS_ACCEPT4] = "accept4",
    [SC_SYS_CONNECT] = "connect",
    [SC_SYS_SHUTDOWN] = "shutdown",
    [SC_SYS_GETSOCKNAME] = "getsockname",
    [SC_SYS_GETPEERNAME] = "getpeername",
    [SC_SYS_SETSOCKOPT] = "setsockopt",
    [SC_SYS_GETSOCKOPT] = "getsockopt",
    [SC_SYS_READ] = "read",
    [SC_SYS_WRITE] = "write",
    [SC_SYS_WRITEV] = "writev",
    [SC_SYS_RECV] = "recv",
    [SC_SYS_SEND] = "send",
    [SC_SYS_SPLICE] = "splice",
    [SC_SYS_PIPE2] = "pipe2",
    [SC_SYS_CLOSE] = "close",
    [SC_SYS_FCNTL] = "fcntl",
    [SC_SYS_EVENTFD] = "eventfd",
    [SC_SYS_POLL] = "poll",
    [SC_SYS_EPOLL_CREATE1] = "epoll_create1",
    [SC_SYS_EPOLL_CTL] = "epoll_ctl",
    [SC_SYS_EPOLL_WAIT] = "epoll_wait",
    [SC_SYS_MALLOC] = "malloc",
    [SC_SYS_GETADDRINFO] = "getaddrinfo",
    [SC_SYS_RENAMEAT2] = "renameat2",
    [SC_SYS_RENAMEAT] = "renameat",
    [SC_SYS_MKDIRAT] = "mkdirat",
    [SC_SYS_OPENAT] = "openat",
    [SC_SYS_FCHMODAT] = "fchmodat",
    [SC_SYS_LINKAT] = "linkat",
    [SC_SYS_UNLINKAT] = "unlinkat",
};

/*
 * The injector's state. Counters run always (tests read them to prove a
 * path was taken); the armed flag keeps the fast path to one load. The
 * counters and the flag are shared with sys.h's inline wrappers.
 */
struct fault {
    atomic_ulong armedAt;	/* Value of the counter when armed. */
    atomic_ulong nth;		/* 0: not armed. */
    atomic_ulong count;		/* How many to fail; 0: all from nth on. */
    atomic_int err;
};

static struct fault faults[SC_SYS_COUNT];
atomic_ulong sc__callCount[SC_SYS_COUNT];
atomic_int sc__faultArmed;

void
sc__fault_set(int sysno, unsigned long nth, unsigned long count, int err)
{
    struct fault *f;

    if (sysno < 0 || sysno >= SC_SYS_COUNT || nth == 0
	    || (err == EINTR && count == 0)) {
	return;
    }
    f = &faults[sysno];
    atomic_store(&f->err, err);
    atomic_store(&f->count, count);
    atomic_store(&f->armedAt, atomic_load(&sc__callCount[sysno]));
    atomic_store(&f->nth, nth);
    atomic_store(&sc__faultArmed, 1);
}

void
sc__fault_clear(void)
{
    int i;

    atomic_store(&sc__faultArmed, 0);
    for (i = 0; i < SC_SYS_COUNT; i++) {
	atomic_store(&faults[i].nth, 0);
    }
}

unsigned long
sc__sys_calls(int sysno)
{
    if (sysno < 0 || sysno >= SC_SYS_COUNT) {
	return 0;
    }
    return atomic_load(&sc__callCount[sysno]);
}

const char *
sc__sys_name(int sysno)
{
    if (sysno < 0 || sysno >= SC_SYS_COUNT) {
	return "?";
    }
    return sysNames[sysno];
}

/*
 *----------------------------------------------------------------------
 *
 * sc__fault_armed --
 *
 *	Once something is armed: does call n of kind sysno fail? (sys.h's
 *	inline sc__fault counts every call and asks this only then.)
 *
 * Results:
 *	0 to make the real call, or the errno the call must fail with.
 *
 *----------------------------------------------------------------------
 */

int
sc__fault_armed(int sysno, unsigned long n)
{
    struct fault *f = &faults[sysno];
    unsigned long nth = atomic_load(&f->nth), count, k;

    if (nth == 0) {
	return 0;
    }
    k = n - atomic_load(&f->armedAt);	/* 1 for the first call since. */
    count = atomic_load(&f->count);
    if (k < nth || (count != 0 && k - nth >= count)) {
	return 0;
    }
    return atomic_load(&f->err);
}

#define FAIL_IF_INJECTED(sysno, failValue)	\
    do {					\
	if (sc__injected(sysno)) {		\
	    return (failValue);		\
	}					\
    } while (0)

#define CALL(sysno, expr) (sc__injected(sysno) ? -1 : (expr))

int
sc__socket(int domain, int type, int protocol)
{
    FAIL_IF_INJECTED(SC_SYS_SOCKET, -1);
    return sc__sys.socket(domain, type, protocol);
}

int
sc__bind(int fd, const struct sockaddr *addr, socklen_t len)
{
    FAIL_IF_INJECTED(SC_SYS_BIND, -1);
    return sc__sys.bind(fd, addr, len);
}

int
sc__listen(int fd, int backlog)
{
    FAIL_IF_INJECTED(SC_SYS_LISTEN, -1);
    return sc__sys.listen(fd, backlog);
}

int
sc__accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    int r;

    do {
	r = CALL(SC_SYS_ACCEPT4, sc__sys.accept4(fd, addr, len, flags));
    } while (r < 0 && errno == EINTR);
    return r;
}

int
sc__connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    /*
     * EINTR is not retried: the connection goes on in the background, and
     * a second connect() would say EALREADY. The caller treats EINTR as
     * EINPROGRESS.
     */
    FAIL_IF_INJECTED(SC_SYS_CONNECT, -1);
    return sc__sys.connect(fd, addr, len);
}

int
sc__shutdown(int fd, int how)
{
    FAIL_IF_INJECTED(SC_SYS_SHUTDOWN, -1);
    return sc__sys.shutdown(fd, how);
}

int
sc__getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
    FAIL_IF_INJECTED(SC_SYS_GETSOCKNAME, -1);
    return sc__sys.getsockname(fd, addr, len);
}

int
sc__getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
    FAIL_IF_INJECTED(SC_SYS_GETPEERNAME, -1);
    return sc__sys.getpeername(fd, addr, len);
}

int
sc__setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
    FAIL_IF_INJECTED(SC_SYS_SETSOCKOPT, -1);
    return sc__sys.setsockopt(fd, level, name, val, len);
}

int
sc__getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
    FAIL_IF_INJECTED(SC_SYS_GETSOCKOPT, -1);
    return sc__sys.getsockopt(fd, level, name, val, len);
}

/* sys.h's sc__recv and sc__send after an EINTR, or while something is
 * armed: every try counted, and failed if armed so. */
ssize_t
sc__recv_all(int fd, void *buf, size_t len, int flags)
{
    ssize_t r;

    do {
	r = sc__injected(SC_SYS_RECV) ? -1 : sc__sys.recv(fd, buf, len, flags);
    } while (r < 0 && errno == EINTR);
    return r;
}

ssize_t
sc__send_all(int fd, const void *buf, size_t len, int flags)
{
    ssize_t r;

    do {
	r = sc__injected(SC_SYS_SEND) ? -1 : sc__sys.send(fd, buf, len, flags);
    } while (r < 0 && errno == EINTR);
    return r;
}

ssize_t
sc__read(int fd, void *buf, size_t len)
{
    ssize_t r;

    do {
	r = CALL(SC_SYS_READ, sc__sys.read(fd, buf, len));
    } while (r < 0 && errno == EINTR);
    return r;
}

ssize_t
sc__write(int fd, const void *buf, size_t len)
{
    ssize_t r;

    do {
	r = CALL(SC_SYS_WRITE, sc__sys.write(fd, buf, len));
    } while (r < 0 && errno == EINTR);
    return r;
}

ssize_t
sc__writev(int fd, const struct iovec *iov, int iovcnt)
{
    ssize_t r;

    do {
	r = CALL(SC_SYS_WRITEV, sc__sys.writev(fd, iov, iovcnt));
    } while (r < 0 && errno == EINTR);
    return r;
}

ssize_t
sc__splice(int fdIn, int fdOut, size_t len, unsigned int flags)
{
    ssize_t r;

    do {
	r = CALL(SC_SYS_SPLICE,
		sc__sys.splice(fdIn, NULL, fdOut, NULL, len, flags));
    } while (r < 0 && errno == EINTR);
    return r;
}

int
sc__pipe2(int fds[2], int flags)
{
    FAIL_IF_INJECTED(SC_SYS_PIPE2, -1);
    return sc__sys.pipe2(fds, flags);
}

int
sc__close(int fd)
{
    int r;

    /*
     * An injected failure still closes the descriptor, as Linux does for
     * a real EINTR or EIO: the caller must never retry a close.
     */
    int injected = sc__fault(SC_SYS_CLOSE);
    r = sc__sys.close(fd);
    if (injected) {
	errno = injected;
	return -1;
    }
    if (r < 0 && errno == EINTR) {
	r = 0;
    }
    return r;
}

int
sc__fcntl(int fd, int cmd, long arg)
{
    FAIL_IF_INJECTED(SC_SYS_FCNTL, -1);
    return sc__sys.fcntl(fd, cmd, arg);
}

int
sc__eventfd(unsigned int initval, int flags)
{
    FAIL_IF_INJECTED(SC_SYS_EVENTFD, -1);
    return sc__sys.eventfd(initval, flags);
}

int
sc__poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
    FAIL_IF_INJECTED(SC_SYS_POLL, -1);
    return sc__sys.poll(fds, nfds, timeout);
}

#ifdef SC_HAVE_EPOLL
int
sc__epoll_create1(int flags)
{
    FAIL_IF_INJECTED(SC_SYS_EPOLL_CREATE1, -1);
    return sc__sys.epoll_create1(flags);
}

int
sc__epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
    FAIL_IF_INJECTED(SC_SYS_EPOLL_CTL, -1);
    return sc__sys.epoll_ctl(epfd, op, fd, ev);
}

int
sc__epoll_wait(int epfd, struct epoll_event *evs, int max, int timeout)
{
    FAIL_IF_INJECTED(SC_SYS_EPOLL_WAIT, -1);
    return sc__sys.epoll_wait(epfd, evs, max, timeout);
}
#endif

int
sc__getaddrinfo(const char *node, const char *service,
	const struct addrinfo *hints, struct addrinfo **res)
{
    int err = sc__fault(SC_SYS_GETADDRINFO);

    if (err) {
	/* An injected errno is a system error of the resolver. */
	errno = err;
	return EAI_SYSTEM;
    }
    return sc__sys.getaddrinfo(node, service, hints, res);
}

void
sc__freeaddrinfo(struct addrinfo *res)
{
    if (res != NULL) {
	sc__sys.freeaddrinfo(res);
    }
}

void *
sc__malloc(size_t size)
{
    FAIL_IF_INJECTED(SC_SYS_MALLOC, NULL);
    return sc__sys.malloc(size);
}

void *
sc__calloc(size_t n, size_t size)
{
    FAIL_IF_INJECTED(SC_SYS_MALLOC, NULL);
    return sc__sys.calloc(n, size);
}

void *
sc__realloc(void *ptr, size_t size)
{
    FAIL_IF_INJECTED(SC_SYS_MALLOC, NULL);
    return sc__sys.realloc(ptr, size);
}

void
sc__free(void *ptr)
{
    free(ptr);
}

int
sc__renameat2(int oldDir, const char *oldName, int newDir,
	const char *newName, unsigned int flags)
{
    FAIL_IF_INJECTED(SC_SYS_RENAMEAT2, -1);
    return sc__sys.renameat2(oldDir, oldName, newDir, newName, flags);
}

int
sc__renameat(int oldDir, const char *oldName, int newDir,
	const char *newName)
{
    FAIL_IF_INJECTED(SC_SYS_RENAMEAT, -1);
    return renameat(oldDir, oldName, newDir, newName);
}

int
sc__mkdirat(int dir, const char *name, mode_t mode)
{
    FAIL_IF_INJECTED(SC_SYS_MKDIRAT, -1);
    return mkdirat(dir, name, mode);
}

int
sc__openat(int dir, const char *name, int flags)
{
    FAIL_IF_INJECTED(SC_SYS_OPENAT, -1);
    return openat(dir, name, flags);
}

int
sc__fchmodat(int dir, const char *name, mode_t mode, int flags)
{
    FAIL_IF_INJECTED(SC_SYS_FCHMODAT, -1);
    return fchmodat(dir, name, mode, flags);
}

int
sc__linkat(int oldDir, const char *oldName, int newDir,
	const char *newName, int flags)
{
    FAIL_IF_INJECTED(SC_SYS_LINKAT, -1);
    return linkat(oldDir, oldName, newDir, newName, flags);
}

int
sc__unlinkat(int dir, const char *name, int flags)
{
    FAIL_IF_INJECTED(SC_SYS_UNLINKAT, -1);
    return unlinkat(dir, name, flags);
}

int
sc__set_nonblocking(int fd, int on)
{
    int flags = sc__fcntl(fd, F_GETFL, 0);

    if (flags < 0) {
	return -1;
    }
    if (on ? (flags & O_NONBLOCK) : !(flags & O_NONBLOCK)) {
	return 0;
    }
    flags = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
    return sc__fcntl(fd, F_SETFL, flags);
}
