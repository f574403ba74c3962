/*
 * stdio.c --
 *
 *	Standard input and output for the relay, left as they are. The open
 *	file descriptions behind descriptors 0 and 1 are shared with other
 *	processes (the shell, the other end of a pipeline), and a status flag
 *	set on them (O_NONBLOCK) outlives a command that is killed: so none
 *	is ever set. Each of stdin and stdout reaches the loop one of two
 *	ways:
 *	  - directly, when that can neither block the loop nor change what
 *	    is shared: a regular file on a local disk or in memory, or a
 *	    memory device (/dev/null, /dev/zero), is duplicated, since its
 *	    reads and writes never wait for another process (and the file's
 *	    offset stays shared, as > and >> expect); a pipe or FIFO on stdin
 *	    is opened again through /proc/self/fd, which makes a new open
 *	    file description of the same pipe, and that one alone is made
 *	    nonblocking.
 *	  - otherwise (a terminal, a socket, a pipe on stdout, a pipe /proc
 *	    cannot open, a file on NFS or in /proc) through a thread: one
 *	    reads stdin with plain blocking reads and writes what it gets
 *	    into a socketpair; another writes to stdout what arrives on a
 *	    second socketpair. The loop's ends of the pairs are the
 *	    command's own, made nonblocking like any socket, and give the
 *	    loop backpressure both ways: while the loop does not read, the
 *	    stdin thread blocks; while stdout does not take more, the loop's
 *	    writes to its pair stop; and the thread counts exactly what
 *	    reached stdout.
 *	The direct way spares every byte two copies through a socketpair.
 *	Either way the descriptor returned is in the blocking mode the loop
 *	should use it in, and the relay tells this file what it read from and
 *	wrote to it (cli_stdin_got, cli_stdout_put) so that the counts below
 *	are the same for both.
 */

#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/magic.h>

#define CHUNK 65536

/*
 * stdin's thread. busy is set while the thread holds bytes it read and
 * has not yet handed to the pair; stop asks it to end after that (a
 * terminal, once the peer has gone).
 */

static struct {
    int fd;			/* The thread's end of the pair. */
    int direct;			/* No thread: the loop reads stdin itself. */
    pthread_t thread;
    pthread_mutex_t lock;
    int busy, stop;
    atomic_int error;		/* The errno of a failed read; -1: none. */
    atomic_int ended;		/* stdin's end of file was read. */
    atomic_llong count;		/* Bytes read from stdin. */
    long long taken;		/* Bytes the loop took (cli_stdin_got). */
} in = {-1, 0, 0, PTHREAD_MUTEX_INITIALIZER, 0, 0, -1, 0, 0, 0};

static struct {
    int fd;
    int direct;			/* No thread: the loop writes stdout itself. */
    pthread_t thread;
    int started;
    atomic_int error;		/* The errno of a failed write; -1: none. */
    atomic_llong count;		/* Bytes written to stdout. */
    long long taken;		/* Bytes the loop handed on for stdout. */
} out = {-1, 0, 0, 0, -1, 0, 0};

/* Write all of buf to fd (blocking); 0, or -1 with errno set. */
static int
WriteAll(int fd, const char *buf, size_t n, int sock)
{
    while (n > 0) {
	ssize_t w = sock ? send(fd, buf, n, MSG_NOSIGNAL) : write(fd, buf, n);

	if (w < 0) {
	    if (errno == EINTR) {
		continue;
	    }
	    return -1;
	}
	buf += w;
	n -= (size_t) w;
    }
    return 0;
}

static void *
StdinThread(void *arg)
{
    static char buf[CHUNK];
    int stop = 0;

    (void) arg;
    while (!stop) {
	ssize_t n = read(0, buf, sizeof(buf));

	if (n < 0 && errno == EINTR) {
	    continue;
	}
	if (n <= 0) {
	    if (n < 0) {
		atomic_store(&in.error, errno);
	    } else {
		atomic_store(&in.ended, 1);
	    }
	    break;
	}
	atomic_fetch_add(&in.count, n);
	pthread_mutex_lock(&in.lock);
	in.busy = 1;
	pthread_mutex_unlock(&in.lock);
	if (WriteAll(in.fd, buf, (size_t) n, 1) < 0) {
	    break;		/* The loop closed its end: not wanted. */
	}
	pthread_mutex_lock(&in.lock);
	in.busy = 0;
	stop = in.stop;
	pthread_mutex_unlock(&in.lock);
    }
    shutdown(in.fd, SHUT_WR);	/* The loop reads end of file. */
    return NULL;
}

static void *
StdoutThread(void *arg)
{
    static char buf[CHUNK];

    (void) arg;
    for (;;) {
	ssize_t n = recv(out.fd, buf, sizeof(buf), 0);

	if (n < 0 && errno == EINTR) {
	    continue;
	}
	if (n <= 0) {
	    break;
	}
	if (WriteAll(1, buf, (size_t) n, 0) < 0) {
	    atomic_store(&out.error, errno);
	    break;
	}
	atomic_fetch_add(&out.count, n);
    }
    /* Whatever the loop still writes fails now (EPIPE), rather than
     * piling up where nobody reads. */
    close(out.fd);
    out.fd = -1;
    return NULL;
}

/* A socketpair; the thread's end blocking, the loop's nonblocking. */
static int
Pair(int *mine, int *theirs)
{
    int sv[2], fl;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
	return -1;
    }
    fl = fcntl(sv[0], F_GETFL);
    if (fl < 0 || fcntl(sv[0], F_SETFL, fl | O_NONBLOCK) < 0) {
	int err = errno;

	close(sv[0]);
	close(sv[1]);
	errno = err;
	return -1;
    }
    *mine = sv[0];
    *theirs = sv[1];
    return 0;
}

/*
 * A regular file whose reads and writes answer at once: one on a local
 * disk or in memory. (A file in /proc or tracefs may wait for the kernel,
 * one on NFS or FUSE for a server: those keep the thread.)
 */
static int
LocalFile(int fd)
{
    struct statfs fs;

    if (fstatfs(fd, &fs) < 0) {
	return 0;
    }
    switch ((unsigned long) fs.f_type) {
    case EXT4_SUPER_MAGIC:	/* ext2, ext3 and ext4 alike */
    case XFS_SUPER_MAGIC:
    case BTRFS_SUPER_MAGIC:
    case F2FS_SUPER_MAGIC:
    case TMPFS_MAGIC:
    case OVERLAYFS_SUPER_MAGIC:
	return 1;
    }
    return 0;
}

/* /dev/null, /dev/zero, /dev/full or /dev/urandom: never waits. */
static int
MemoryDevice(const struct stat *st)
{
    if (!S_ISCHR(st->st_mode) || major(st->st_rdev) != 1) {
	return 0;
    }
    switch (minor(st->st_rdev)) {
    case 3: case 5: case 7: case 9:
	return 1;
    }
    return 0;
}

/*
 * The loop's own descriptor for stdio's fd (0 or 1), when the loop may use
 * it directly (see the top of this file); -1 when the thread is needed:
 *   - a local regular file or a memory device: a duplicate, used blocking
 *     (its reads and writes never wait for another process). Not when
 *     someone made the shared description nonblocking.
 *   - a pipe or FIFO on stdin: a new open file description of it, made
 *     nonblocking. (Not on stdout: there a nonblocking channel would
 *     queue what the pipe does not take, and a write that failed later
 *     could not say how much of it reached the reader, as the thread
 *     does.)
 * Never a descriptor open for the other direction only.
 */
static int
Direct(int fd)
{
    struct stat st, again;
    char path[32];
    int fl, mine;

    fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fstat(fd, &st) < 0
	    || (fl & O_ACCMODE) == (fd == 0 ? O_WRONLY : O_RDONLY)) {
	return -1;
    }
    if ((S_ISREG(st.st_mode) && LocalFile(fd)) || MemoryDevice(&st)) {
	return (fl & O_NONBLOCK) ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 3);
    }
    if (!S_ISFIFO(st.st_mode) || fd != 0) {
	return -1;
    }
    /* A pipe made by another user may not be ours to open again (EACCES):
     * the thread then reads it through the shared descriptor. */
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    mine = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (mine < 0) {
	return -1;
    }
    if (fstat(mine, &again) < 0 || again.st_dev != st.st_dev
	    || again.st_ino != st.st_ino || mine < 3) {
	close(mine);		/* Not the same pipe after all. */
	return -1;
    }
    return mine;
}

/* Start a thread with every signal blocked: signals are the loop's. */
static int
StartThread(pthread_t *thread, void *(*proc)(void *))
{
    sigset_t all, old;
    int err;

    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    err = pthread_create(thread, NULL, proc, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err != 0) {
	errno = err;
	return -1;
    }
    return 0;
}

/*
 *----------------------------------------------------------------------
 *
 * cli_stdin_open --
 *
 *	Gives the loop stdin: directly, or through a thread that reads it.
 *
 * Results:
 *	The loop's descriptor for stdin (the caller owns it), in the
 *	blocking mode to use it in: stdin's own copy (see Direct), or the
 *	loop's end of the thread's pair, readable as stdin is, with end of
 *	file when stdin ends or fails (cli_stdin_error says which). -1 with
 *	errno set on failure.
 *
 *----------------------------------------------------------------------
 */

int
cli_stdin_open(void)
{
    int mine = Direct(0);

    if (mine >= 0) {
	in.direct = 1;
	return mine;
    }
    if (Pair(&mine, &in.fd) < 0) {
	return -1;
    }
    if (StartThread(&in.thread, StdinThread) < 0) {
	int err = errno;

	close(mine);
	close(in.fd);
	errno = err;
	return -1;
    }
    pthread_detach(in.thread);	/* It may be left blocked in a read. */
    return mine;
}

/* The loop read n bytes from cli_stdin_open's descriptor (SC_EOF: its end,
 * SC_ERROR: a failure, with errno set). Taken either way; read from
 * stdin, ended or failed as well when no thread says so. */
void
cli_stdin_got(long n)
{
    if (n > 0) {
	in.taken += n;
    }
    if (!in.direct) {
	return;
    }
    if (n > 0) {
	atomic_fetch_add(&in.count, n);
    } else if (n == SC_EOF) {
	atomic_store(&in.ended, 1);
    } else if (n == SC_ERROR) {
	atomic_store(&in.error, errno != 0 ? errno : EIO);
    }
}

int
cli_stdin_error(void)
{
    int err = atomic_load(&in.error);

    return err < 0 ? 0 : err;
}

int
cli_stdin_ended(void)
{
    return atomic_load(&in.ended);
}

long long
cli_stdin_count(void)
{
    return atomic_load(&in.count);
}

/* Bytes the loop took from stdin (cli_stdin_got); a thread may have read
 * more, not yet taken. */
long long
cli_stdin_taken(void)
{
    return in.taken;
}

/*
 *----------------------------------------------------------------------
 *
 * cli_stdin_stop --
 *
 *	Asks stdin's thread to read no more once what it holds is passed
 *	on (for a terminal after the peer's end).
 *
 * Results:
 *	1 when the thread holds nothing (it waits in a read, or is about
 *	to): everything read is in the pair already, and the caller may
 *	take stdin as ended once the pair is empty. 0 when the thread is
 *	passing bytes on: it ends the pair itself after them.
 *
 *----------------------------------------------------------------------
 */

int
cli_stdin_stop(void)
{
    int idle;

    if (in.direct) {
	return 1;		/* Nothing is held but by the loop. */
    }
    pthread_mutex_lock(&in.lock);
    in.stop = 1;
    idle = !in.busy;
    pthread_mutex_unlock(&in.lock);
    return idle;
}

/*
 *----------------------------------------------------------------------
 *
 * cli_stdout_open, cli_stdout_finish --
 *
 *	The loop's descriptor for stdout (the caller owns it): stdout's
 *	own copy (see Direct), or the loop's end of a pair, from which a
 *	thread writes to stdout what the loop writes. Once the caller has
 *	closed it, cli_stdout_finish waits until everything is on stdout.
 *
 * Results:
 *	open: the descriptor, in the blocking mode to use it in, or -1 with
 *	errno set. finish: 0, or the errno of the write to stdout that
 *	failed.
 *
 *----------------------------------------------------------------------
 */

int
cli_stdout_open(void)
{
    int mine = Direct(1);

    if (mine >= 0) {
	out.direct = 1;
	return mine;
    }
    if (Pair(&mine, &out.fd) < 0) {
	return -1;
    }
    if (StartThread(&out.thread, StdoutThread) < 0) {
	int err = errno;

	close(mine);
	close(out.fd);
	errno = err;
	return -1;
    }
    out.started = 1;
    return mine;
}

int
cli_stdout_finish(void)
{
    int err;

    if (out.started) {
	pthread_join(out.thread, NULL);
	out.started = 0;
    }
    err = atomic_load(&out.error);
    return err < 0 ? 0 : err;
}

/* The loop wrote n bytes to cli_stdout_open's descriptor (SC_ERROR: a
 * write failed, with errno set). Counted here when no thread counts. */
void
cli_stdout_put(long n)
{
    if (n > 0) {
	out.taken += n;
    }
    if (!out.direct) {
	return;
    }
    if (n > 0) {
	atomic_fetch_add(&out.count, n);
    } else if (n == SC_ERROR) {
	atomic_store(&out.error, errno != 0 ? errno : EIO);
    }
}

/* stdout is the loop's own (a file or a device), not a thread's pair. */
int
cli_stdout_direct(void)
{
    return out.direct;
}

int
cli_stdout_error(void)
{
    int err = atomic_load(&out.error);

    return err < 0 ? 0 : err;
}

long long
cli_stdout_count(void)
{
    return atomic_load(&out.count);
}

/* Bytes the loop handed on for stdout (cli_stdout_put), written or not. */
long long
cli_stdout_taken(void)
{
    return out.taken;
}
