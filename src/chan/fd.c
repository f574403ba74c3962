/*
 * fd.c --
 *
 *	The channel driver for plain descriptors: stdin, stdout, pipes,
 *	files, ttys, and sockets the program made itself (a socketpair).
 *	It moves bytes and nothing else; see chan.c for the rest.
 */

#include "chan/chan.h"
#include "core/sys.h"
#include "loop/loop.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct fdState {
    sc_chan *chan;
    int fd;
    unsigned keep:1;		/* Leave fd open at close. */
    unsigned socket:1;		/* send/recv/shutdown apply. */
    unsigned pipe:1;		/* A write may raise SIGPIPE. */
};

_Static_assert(_Alignof(struct fdState) <= SC__INST_ALIGN,
	"a descriptor's state lives in its channel's allocation");

static long
FdInput(void *inst, char *buf, size_t n, int *errPtr)
{
    struct fdState *s = inst;
    ssize_t r = s->socket ? sc__recv(s->fd, buf, n, 0)
	    : sc__read(s->fd, buf, n);

    if (r < 0) {
	if (s->socket && errno == ECONNRESET) {
	    return 0;		/* A reset is the end of the stream. */
	}
	*errPtr = errno;
	return -1;
    }
    return (long) r;
}

/*
 * A write to a pipe whose reader is gone raises SIGPIPE, and there is no
 * MSG_NOSIGNAL for pipes: block the signal in this thread around the
 * write, and take away a SIGPIPE that the write itself raised. (Only
 * pipes and FIFOs: a file, a terminal or /dev/null raises none, and their
 * writes skip these three calls.)
 */
static ssize_t
WriteNoSigpipe(int fd, const char *buf, size_t n)
{
    sigset_t pipeSet, old, pending;
    ssize_t r;
    int err, wasPending;

    sigemptyset(&pipeSet);
    sigaddset(&pipeSet, SIGPIPE);
    sigpending(&pending);
    wasPending = sigismember(&pending, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipeSet, &old);
    r = sc__write(fd, buf, n);
    err = errno;
    if (r < 0 && err == EPIPE && !wasPending) {
	struct timespec zero = {0, 0};

	while (sigtimedwait(&pipeSet, NULL, &zero) < 0 && errno == EINTR) {
	}
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = err;
    return r;
}

static long
FdOutput(void *inst, const char *buf, size_t n, int *errPtr)
{
    struct fdState *s = inst;
    ssize_t r = s->socket ? sc__send(s->fd, buf, n, MSG_NOSIGNAL)
	    : s->pipe ? WriteNoSigpipe(s->fd, buf, n)
	    : sc__write(s->fd, buf, n);

    if (r < 0) {
	*errPtr = errno;
	return -1;
    }
    return (long) r;
}

static int
FdClose(void *inst, int direction)
{
    struct fdState *s = inst;
    int err = 0;

    if (direction != 0) {
	if (!s->socket) {
	    return ENOTSOCK;
	}
	if (sc__shutdown(s->fd, direction == SC_READABLE ? SHUT_RD
		: SHUT_WR) < 0) {
	    err = errno;
	}
	return err;
    }
    if (!s->keep && sc__close(s->fd) < 0) {
	err = errno;
    }
    return err;			/* s is freed with the channel. */
}

static void
FdReady(void *clientData, int mask)
{
    struct fdState *s = clientData;

    sc__chan_notify(s->chan, mask);
}

static int
FdWatch(void *inst, int mask)
{
    struct fdState *s = inst;
    sc_loop *loop = s->chan->loop;

    if (mask == 0) {
	sc_delete_file_handler(loop, s->fd);
    } else if (sc_create_file_handler(loop, s->fd, mask, FdReady, s) < 0) {
	return errno ? errno : EIO;
    }
    return 0;
}

static int
FdBlockMode(void *inst, int blocking)
{
    struct fdState *s = inst;

    return sc__set_nonblocking(s->fd, !blocking) < 0 ? errno : 0;
}

static int
FdHandle(void *inst, int direction)
{
    struct fdState *s = inst;
    int mode = s->chan->flags & (CF_READ | CF_WRITE);

    if (direction != 0 && !(mode & direction)) {
	return -1;
    }
    return s->fd;
}

static void
FdName(void *inst, char *buf, size_t size)
{
    static const char *const std[] = {"stdin", "stdout", "stderr"};
    struct fdState *s = inst;

    if (s->fd >= 0 && s->fd <= 2) {
	snprintf(buf, size, "%s", std[s->fd]);
    } else {
	snprintf(buf, size, "file%d", s->fd);
    }
}

static const struct sc__chan_type fdType = {
    "file", FdInput, FdOutput, FdClose, FdWatch, FdBlockMode, FdHandle,
    NULL, NULL, "", FdName, SC_TRANS_LF
};

/*
 *----------------------------------------------------------------------
 *
 * sc_chan_open_fd --
 *
 *	Makes a channel over a descriptor the caller opened.
 *
 * Results:
 *	The channel, or NULL with an error left on the loop.
 *
 * Side effects:
 *	The channel owns fd unless SC_CHAN_KEEP_FD is given. Its blocking
 *	mode is the descriptor's (blocking unless O_NONBLOCK is set); stdout
 *	on a terminal is line-buffered and stderr unbuffered, as in Tcl.
 *
 *----------------------------------------------------------------------
 */

sc_chan *
sc_chan_open_fd(sc_loop *loop, int fd, int mode, int flags)
{
    struct fdState *s;
    struct stat st;
    sc_chan *chan;
    int fl;

    if (loop == NULL) {
	errno = EINVAL;
	return NULL;
    }
    if (mode == 0 || (mode & ~(SC_READABLE | SC_WRITABLE))) {
	sc__loop_error(loop, 0, "bad mode %d: should be SC_READABLE, "
		"SC_WRITABLE or both", mode);
	return NULL;
    }
    if (flags & ~SC_CHAN_KEEP_FD) {
	sc__loop_error(loop, 0, "bad flags %#x", (unsigned) flags);
	return NULL;
    }
    fl = fd < 0 ? -1 : sc__fcntl(fd, F_GETFL, 0);
    if (fl < 0) {
	sc__loop_error(loop, EBADF, "can't use descriptor %d", fd);
	return NULL;
    }
    if (((fl & O_ACCMODE) == O_RDONLY && (mode & SC_WRITABLE))
	    || ((fl & O_ACCMODE) == O_WRONLY && (mode & SC_READABLE))) {
	sc__loop_error(loop, EBADF, "can't use descriptor %d for %s: it is "
		"open for %s only", fd, (mode & SC_WRITABLE)
		&& (fl & O_ACCMODE) == O_RDONLY ? "writing" : "reading",
		(fl & O_ACCMODE) == O_RDONLY ? "reading" : "writing");
	return NULL;
    }
    chan = sc__chan_new(loop, &fdType, sizeof(*s), mode);
    if (chan == NULL) {
	sc__loop_error(loop, ENOMEM, "can't use descriptor %d", fd);
	return NULL;
    }
    s = chan->inst;
    s->fd = fd;
    s->keep = (flags & SC_CHAN_KEEP_FD) != 0;
    if (fstat(fd, &st) == 0) {
	s->socket = S_ISSOCK(st.st_mode) != 0;
	s->pipe = S_ISFIFO(st.st_mode) != 0;
    } else {
	s->pipe = 1;		/* Not known: guard the write. */
    }
    s->chan = chan;
    if (fl & O_NONBLOCK) {
	chan->flags |= CF_NONBLOCK;
    }
    if (fd == 2) {
	chan->buffering = SC_BUFFER_NONE;
    } else if (fd == 1 && isatty(fd)) {
	chan->buffering = SC_BUFFER_LINE;
    }
    return chan;
}
