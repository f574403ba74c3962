/*
 * sys.h --
 *
 *	The system-call seam. Every system call that libsockchan makes on
 *	sockets and descriptors, and every allocation, goes through the
 *	wrappers below. They route the call through a table of function
 *	pointers (sc__sys) that a test may replace, and through a fault
 *	injector that makes the Nth call of a kind fail with a chosen errno
 *	(the idea of SQLite's aSyscall[]).
 *
 *	The wrappers retry EINTR where a retry is right (read, write, send,
 *	recv, accept4, splice, writev); calls that wait (epoll_wait, poll)
 *	return it, so that the caller can recompute its timeout, and close
 *	never retries (on Linux the descriptor is gone either way).
 *
 *	This header is internal: it is shared by src/ and by the tests,
 *	never installed.
 */

#ifndef SC_CORE_SYS_H
#define SC_CORE_SYS_H

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

/* A rarely taken path kept out of its caller, so that the caller's common
 * path saves fewer registers (gcc and clang; elsewhere a plain function). */
#if defined(__GNUC__)
#define SC__NOINLINE __attribute__((noinline))
#else
#define SC__NOINLINE
#endif

#if defined(__linux__)
#define SC_HAVE_EPOLL 1
#include <sys/epoll.h>
#endif

/*
 * One number per wrapped call: the index into the fault table and the
 * call counters.
 */
enum sc__sysno {
    SC_SYS_SOCKET,
    SC_SYS_BIND,
    SC_SYS_LISTEN,
    SC_SYS_ACCEPT4,
    SC_SYS_CONNECT,
    SC_SYS_SHUTDOWN,
    SC_SYS_GETSOCKNAME,
    SC_SYS_GETPEERNAME,
    SC_SYS_SETSOCKOPT,
    SC_SYS_GETSOCKOPT,
    SC_SYS_READ,
    SC_SYS_WRITE,
    SC_SYS_WRITEV,
    SC_SYS_RECV,
    SC_SYS_SEND,
    SC_SYS_SPLICE,
    SC_SYS_PIPE2,
    SC_SYS_CLOSE,
    SC_SYS_FCNTL,
    SC_SYS_EVENTFD,
    SC_SYS_POLL,
    SC_SYS_EPOLL_CREATE1,
    SC_SYS_EPOLL_CTL,
    SC_SYS_EPOLL_WAIT,
    SC_SYS_MALLOC,		/* malloc, calloc and realloc */
    SC_SYS_GETADDRINFO,
    SC_SYS_RENAMEAT2,
    SC_SYS_RENAMEAT,
    SC_SYS_MKDIRAT,
    SC_SYS_OPENAT,
    SC_SYS_FCHMODAT,
    SC_SYS_LINKAT,
    SC_SYS_UNLINKAT,
    SC_SYS_COUNT
};

/*
 * The table the wrappers call through. Tests may replace an entry and
 * must put the original back.
 */
struct sc__syscalls {
    int (*socket)(int domain, int type, int protocol);
    int (*bind)(int fd, const struct sockaddr *addr, socklen_t len);
    int (*listen)(int fd, int backlog);
    int (*accept4)(int fd, struct sockaddr *addr, socklen_t *len, int flags);
    int (*connect)(int fd, const struct sockaddr *addr, socklen_t len);
    int (*shutdown)(int fd, int how);
    int (*getsockname)(int fd, struct sockaddr *addr, socklen_t *len);
    int (*getpeername)(int fd, struct sockaddr *addr, socklen_t *len);
    int (*setsockopt)(int fd, int level, int name, const void *val,
	    socklen_t len);
    int (*getsockopt)(int fd, int level, int name, void *val,
	    socklen_t *len);
    ssize_t (*read)(int fd, void *buf, size_t len);
    ssize_t (*write)(int fd, const void *buf, size_t len);
    ssize_t (*writev)(int fd, const struct iovec *iov, int iovcnt);
    ssize_t (*recv)(int fd, void *buf, size_t len, int flags);
    ssize_t (*send)(int fd, const void *buf, size_t len, int flags);
    ssize_t (*splice)(int fdIn, loff_t *offIn, int fdOut, loff_t *offOut,
	    size_t len, unsigned int flags);
    int (*pipe2)(int fds[2], int flags);
    int (*close)(int fd);
    int (*fcntl)(int fd, int cmd, long arg);
    int (*eventfd)(unsigned int initval, int flags);
    int (*poll)(struct pollfd *fds, nfds_t nfds, int timeout);
#ifdef SC_HAVE_EPOLL
    int (*epoll_create1)(int flags);
    int (*epoll_ctl)(int epfd, int op, int fd, struct epoll_event *ev);
    int (*epoll_wait)(int epfd, struct epoll_event *evs, int max,
	    int timeout);
#endif
    int (*getaddrinfo)(const char *node, const char *service,
	    const struct addrinfo *hints, struct addrinfo **res);
    void (*freeaddrinfo)(struct addrinfo *res);
    void *(*malloc)(size_t size);
    void *(*calloc)(size_t n, size_t size);
    void *(*realloc)(void *ptr, size_t size);
    int (*renameat2)(int oldDir, const char *oldName, int newDir,
	    const char *newName, unsigned int flags);
};

extern struct sc__syscalls sc__sys;

/*
 * Fault injection. sc__fault_set() arms call sysno so that, counting from
 * now, its calls number nth .. nth+count-1 fail with err (count 0 means
 * every call from the nth on; never with EINTR, which a wrapper that
 * retries would retry forever). sc__fault_clear() disarms every call.
 * sc__sys_calls() tells how many calls of a kind were made since the
 * process started (faults included); sc__sys_name() names a kind.
 * These are process-wide, for tests; they are safe to call from any thread.
 */
void sc__fault_set(int sysno, unsigned long nth, unsigned long count,
	int err);
void sc__fault_clear(void);
unsigned long sc__sys_calls(int sysno);
const char *sc__sys_name(int sysno);

/*
 * The wrappers. Same arguments and results as the system calls.
 */
int sc__socket(int domain, int type, int protocol);
int sc__bind(int fd, const struct sockaddr *addr, socklen_t len);
int sc__listen(int fd, int backlog);
int sc__accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
int sc__connect(int fd, const struct sockaddr *addr, socklen_t len);
int sc__shutdown(int fd, int how);
int sc__getsockname(int fd, struct sockaddr *addr, socklen_t *len);
int sc__getpeername(int fd, struct sockaddr *addr, socklen_t *len);
int sc__setsockopt(int fd, int level, int name, const void *val,
	socklen_t len);
int sc__getsockopt(int fd, int level, int name, void *val, socklen_t *len);
ssize_t sc__read(int fd, void *buf, size_t len);
ssize_t sc__write(int fd, const void *buf, size_t len);
ssize_t sc__writev(int fd, const struct iovec *iov, int iovcnt);
ssize_t sc__splice(int fdIn, int fdOut, size_t len, unsigned int flags);
int sc__pipe2(int fds[2], int flags);
int sc__close(int fd);
int sc__fcntl(int fd, int cmd, long arg);
int sc__eventfd(unsigned int initval, int flags);
int sc__poll(struct pollfd *fds, nfds_t nfds, int timeout);
#ifdef SC_HAVE_EPOLL
int sc__epoll_create1(int flags);
int sc__epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev);
int sc__epoll_wait(int epfd, struct epoll_event *evs, int max, int timeout);
#endif
/* getaddrinfo's result codes; EAI_SYSTEM leaves errno. */
int sc__getaddrinfo(const char *node, const char *service,
	const struct addrinfo *hints, struct addrinfo **res);
void sc__freeaddrinfo(struct addrinfo *res);
void *sc__malloc(size_t size);
void *sc__calloc(size_t n, size_t size);
void *sc__realloc(void *ptr, size_t size);
void sc__free(void *ptr);
/* Never retried; flags as renameat2(2) (RENAME_NOREPLACE: EEXIST rather
 * than replace; EINVAL where the file system can't promise it). */
int sc__renameat2(int oldDir, const char *oldName, int newDir,
	const char *newName, unsigned int flags);
/* The directory calls of a Unix listener's placement (src/core/unix.c):
 * counted and open to fault injection, never retried. sc__openat opens
 * without creating (no mode). */
int sc__renameat(int oldDir, const char *oldName, int newDir,
	const char *newName);
int sc__mkdirat(int dir, const char *name, mode_t mode);
int sc__openat(int dir, const char *name, int flags);
int sc__fchmodat(int dir, const char *name, mode_t mode, int flags);
int sc__linkat(int oldDir, const char *oldName, int newDir,
	const char *newName, int flags);
int sc__unlinkat(int dir, const char *name, int flags);

/* Set or clear O_NONBLOCK; 0 or -1 with errno. */
int sc__set_nonblocking(int fd, int on);

/*
 * A socket's reads and writes, the hot path, are inline: while nothing is
 * armed, the injector costs one add and one load. sys.c owns the counters
 * and the flag; sc__fault_armed() decides once something is armed.
 */
extern atomic_ulong sc__callCount[SC_SYS_COUNT];
extern atomic_int sc__faultArmed;
int sc__fault_armed(int sysno, unsigned long n);

/* Count a call of kind sysno; the count, this call included. */
static inline unsigned long
sc__count(int sysno)
{
    return atomic_fetch_add_explicit(&sc__callCount[sysno], 1,
	    memory_order_relaxed) + 1;
}

/* Count a call of kind sysno: 0 to make it, or the errno it fails with. */
static inline int
sc__fault(int sysno)
{
    unsigned long n = sc__count(sysno);

    if (!atomic_load_explicit(&sc__faultArmed, memory_order_relaxed)) {
	return 0;
    }
    return sc__fault_armed(sysno, n);
}

/* The same, for a call that retries EINTR: the failure sets errno and
 * goes through the same retry as a real one. */
static inline int
sc__injected(int sysno)
{
    int err = sc__fault(sysno);

    if (err != 0) {
	errno = err;
    }
    return err != 0;
}

/*
 * recv and send: while nothing is armed, one count and the call; an EINTR,
 * or anything armed, goes to sys.c's loop (sc__recv_all, sc__send_all),
 * which counts and checks every try. Split so that the common path stays
 * short in every caller it is inlined into.
 */
ssize_t sc__recv_all(int fd, void *buf, size_t len, int flags);
ssize_t sc__send_all(int fd, const void *buf, size_t len, int flags);

static inline ssize_t
sc__recv(int fd, void *buf, size_t len, int flags)
{
    if (!atomic_load_explicit(&sc__faultArmed, memory_order_relaxed)) {
	ssize_t r;

	(void) sc__count(SC_SYS_RECV);
	r = sc__sys.recv(fd, buf, len, flags);
	if (r >= 0 || errno != EINTR) {
	    return r;
	}
    }
    return sc__recv_all(fd, buf, len, flags);
}

static inline ssize_t
sc__send(int fd, const void *buf, size_t len, int flags)
{
    if (!atomic_load_explicit(&sc__faultArmed, memory_order_relaxed)) {
	ssize_t r;

	(void) sc__count(SC_SYS_SEND);
	r = sc__sys.send(fd, buf, len, flags);
	if (r >= 0 || errno != EINTR) {
	    return r;
	}
    }
    return sc__send_all(fd, buf, len, flags);
}

#endif /* SC_CORE_SYS_H */
