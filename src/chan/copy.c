/*
 * copy.c --
 *
 *	Background copy between two channels (Tcl's chan copy / fcopy).
 *	While a copy runs, both channels are nonblocking and belong to it:
 *	the program's own reads and writes on them fail as "busy". When
 *	neither side translates or converts and both descriptors are sockets
 *	or pipes, the bytes go through a pipe with splice(2) and never enter
 *	user space; otherwise they go through one pooled buffer, with the
 *	output channel's -outputlimit as backpressure.
 */

#include "chan/chan.h"
#include "core/sys.h"
#include "loop/loop.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * The splice path's pipe: asked to hold SPLICE_PIPE bytes (fewer, larger
 * splices); what the system grants (64 KiB by default) is the chunk.
 */
#ifndef SPLICE_PIPE
#define SPLICE_PIPE (256 * 1024)
#endif

struct sc__copy {
    sc_chan *in, *out;
    long long size;		/* -1: to end of file. */
    long long done;		/* Bytes written to out. */
    sc_copy_proc *proc;
    void *clientData;
    /* The program's handlers and modes, given back at the end. */
    sc_file_proc *inRead, *outWrite;
    void *inReadData, *outWriteData;
    int inNonblock, outNonblock;
    /* User-space path: bytes read from in, not yet taken by out. */
    char *buf;
    size_t bufLen, bufCap;
    /* Splice path. */
    int pipe[2];
    size_t inPipe;		/* Bytes in the pipe. */
    size_t pipeCap;		/* What it holds. */
    int splicing;
    sc_timer timer;		/* Delivers the result of an aborted copy. */
    char *errmsg;		/* Set when the copy failed. */
    int finished;
    int starting;		/* Inside sc_chan_copy's first step. */
    int *syncDone;		/* A synchronous copy waits on this. */
};

static void DeliverLater(void *clientData);

static void Step(struct sc__copy *c);

static void
Readable(void *clientData, int mask)
{
    (void) mask;
    Step(clientData);
}

static int
IsPipeOrSocket(int fd)
{
    struct stat st;

    return fd >= 0 && fstat(fd, &st) == 0
	    && (S_ISSOCK(st.st_mode) || S_ISFIFO(st.st_mode));
}

/* May the bytes bypass user space? */
static int
CanSplice(const sc_chan *in, const sc_chan *out)
{
    /* Never past a transform: its bytes are not the descriptor's. */
    return sc__chan_raw_input(in) && sc__chan_raw_output(out)
	    && (in->x == NULL || in->x->top == NULL)
	    && (out->x == NULL || out->x->top == NULL)
	    && out->encOut == SC_ENC_BINARY
	    && IsPipeOrSocket(in->type->handle(in->inst, SC_READABLE))
	    && IsPipeOrSocket(out->type->handle(out->inst, SC_WRITABLE));
}

static void
SetError(struct sc__copy *c, const char *msg)
{
    if (c->errmsg == NULL) {
	size_t n = strlen(msg) + 1;

	c->errmsg = sc__malloc(n);
	if (c->errmsg != NULL) {
	    memcpy(c->errmsg, msg, n);
	}
    }
}

/* Wait for in to be readable (want 1) or out to be writable (want 2). */
static void
Await(struct sc__copy *c, int want)
{
    c->in->readProc = (want == 1) ? Readable : NULL;
    c->in->readData = c;
    c->out->writeProc = (want == 2) ? Readable : NULL;
    c->out->writeData = c;
    sc__chan_update(c->in);
    sc__chan_update(c->out);
}

static void
Deliver(struct sc__copy *c)
{
    sc_copy_proc *proc = c->proc;
    void *clientData = c->clientData;
    long long done = c->done;
    char *errmsg = c->errmsg;

    if (c->syncDone != NULL) {
	*c->syncDone = errmsg ? -1 : 1;
    }
    if (c->syncDone == NULL) {
	sc__free(c);
	if (proc != NULL) {
	    proc(clientData, done, errmsg ? errmsg : NULL);
	}
	sc__free(errmsg);
    }
}

/* Give the channels back, and tell the program. */
static void
Finish(struct sc__copy *c)
{
    sc_chan *in = c->in, *out = c->out;

    c->finished = 1;
    if (c->pipe[0] >= 0) {
	sc__close(c->pipe[0]);
	sc__close(c->pipe[1]);
	c->pipe[0] = c->pipe[1] = -1;
    }
    if (c->buf != NULL) {
	sc__free(c->buf);
	c->buf = NULL;
    }
    in->flags &= ~(uint32_t) CF_COPY;
    out->flags &= ~(uint32_t) CF_COPY;
    in->x->copy = NULL;
    out->x->copy = NULL;
    in->readProc = c->inRead;
    in->readData = c->inReadData;
    out->writeProc = c->outWrite;
    out->writeData = c->outWriteData;
    if (!c->inNonblock) {
	sc_chan_set_blocking(in, 1);
    }
    if (!c->outNonblock && out != in) {
	sc_chan_set_blocking(out, 1);
    }
    sc__chan_update(in);
    sc__chan_update(out);
    if (c->starting && c->syncDone == NULL) {
	/* Over before sc_chan_copy returned (nothing to copy, or end of
	 * file already): the program hears of it from the loop, as in
	 * Tcl, never from inside its own call. */
	c->timer = sc_create_timer(in->loop, 0, DeliverLater, c);
	if (c->timer != 0) {
	    return;
	}
    }
    Deliver(c);
}

static long long
Remaining(const struct sc__copy *c)
{
    return c->size < 0 ? -1 : c->size - c->done - (long long) c->bufLen
	    - (long long) c->inPipe;
}

/*
 * One pass of the splice path. Returns 1 when it must wait (it has said
 * for what), 0 when the copy is over.
 */
static int
StepSplice(struct sc__copy *c)
{
    int inFd = c->in->type->handle(c->in->inst, SC_READABLE);
    int outFd = c->out->type->handle(c->out->inst, SC_WRITABLE);

    for (;;) {
	ssize_t n;

	if (c->inPipe > 0) {
	    n = sc__splice(c->pipe[0], outFd, c->inPipe,
		    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	    if (n > 0) {
		c->inPipe -= (size_t) n;
		c->done += n;
		continue;
	    }
	    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		Await(c, 2);
		return 1;
	    }
	    sc__chan_error(c->out, n < 0 ? errno : EPIPE, "error writing "
		    "\"%s\"", sc_chan_name(c->out));
	    SetError(c, sc_errmsg(c->out->loop));
	    return 0;
	}
	if (Remaining(c) == 0) {
	    return 0;
	}
	{
	    long long want = Remaining(c);
	    size_t chunk = (want < 0 || (size_t) want > c->pipeCap)
		    ? c->pipeCap : (size_t) want;

	    n = sc__splice(inFd, c->pipe[1], chunk,
		    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	}
	if (n > 0) {
	    c->inPipe += (size_t) n;
	    continue;
	}
	if (n == 0) {
	    c->in->flags |= CF_INEOF | CF_EOF;
	    return 0;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
	    Await(c, 1);
	    return 1;
	}
	if (errno == ECONNRESET) {
	    c->in->flags |= CF_INEOF | CF_EOF;
	    return 0;
	}
	sc__chan_error(c->in, errno, "error reading \"%s\"",
		sc_chan_name(c->in));
	SetError(c, sc_errmsg(c->in->loop));
	return 0;
    }
}

/*
 * One pass of the user-space path. Same results as StepSplice.
 */
static int
StepBuffer(struct sc__copy *c)
{
    for (;;) {
	long n;

	if (c->bufLen > 0) {
	    c->out->flags &= ~(uint32_t) CF_COPY;
	    n = sc_write(c->out, c->buf, c->bufLen);
	    c->out->flags |= CF_COPY;
	    if (n == SC_ERROR) {
		SetError(c, sc_errmsg(c->out->loop));
		return 0;
	    }
	    if (n == SC_BLOCKED) {
		n = 0;
	    }
	    memmove(c->buf, c->buf + n, c->bufLen - (size_t) n);
	    c->bufLen -= (size_t) n;
	    c->done += n;
	    if (c->bufLen > 0) {
		Await(c, 2);
		return 1;
	    }
	}
	if (Remaining(c) == 0) {
	    return 0;
	}
	if (c->in->in.bytes == 0 && c->splicing >= 0
		&& c->out->out.bytes == 0 && CanSplice(c->in, c->out)
		&& sc__pipe2(c->pipe, O_CLOEXEC | O_NONBLOCK) == 0) {
	    /* Buffered input is gone: from here on, splice. */
	    int cap = sc__fcntl(c->pipe[1], F_SETPIPE_SZ, SPLICE_PIPE);

	    c->pipeCap = cap > 0 ? (size_t) cap : 64 * 1024;
	    c->splicing = 1;
	    return StepSplice(c);
	}
	{
	    long long want = Remaining(c);
	    size_t room = (want < 0 || (size_t) want > c->bufCap) ? c->bufCap
		    : (size_t) want;

	    c->in->flags &= ~(uint32_t) CF_COPY;
	    n = sc_read(c->in, c->buf, room);
	    c->in->flags |= CF_COPY;
	}
	if (n > 0) {
	    c->bufLen = (size_t) n;
	    continue;
	}
	if (n == SC_EOF) {
	    return 0;
	}
	if (n == SC_BLOCKED) {
	    Await(c, 1);
	    return 1;
	}
	SetError(c, sc_errmsg(c->in->loop));
	return 0;
    }
}

static void
Step(struct sc__copy *c)
{
    int waiting = c->splicing > 0 ? StepSplice(c) : StepBuffer(c);

    if (!waiting) {
	/* Whatever out still queues goes out in the background. */
	if (c->errmsg == NULL && c->out->out.bytes > 0) {
	    if (sc__chan_flush(c->out) < 0 || c->out->outError) {
		sc__chan_error(c->out, c->out->outError, "error writing "
			"\"%s\"", sc_chan_name(c->out));
		SetError(c, sc_errmsg(c->out->loop));
	    }
	}
	Finish(c);
    }
}

/*
 *----------------------------------------------------------------------
 *
 * sc_chan_copy --
 *
 *	Starts a copy. See sockchan.h.
 *
 *----------------------------------------------------------------------
 */

long long
sc_chan_copy(sc_chan *in, sc_chan *out, long long size, sc_copy_proc *done,
	void *clientData)
{
    struct sc__copy *c;
    int syncDone = 0;

    if (in == NULL || out == NULL) {
	errno = EINVAL;
	return SC_ERROR;
    }
    if ((in->flags | out->flags) & CF_COPY) {
	sc__chan_error(in, EBUSY, "channel \"%s\" is busy",
		sc_chan_name((in->flags & CF_COPY) ? in : out));
	return SC_ERROR;
    }
    if (!(in->flags & CF_READ)) {
	sc__chan_error(in, 0, "channel \"%s\" wasn't opened for reading",
		sc_chan_name(in));
	return SC_ERROR;
    }
    if (!(out->flags & CF_WRITE)) {
	sc__chan_error(out, 0, "channel \"%s\" wasn't opened for writing",
		sc_chan_name(out));
	return SC_ERROR;
    }
    if (in->loop != out->loop) {
	sc__chan_error(in, 0, "can't copy between channels of two loops");
	return SC_ERROR;
    }
    if (sc__chan_x(in) == NULL || sc__chan_x(out) == NULL) {
	sc__chan_error(in, ENOMEM, "can't copy");
	return SC_ERROR;
    }
    c = sc__calloc(1, sizeof(*c));
    if (c == NULL) {
	sc__chan_error(in, ENOMEM, "can't copy");
	return SC_ERROR;
    }
    c->bufCap = in->bufSize;
    c->buf = sc__malloc(c->bufCap);
    if (c->buf == NULL) {
	sc__free(c);
	sc__chan_error(in, ENOMEM, "can't copy");
	return SC_ERROR;
    }
    c->in = in;
    c->out = out;
    c->size = size < 0 ? -1 : size;
    c->proc = done;
    c->clientData = clientData;
    c->pipe[0] = c->pipe[1] = -1;
    c->inRead = in->readProc;
    c->inReadData = in->readData;
    c->outWrite = out->writeProc;
    c->outWriteData = out->writeData;
    c->inNonblock = (in->flags & CF_NONBLOCK) != 0;
    c->outNonblock = (out->flags & CF_NONBLOCK) != 0;
    in->readProc = NULL;
    out->writeProc = NULL;
    if ((!c->inNonblock && sc_chan_set_blocking(in, 0) < 0)
	    || (!c->outNonblock && sc_chan_set_blocking(out, 0) < 0)) {
	in->readProc = c->inRead;
	out->writeProc = c->outWrite;
	if (!c->inNonblock) {
	    sc_chan_set_blocking(in, 1);
	}
	sc__free(c->buf);
	sc__free(c);
	return SC_ERROR;
    }
    in->flags |= CF_COPY;
    out->flags |= CF_COPY;
    in->x->copy = c;
    out->x->copy = c;
    if (done == NULL) {
	c->syncDone = &syncDone;
    }

    c->starting = 1;
    Step(c);
    c->starting = 0;
    if (done != NULL) {
	return 0;
    }

    /* A synchronous copy runs the loop until it is over. */
    while (syncDone == 0) {
	if (sc_do_one_event(in->loop, SC_ALL_EVENTS) < 0) {
	    /* The loop itself failed: end the copy with its message. */
	    SetError(c, sc_errmsg(in->loop));
	    Finish(c);
	    break;
	}
    }
    {
	long long bytes = c->done;

	if (c->errmsg != NULL) {
	    sc__loop_error(in->loop, 0, "%s", c->errmsg);
	    bytes = SC_ERROR;
	}
	sc__free(c->errmsg);
	sc__free(c);
	return bytes;
    }
}

static void
DeliverLater(void *clientData)
{
    Deliver(clientData);
}

/*
 * A channel of the copy is being closed: the copy ends now, and the
 * program hears of it from a timer, never from inside its own close.
 */
void
sc__copy_abort(sc_chan *chan)
{
    struct sc__copy *c = chan->x ? chan->x->copy : NULL;
    sc_copy_proc *proc;

    if (c == NULL || c->finished) {
	return;
    }
    SetError(c, "channel closed during copy");
    proc = c->proc;
    c->proc = NULL;		/* Finish must not deliver now. */
    {
	int *syncDone = c->syncDone;

	c->syncDone = &c->finished;	/* Keep c alive through Finish. */
	Finish(c);
	c->syncDone = syncDone;
    }
    if (c->syncDone != NULL) {
	*c->syncDone = -1;
	return;
    }
    c->proc = proc;
    c->timer = sc_create_timer(chan->loop, 0, DeliverLater, c);
    if (c->timer == 0) {
	Deliver(c);		/* No memory for a timer: tell it now. */
    }
}
