/*
 * chan.c --
 *
 *	The generic I/O layer: Tcl's tclIO.c for C. Input is kept as the raw
 *	bytes the driver gave, and decoded and translated lazily, one
 *	character at a time, as gets and read consume it: a change of
 *	-encoding or -translation applies to every byte not yet consumed (an
 *	HTTP client switching to binary for the body loses nothing). Output
 *	is translated and encoded as it is written, queued in pooled buffers,
 *	and flushed as -buffering says; a nonblocking channel never waits and
 *	never queues more than -outputlimit.
 */

#include "chan/chan.h"
#include "core/sys.h"
#include "loop/loop.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum {
    COOK_MORE,			/* Out of input (or mid-character). */
    COOK_LINE,			/* A line end was consumed. */
    COOK_FULL,			/* The destination is full. */
    COOK_EOFCHAR,		/* The input eofchar was met. */
    COOK_TOOLONG		/* A line passed -maxline. */
};

/* Calls of a readable handler per event while its reads fill its buffer
 * (libuv reads up to 32 times per event; 16 buffers of 64 KiB are 1 MiB
 * before the other descriptors get their turn). */
#define MAX_READS 16

static void FinishClose(sc_chan *chan);
static void FreeChan(sc_chan *chan);
static void Deliver(sc_chan *chan, int mask);

/*
 *----------------------------------------------------------------------
 *
 * Small helpers --
 *
 *----------------------------------------------------------------------
 */

/* The channel's name into buf, without allocating. */
static const char *
Name(const sc_chan *chan, char *buf, size_t size)
{
    if (chan->x != NULL && chan->x->name[0] != '\0') {
	return chan->x->name;
    }
    chan->type->name(chan->inst, buf, size);
    return buf;
}

int
sc__chan_error(sc_chan *chan, int err, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = sc__loop_verror(chan->loop, err, fmt, ap);
    va_end(ap);
    return r;
}

/* "ACTION "NAME": errno text", e.g. error reading "sock5": ... */
static int
IoError(sc_chan *chan, const char *action, int err)
{
    char nm[40];

    return sc__chan_error(chan, err, "%s \"%s\"", action,
	    Name(chan, nm, sizeof(nm)));
}

static int
NotOpenFor(sc_chan *chan, const char *what)
{
    char nm[40];

    return sc__chan_error(chan, 0, "channel \"%s\" wasn't opened for %s",
	    Name(chan, nm, sizeof(nm)), what);
}

static int
Busy(sc_chan *chan)
{
    char nm[40];

    sc__chan_error(chan, EBUSY, "channel \"%s\" is busy",
	    Name(chan, nm, sizeof(nm)));
    /* Tcl's message has no errno text. */
    snprintf(chan->loop->errmsg, sizeof(chan->loop->errmsg),
	    "channel \"%s\" is busy", Name(chan, nm, sizeof(nm)));
    return -1;
}

static inline int
CheckRead(sc_chan *chan)
{
    if (chan == NULL) {
	errno = EINVAL;
	return -1;
    }
    if (chan->flags & CF_COPY) {
	return Busy(chan);
    }
    if (!(chan->flags & CF_READ)) {
	return NotOpenFor(chan, "reading");
    }
    return 0;
}

static inline int
CheckWrite(sc_chan *chan)
{
    if (chan == NULL) {
	errno = EINVAL;
	return -1;
    }
    if (chan->flags & CF_COPY) {
	return Busy(chan);
    }
    if (!(chan->flags & CF_WRITE)) {
	return NotOpenFor(chan, "writing");
    }
    if (chan->outError) {
	return IoError(chan, "error writing", chan->outError);
    }
    return 0;
}

struct sc__chanx *
sc__chan_x(sc_chan *chan)
{
    struct sc__chanx *x = chan->x;

    if (x != NULL) {
	return x;
    }
    x = sc__calloc(1, sizeof(*x));
    if (x == NULL) {
	errno = ENOMEM;
	return NULL;
    }
    x->maxLine = SC__DEFAULT_MAXLINE;
    x->outLimit = SC__DEFAULT_OUTLIMIT;
    x->inCodec.kind = x->outCodec.kind = SC_ENC_UTF8;
    x->outCodec.output = 1;
    chan->x = x;
    return x;
}

size_t
sc__chan_maxline(const sc_chan *chan)
{
    return chan->x ? chan->x->maxLine : SC__DEFAULT_MAXLINE;
}

size_t
sc__chan_outlimit(const sc_chan *chan)
{
    return chan->x ? chan->x->outLimit : SC__DEFAULT_OUTLIMIT;
}

static int
EofIn(const sc_chan *chan)
{
    return chan->x ? chan->x->eofIn : 0;
}

static size_t
StashLen(const sc_chan *chan)
{
    return chan->x ? chan->x->stash.len : 0;
}

/* The top transform, or NULL on a plain channel. */
static struct sc__layer *
Top(const sc_chan *chan)
{
    return chan->x != NULL ? chan->x->top : NULL;
}

/* Output held inside the transforms. */
static size_t
Held(const sc_chan *chan)
{
    struct sc__layer *top = Top(chan);

    if (top == NULL || chan->inst == NULL) {
	return 0;
    }
    return top->ops->held(top->inst);
}

/* Queued output: the generic layer's and the transforms'. */
static size_t
OutBytes(const sc_chan *chan)
{
    return chan->out.bytes + Held(chan);
}

/*
 * CF_RAWIN and CF_RAWOUT from the channel's settings: the settled half of
 * RawInput and RawOutput, one flag test on the hot paths. Called wherever
 * an encoding, a translation or an eofchar changes.
 */
void
sc__chan_raw_update(sc_chan *chan)
{
    chan->flags &= ~(uint32_t) (CF_RAWIN | CF_RAWOUT);
    if (chan->encIn == SC_ENC_BINARY
	    && (chan->transIn == SC_TRANS_LF
		|| chan->transIn == SC_TRANS_BINARY)
	    && EofIn(chan) == 0) {
	chan->flags |= CF_RAWIN;
    }
    if ((chan->encOut == SC_ENC_BINARY || chan->encOut == SC_ENC_UTF8)
	    && chan->transOut != SC_TRANS_CR
	    && chan->transOut != SC_TRANS_CRLF) {
	chan->flags |= CF_RAWOUT;
    }
}

/* Input needs no conversion, and nothing is held back from the reader. */
static inline int
RawInput(const sc_chan *chan)
{
    return (chan->flags & (CF_RAWIN | CF_NEEDNL | CF_EOFCHAR)) == CF_RAWIN
	    && chan->pendLen == 0 && StashLen(chan) == 0;
}

int
sc__chan_raw_input(const sc_chan *chan)
{
    return RawInput(chan);
}

/* Output needs no conversion (UTF-8 is written as given). */
static inline int
RawOutput(const sc_chan *chan)
{
    return (chan->flags & CF_RAWOUT) != 0;
}

int
sc__chan_raw_output(const sc_chan *chan)
{
    return RawOutput(chan);
}

/*
 *----------------------------------------------------------------------
 *
 * Queues --
 *
 *	A queue never holds an empty buffer: a buffer goes back to the pool
 *	the moment its last byte is consumed.
 *
 *----------------------------------------------------------------------
 */

static void
QueueConsume(sc_loop *loop, struct sc__queue *q, size_t n)
{
    while (n > 0) {
	struct sc__buf *b = q->head;
	size_t avail = b->end - b->start;

	if (n < avail) {
	    b->start += (uint32_t) n;
	    q->bytes -= n;
	    return;
	}
	n -= avail;
	q->bytes -= avail;
	q->head = b->next;
	if (q->head == NULL) {
	    q->tail = NULL;
	}
	sc__buf_put(loop, b);
    }
}

static void
QueueDrop(sc_loop *loop, struct sc__queue *q)
{
    QueueConsume(loop, q, q->bytes);
}

/* Copy up to n bytes from the front of q without consuming them. */
static size_t
QueuePeek(const struct sc__queue *q, unsigned char *dst, size_t n)
{
    const struct sc__buf *b;
    size_t got = 0;

    for (b = q->head; b != NULL && got < n; b = b->next) {
	size_t avail = b->end - b->start, take = n - got;

	if (take > avail) {
	    take = avail;
	}
	memcpy(dst + got, b->data + b->start, take);
	got += take;
    }
    return got;
}

/* Append n bytes, filling the last buffer first. */
static int
QueueAppend(sc_chan *chan, struct sc__queue *q, const char *p, size_t n)
{
    while (n > 0) {
	struct sc__buf *b = q->tail;
	size_t room, take;

	if (b == NULL || b->end == b->cap) {
	    b = sc__buf_get(chan->loop, chan->bufSize);
	    if (b == NULL) {
		return -1;
	    }
	    if (q->tail) {
		q->tail->next = b;
	    } else {
		q->head = b;
	    }
	    q->tail = b;
	}
	room = b->cap - b->end;
	take = n < room ? n : room;
	memcpy(b->data + b->end, p, take);
	b->end += (uint32_t) take;
	q->bytes += take;
	p += take;
	n -= take;
    }
    return 0;
}

/* The driver's input and output, unless the channel failed to be
 * watched (sc__chan_watch_failed): then that error. */
static long
DriverInput(sc_chan *chan, char *buf, size_t n, int *errPtr)
{
    if (chan->watchErr != 0) {
	*errPtr = chan->watchErr;
	return -1;
    }
    return chan->type->input(chan->inst, buf, n, errPtr);
}

static long
DriverOutput(sc_chan *chan, const char *buf, size_t n, int *errPtr)
{
    if (chan->watchErr != 0) {
	*errPtr = chan->watchErr;
	return -1;
    }
    return chan->type->output(chan->inst, buf, n, errPtr);
}

/*
 *----------------------------------------------------------------------
 *
 * GetInput --
 *
 *	Reads once from the driver into the input queue.
 *
 * Results:
 *	The byte count (> 0), 0 at end of file (CF_INEOF is then set), or
 *	-1 with errno set (EAGAIN: nothing there on a nonblocking channel).
 *
 * Side effects:
 *	May take a buffer from the pool; gives it back if nothing came.
 *
 *----------------------------------------------------------------------
 */

static long
GetInput(sc_chan *chan)
{
    struct sc__queue *q = &chan->in;
    struct sc__buf *b = q->tail;
    int fresh = 0, err = 0;
    long n;

    if (chan->flags & (CF_INEOF | CF_EOFCHAR)) {
	return 0;
    }
    /* A fresh buffer when the tail has under a quarter of its room left,
     * and always when it is full (a tiny -buffersize): never read 0. */
    if (b == NULL || b->end == b->cap || b->cap - b->end < b->cap / 4) {
	b = sc__buf_get(chan->loop, chan->bufSize);
	if (b == NULL) {
	    return -1;
	}
	fresh = 1;
    }
    n = DriverInput(chan, b->data + b->end, b->cap - b->end, &err);
    if (n > 0) {
	if (fresh) {
	    if (q->tail) {
		q->tail->next = b;
	    } else {
		q->head = b;
	    }
	    q->tail = b;
	}
	b->end += (uint32_t) n;
	q->bytes += (size_t) n;
	chan->flags &= ~(uint32_t) CF_NEEDMORE;
	return n;
    }
    if (fresh) {
	sc__buf_put(chan->loop, b);
    }
    if (n == 0) {
	chan->flags |= CF_INEOF;
	return 0;
    }
    errno = err;
    return -1;
}

/*
 *----------------------------------------------------------------------
 *
 * TakeChar --
 *
 *	Decodes and consumes the next input character.
 *
 * Results:
 *	1 with the character (UTF-8, or the raw byte for binary) in ch and
 *	its length in *chLen; 0 when the queue holds no complete character.
 *
 *----------------------------------------------------------------------
 */

static int
TakeChar(sc_chan *chan, unsigned char ch[SC__MAXCHAR], size_t *chLen)
{
    unsigned char tmp[8];
    struct sc__codec native, *codec;

    if (chan->encIn == SC_ENC_ICONV) {
	codec = &chan->x->inCodec;
    } else {
	memset(&native, 0, sizeof(native));
	native.kind = chan->encIn;
	codec = &native;
    }
    for (;;) {
	const struct sc__buf *b = chan->in.head;
	const unsigned char *p;
	size_t n, used;
	int atEof;

	if (b == NULL) {
	    return 0;
	}
	p = (const unsigned char *) b->data + b->start;
	if (chan->encIn == SC_ENC_BINARY
		|| (p[0] < 0x80 && chan->encIn != SC_ENC_ICONV)) {
	    ch[0] = p[0];
	    *chLen = 1;
	    QueueConsume(chan->loop, &chan->in, 1);
	    return 1;
	}
	n = chan->in.bytes < sizeof(tmp) ? chan->in.bytes : sizeof(tmp);
	if (b->end - b->start < n) {
	    n = QueuePeek(&chan->in, tmp, n);
	    p = tmp;
	}
	atEof = (chan->flags & CF_INEOF) && n == chan->in.bytes;
	used = sc__decode_char(codec, p, n, atEof, ch, chLen);
	if (used == 0) {
	    return 0;
	}
	QueueConsume(chan->loop, &chan->in, used);
	if (*chLen > 0) {
	    return 1;
	}
	/* Bytes that make no character (an escape sequence of a stateful
	 * encoding): taken; on to the next. */
    }
}

/*
 * The input translation of one decoded character. Returns what to do:
 * emit it, emit a line end, skip it, or hold a \r (crlf) until the next
 * character says what it was.
 */
enum { CH_EMIT, CH_EOL, CH_SKIP, CH_HOLDCR };

static int
Translate(sc_chan *chan, const unsigned char *ch, size_t chLen)
{
    int sawCR = (chan->flags & CF_SAWCR) != 0;

    chan->flags &= ~CF_SAWCR;
    if (chLen != 1) {
	return CH_EMIT;
    }
    if (ch[0] == '\n') {
	/* As in Tcl: cr and crlf take a lone \n as data; auto eats the
	 * \n of a \r\n whose \r ended the line already. */
	if (chan->transIn == SC_TRANS_CR || chan->transIn == SC_TRANS_CRLF) {
	    return CH_EMIT;
	}
	if (sawCR && chan->transIn == SC_TRANS_AUTO) {
	    return CH_SKIP;
	}
	return CH_EOL;
    }
    if (ch[0] != '\r') {
	return CH_EMIT;
    }
    switch (chan->transIn) {
    case SC_TRANS_AUTO:
	/*
	 * A \n already here is eaten now, so that nothing is left over
	 * for a change of mode to misread; one still to come is eaten
	 * when it comes. (A byte check: iconv's encodings keep the flag.)
	 * A \n that is the -eofchar is the end of input, as Tcl finds it
	 * before translating: left for the caller to see.
	 */
	if (chan->in.head != NULL && chan->encIn != SC_ENC_ICONV
		&& EofIn(chan) != '\n'
		&& chan->in.head->data[chan->in.head->start] == '\n') {
	    QueueConsume(chan->loop, &chan->in, 1);
	} else {
	    chan->flags |= CF_SAWCR;
	}
	return CH_EOL;
    case SC_TRANS_CR:
	return CH_EOL;
    case SC_TRANS_CRLF:
	return CH_HOLDCR;
    default:
	return CH_EMIT;
    }
}

/*
 *----------------------------------------------------------------------
 *
 * CookLine --
 *
 *	Decodes and translates input into line until a line end, which is
 *	consumed but not stored.
 *
 * Results:
 *	COOK_LINE, COOK_MORE, COOK_EOFCHAR, COOK_TOOLONG, or -1 (no memory).
 *
 *----------------------------------------------------------------------
 */

static int
CookLine(sc_chan *chan, struct sc__str *line, size_t maxLine)
{
    unsigned char ch[SC__MAXCHAR];
    size_t chLen;
    int eofChar = EofIn(chan);

    for (;;) {
	if (line->len > maxLine) {
	    return COOK_TOOLONG;
	}
	if (!TakeChar(chan, ch, &chLen)) {
	    if ((chan->flags & CF_NEEDNL) && (chan->flags & CF_INEOF)) {
		/* A \r at the very end stays a \r. */
		chan->flags &= ~CF_NEEDNL;
		if (sc__str_append(line, "\r", 1) < 0) {
		    return -1;
		}
	    }
	    return COOK_MORE;
	}
	if (eofChar != 0 && chLen == 1 && ch[0] == eofChar) {
	    chan->flags |= CF_EOFCHAR;
	    if (chan->flags & CF_NEEDNL) {
		chan->flags &= ~(uint32_t) CF_NEEDNL;
		if (sc__str_append(line, "\r", 1) < 0) {
		    return -1;
		}
	    }
	    return COOK_EOFCHAR;
	}
	if (chan->flags & CF_NEEDNL) {
	    chan->flags &= ~CF_NEEDNL;
	    if (chLen == 1 && ch[0] == '\n') {
		return COOK_LINE;
	    }
	    if (sc__str_append(line, "\r", 1) < 0) {
		return -1;
	    }
	}
	switch (Translate(chan, ch, chLen)) {
	case CH_EOL:
	    return COOK_LINE;
	case CH_SKIP:
	    continue;
	case CH_HOLDCR:
	    chan->flags |= CF_NEEDNL;
	    continue;
	default:
	    if (sc__str_append(line, (const char *) ch, chLen) < 0) {
		return -1;
	    }
	}
    }
}

/* Output bytes of a read that did not fit: the tail of a character. */
static size_t
Emit(sc_chan *chan, char *dst, size_t room, const unsigned char *bytes,
	size_t n)
{
    size_t take = n < room ? n : room;

    memcpy(dst, bytes, take);
    if (take < n) {
	memcpy(chan->pend + chan->pendLen, bytes + take, n - take);
	chan->pendLen = (uint8_t) (chan->pendLen + n - take);
    }
    return take;
}

/*
 *----------------------------------------------------------------------
 *
 * CookRead --
 *
 *	Decodes and translates input into dst[0..room), line ends becoming
 *	\n. A character that does not fit whole is split: its tail waits in
 *	chan->pend for the next read.
 *
 * Results:
 *	The number of bytes stored; *status is COOK_FULL, COOK_MORE or
 *	COOK_EOFCHAR.
 *
 *----------------------------------------------------------------------
 */

static size_t
CookRead(sc_chan *chan, char *dst, size_t room, int *status)
{
    unsigned char ch[SC__MAXCHAR];
    size_t chLen, got = 0;
    int eofChar = EofIn(chan);

    if (RawInput(chan)) {
	/* Nothing to decode or translate: copy. */
	while (got < room && chan->in.head != NULL) {
	    struct sc__buf *b = chan->in.head;
	    size_t take = b->end - b->start;

	    if (take > room - got) {
		take = room - got;
	    }
	    memcpy(dst + got, b->data + b->start, take);
	    got += take;
	    QueueConsume(chan->loop, &chan->in, take);
	}
	*status = got == room ? COOK_FULL : COOK_MORE;
	return got;
    }

    while (got < room && chan->pendLen == 0) {
	if (!TakeChar(chan, ch, &chLen)) {
	    if ((chan->flags & CF_NEEDNL) && (chan->flags & CF_INEOF)) {
		chan->flags &= ~CF_NEEDNL;
		dst[got++] = '\r';
	    }
	    *status = COOK_MORE;
	    return got;
	}
	if (eofChar != 0 && chLen == 1 && ch[0] == eofChar) {
	    chan->flags |= CF_EOFCHAR;
	    if (chan->flags & CF_NEEDNL) {
		chan->flags &= ~(uint32_t) CF_NEEDNL;
		got += Emit(chan, dst + got, room - got,
			(const unsigned char *) "\r", 1);
	    }
	    *status = COOK_EOFCHAR;
	    return got;
	}
	if (chan->flags & CF_NEEDNL) {
	    chan->flags &= ~CF_NEEDNL;
	    if (chLen == 1 && ch[0] == '\n') {
		got += Emit(chan, dst + got, room - got,
			(const unsigned char *) "\n", 1);
		continue;
	    }
	    got += Emit(chan, dst + got, room - got,
		    (const unsigned char *) "\r", 1);
	}
	switch (Translate(chan, ch, chLen)) {
	case CH_EOL:
	    got += Emit(chan, dst + got, room - got,
		    (const unsigned char *) "\n", 1);
	    break;
	case CH_SKIP:
	    break;
	case CH_HOLDCR:
	    chan->flags |= CF_NEEDNL;
	    break;
	default:
	    got += Emit(chan, dst + got, room - got, ch, chLen);
	}
    }
    *status = COOK_FULL;
    return got;
}

/* Take the bytes of a split character left by the last read. */
static size_t
TakePend(sc_chan *chan, char *dst, size_t room)
{
    size_t take = chan->pendLen < room ? chan->pendLen : room;

    memcpy(dst, chan->pend, take);
    memmove(chan->pend, chan->pend + take, chan->pendLen - take);
    chan->pendLen = (uint8_t) (chan->pendLen - take);
    return take;
}

/*
 *----------------------------------------------------------------------
 *
 * sc_gets --
 *
 *	Reads one line (Tcl's gets). See sockchan.h.
 *
 *----------------------------------------------------------------------
 */

long
sc_gets(sc_chan *chan, char **linePtr, size_t *capPtr)
{
    struct sc__str line;
    long result;

    if (CheckRead(chan) < 0) {
	return SC_ERROR;
    }
    if (linePtr == NULL || capPtr == NULL) {
	return sc__chan_error(chan, EINVAL, "can't read a line: no buffer");
    }
    chan->flags &= ~(uint32_t) (CF_BLOCKED | CF_NEEDMORE);
    line.s = *linePtr;
    line.cap = line.s ? *capPtr : 0;
    line.len = 0;

    /* What an earlier read or gets left half-taken comes first. */
    if (chan->pendLen > 0) {
	char tmp[sizeof(chan->pend)];
	size_t n = TakePend(chan, tmp, sizeof(tmp));

	if (sc__str_append(&line, tmp, n) < 0) {
	    goto noMemory;
	}
    }
    if (StashLen(chan) > 0) {
	struct sc__str *stash = &chan->x->stash;

	if (sc__str_append(&line, stash->s, stash->len) < 0) {
	    goto noMemory;
	}
	sc__str_free(stash);
    }

    for (;;) {
	int status = (chan->flags & CF_EOFCHAR) ? COOK_EOFCHAR
		: CookLine(chan, &line, sc__chan_maxline(chan));

	if (status < 0) {
	    goto noMemory;
	}
	if (status == COOK_LINE) {
	    result = (long) line.len;
	    break;
	}
	if (status == COOK_TOOLONG) {
	    char nm[40];

	    sc__chan_error(chan, 0, "error reading \"%s\": line longer "
		    "than -maxline (%zu bytes)", Name(chan, nm, sizeof(nm)),
		    sc__chan_maxline(chan));
	    errno = EMSGSIZE;
	    result = SC_ERROR;
	    goto stash;
	}
	if (status == COOK_EOFCHAR
		|| (chan->flags & CF_INEOF && chan->in.bytes == 0)) {
	    /* End of file: a last line without its line end is a line. */
	    chan->flags |= CF_EOF;
	    result = line.len > 0 ? (long) line.len : SC_EOF;
	    break;
	}
	if (GetInput(chan) < 0) {
	    if (errno == EAGAIN || errno == EWOULDBLOCK) {
		/* What is buffered is no whole line: until more comes, a
		 * readable handler waits for the descriptor. */
		chan->flags |= CF_BLOCKED | CF_NEEDMORE;
		result = SC_BLOCKED;
	    } else {
		IoError(chan, "error reading", errno);
		result = SC_ERROR;
	    }
	    goto stash;
	}
    }
    goto done;

  stash:
    /* Keep the partial line for the next call. */
    if (line.len > 0) {
	struct sc__chanx *x = sc__chan_x(chan);

	if (x == NULL || sc__str_append(&x->stash, line.s, line.len) < 0) {
	    goto noMemory;
	}
	line.len = 0;
    }

  done:
    if (line.s == NULL && sc__str_append(&line, "", 0) < 0) {
	goto noMemory;
    }
    line.s[line.len] = '\0';
    *linePtr = line.s;
    *capPtr = line.cap;
    sc__chan_update(chan);
    return result;

  noMemory:
    *linePtr = line.s;
    *capPtr = line.cap;
    IoError(chan, "error reading", ENOMEM);
    return SC_ERROR;
}

/*
 *----------------------------------------------------------------------
 *
 * sc_read --
 *
 *	Reads up to n bytes. See sockchan.h.
 *
 *----------------------------------------------------------------------
 */

static long ReadDone(sc_chan *chan, long r, int err);
static long ReadChecked(sc_chan *chan, void *buf, size_t n);
static long ReadBuffered(sc_chan *chan, char *dst, size_t n);

/* The channel's state lets a read go straight to the layer below: open
 * for reading, no copy owns it, nonblocking, not at its end, and RawInput's
 * flags (tested here in the same word). */
#define FAST_READ_MASK (CF_READ | CF_COPY | CF_NONBLOCK | CF_RAWIN \
	| CF_NEEDNL | CF_EOFCHAR | CF_INEOF)
#define FAST_READ (CF_READ | CF_NONBLOCK | CF_RAWIN)

long
sc_read(sc_chan *chan, void *buf, size_t n)
{
    if (chan != NULL && buf != NULL
	    && (chan->flags & FAST_READ_MASK) == FAST_READ
	    && chan->in.bytes == 0 && chan->pendLen == 0
	    && n >= chan->bufSize && chan->watchErr == 0
	    && StashLen(chan) == 0) {
	/* The fast path: open for reading and no copy owns it,
	 * nonblocking, raw bytes, nothing buffered, and room for at least
	 * a buffer's worth: one read from the layer below (the socket, or
	 * the top transform) straight into the caller's buffer; nothing is
	 * copied or queued. What ReadBuffered would do, in fewer steps. */
	int err = 0;
	long r;

	chan->flags &= ~(uint32_t) (CF_BLOCKED | CF_NEEDMORE | CF_FULLREAD);
	r = chan->type->input(chan->inst, buf, n, &err);
	if (r > 0 && chan->timer == 0 && chan->watchErr == 0) {
	    /* Nothing was buffered before and nothing is now: the watch
	     * and the (absent) timer stay as they are. A full buffer says
	     * more may wait below (see Deliver). */
	    if ((size_t) r == n) {
		chan->flags |= CF_FULLREAD;
	    }
	    return r;
	}
	return ReadDone(chan, r, err);
    }
    return ReadChecked(chan, buf, n);
}

/* The fast path's read r (err: its errno) when it brought no bytes, or
 * bytes while a timer or a watch error is pending: the channel's state
 * follows it (sc__chan_update). */
static SC__NOINLINE long
ReadDone(sc_chan *chan, long r, int err)
{
    long result;

    if (r > 0) {
	result = r;
    } else if (r == 0) {
	chan->flags |= CF_INEOF | CF_EOF;
	result = SC_EOF;
    } else if (err == EAGAIN || err == EWOULDBLOCK) {
	chan->flags |= CF_BLOCKED | CF_NEEDMORE;
	result = SC_BLOCKED;
    } else {
	IoError(chan, "error reading", err);
	result = SC_ERROR;
    }
    sc__chan_update(chan);
    return result;
}

/* sc_read when the fast path does not apply: the checks, then the rest. */
static SC__NOINLINE long
ReadChecked(sc_chan *chan, void *buf, size_t n)
{
    if (CheckRead(chan) < 0) {
	return SC_ERROR;
    }
    if (buf == NULL && n > 0) {
	return sc__chan_error(chan, EINVAL, "can't read: no buffer");
    }
    chan->flags &= ~(uint32_t) (CF_BLOCKED | CF_NEEDMORE | CF_FULLREAD);
    return ReadBuffered(chan, buf, n);
}

/*
 * sc_read's other path: bytes buffered, converted, or read in a blocking
 * call. Apart from sc_read (not inlined, as the helpers above), so that
 * the fast path's call stays short: it saves none of the registers this
 * path needs.
 */
static SC__NOINLINE long
ReadBuffered(sc_chan *chan, char *dst, size_t n)
{
    size_t got = 0;
    long result;

    got += TakePend(chan, dst, n);
    if (StashLen(chan) > 0 && got < n) {
	struct sc__str *stash = &chan->x->stash;
	size_t take = stash->len < n - got ? stash->len : n - got;

	memcpy(dst + got, stash->s, take);
	memmove(stash->s, stash->s + take, stash->len - take);
	stash->len -= take;
	got += take;
	if (stash->len == 0) {
	    sc__str_free(stash);
	}
    }

    for (;;) {
	int status = COOK_MORE;

	if (got < n && !(chan->flags & CF_EOFCHAR)) {
	    got += CookRead(chan, dst + got, n - got, &status);
	}
	if (got == n) {
	    break;
	}
	if (chan->flags & CF_EOFCHAR
		|| (chan->flags & CF_INEOF && chan->in.bytes == 0)) {
	    break;
	}
	if ((chan->flags & CF_NONBLOCK) && got > 0) {
	    break;		/* What there is, now. */
	}
	if (chan->in.bytes == 0 && n - got >= chan->bufSize
		&& RawInput(chan)) {
	    /* A large read of raw bytes goes straight to the caller. */
	    int err = 0;
	    long r = DriverInput(chan, dst + got, n - got, &err);

	    if (r > 0) {
		got += (size_t) r;
		continue;
	    }
	    if (r == 0) {
		chan->flags |= CF_INEOF;
		continue;
	    }
	    errno = err;
	} else if (GetInput(chan) >= 0) {
	    continue;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
	    if (got > 0) {
		break;
	    }
	    chan->flags |= CF_BLOCKED | CF_NEEDMORE;
	    sc__chan_update(chan);
	    return SC_BLOCKED;
	}
	IoError(chan, "error reading", errno);
	sc__chan_update(chan);
	return got > 0 ? (long) got : SC_ERROR;
    }
    if (got < n && (chan->flags & (CF_INEOF | CF_EOFCHAR))
	    && (chan->in.bytes == 0 || (chan->flags & CF_EOFCHAR))) {
	/* This read met the end of file. */
	chan->flags |= CF_EOF;
    }
    result = (got == 0 && n > 0) ? SC_EOF : (long) got;
    sc__chan_update(chan);
    return result;
}

long
sc_read_all(sc_chan *chan, char **dataPtr)
{
    struct sc__str all = {NULL, 0, 0};
    char chunk[4096];

    if (dataPtr == NULL) {
	return CheckRead(chan) < 0 ? SC_ERROR
		: sc__chan_error(chan, EINVAL, "can't read: no buffer");
    }
    *dataPtr = NULL;
    for (;;) {
	long n = sc_read(chan, chunk, sizeof(chunk));

	if (n > 0) {
	    if (sc__str_append(&all, chunk, (size_t) n) < 0) {
		sc__str_free(&all);
		return IoError(chan, "error reading", ENOMEM);
	    }
	    continue;
	}
	if (n == SC_EOF || (n == SC_BLOCKED && all.len > 0)) {
	    break;
	}
	sc__str_free(&all);
	return n;		/* SC_BLOCKED with nothing, or SC_ERROR. */
    }
    if (all.s == NULL && sc__str_append(&all, "", 0) < 0) {
	return IoError(chan, "error reading", ENOMEM);
    }
    *dataPtr = all.s;
    return (long) all.len;
}

/*
 *----------------------------------------------------------------------
 *
 * Output --
 *
 *----------------------------------------------------------------------
 */

static int
EmitOut(void *clientData, const unsigned char *bytes, size_t n)
{
    sc_chan *chan = clientData;

    return QueueAppend(chan, &chan->out, (const char *) bytes, n);
}

/* Encode text (already translated) onto the output queue. */
static int
Encode(sc_chan *chan, const char *p, size_t n, int flush)
{
    if (chan->encOut == SC_ENC_BINARY || chan->encOut == SC_ENC_UTF8) {
	return QueueAppend(chan, &chan->out, p, n);
    }
    return sc__encode(&chan->x->outCodec, (const unsigned char *) p, n,
	    flush, EmitOut, chan);
}

int
sc__chan_flush_encoder(sc_chan *chan)
{
    if (chan->encOut == SC_ENC_BINARY || chan->encOut == SC_ENC_UTF8) {
	return 0;
    }
    return Encode(chan, "", 0, 1);
}

/* Translate line ends, encode, and queue n bytes of the program's text. */
static int
Produce(sc_chan *chan, const char *p, size_t n)
{
    const char *eol;

    if (chan->transOut != SC_TRANS_CR && chan->transOut != SC_TRANS_CRLF) {
	return Encode(chan, p, n, 0);
    }
    eol = chan->transOut == SC_TRANS_CR ? "\r" : "\r\n";
    while (n > 0) {
	const char *nl = memchr(p, '\n', n);
	size_t seg = nl ? (size_t) (nl - p) : n;

	if (Encode(chan, p, seg, 0) < 0) {
	    return -1;
	}
	if (nl == NULL) {
	    break;
	}
	if (Encode(chan, eol, strlen(eol), 0) < 0) {
	    return -1;
	}
	p += seg + 1;
	n -= seg + 1;
    }
    return 0;
}

/*
 *----------------------------------------------------------------------
 *
 * Flush --
 *
 *	Hands queued output to the driver: all of it on a blocking channel,
 *	what the descriptor takes now on a nonblocking one.
 *
 * Results:
 *	0, or -1 with the errno in chan->outError (the queue is dropped, as
 *	Tcl does: nothing more can be written).
 *
 *----------------------------------------------------------------------
 */

static int
Flush(sc_chan *chan)
{
    while (chan->out.head != NULL) {
	struct sc__buf *b = chan->out.head;
	int err = 0;
	long n = DriverOutput(chan, b->data + b->start, b->end - b->start,
		&err);

	if (n > 0) {
	    QueueConsume(chan->loop, &chan->out, (size_t) n);
	    continue;
	}
	if (n == 0 || err == EAGAIN || err == EWOULDBLOCK) {
	    break;
	}
	chan->outError = err;
	QueueDrop(chan->loop, &chan->out);
	return -1;
    }
    if (chan->out.head == NULL && Held(chan) > 0) {
	struct sc__layer *top = Top(chan);
	int err = top->ops->drain(top->inst);

	if (err != 0 && err != EAGAIN && err != EWOULDBLOCK) {
	    chan->outError = err;
	    return -1;
	}
    }
    return 0;
}

int
sc__chan_flush(sc_chan *chan)
{
    int r = Flush(chan);

    sc__chan_update(chan);
    return r;
}

/* After queuing: flush as -buffering says. */
static int
MaybeFlush(sc_chan *chan, const char *p, size_t n)
{
    if (chan->buffering == SC_BUFFER_NONE
	    || OutBytes(chan) >= chan->bufSize
	    || (chan->buffering == SC_BUFFER_LINE && memchr(p, '\n', n))) {
	if (Flush(chan) < 0) {
	    return IoError(chan, "error writing", chan->outError);
	}
    }
    return 0;
}

static long WriteDone(sc_chan *chan, const char *p, size_t n, long r,
	int err);
static long WriteChecked(sc_chan *chan, const char *p, size_t n);
static long Queue(sc_chan *chan, const char *p, size_t n, size_t accepted);

/* Open for writing, and no copy owns the channel. */
#define FAST_WRITE_MASK (CF_WRITE | CF_COPY)
#define FAST_WRITE CF_WRITE

/* n bytes may go from the caller's buffer to the layer below: nothing
 * queued before them, nothing to convert, and no buffering to fill. */
static inline int
WritesThrough(const sc_chan *chan, size_t n)
{
    return chan->out.bytes == 0 && RawOutput(chan)
	    && (chan->buffering == SC_BUFFER_NONE || n >= chan->bufSize);
}

long
sc_write(sc_chan *chan, const void *buf, size_t n)
{
    if (chan != NULL && buf != NULL && n > 0
	    && (chan->flags & FAST_WRITE_MASK) == FAST_WRITE
	    && chan->outError == 0 && chan->watchErr == 0
	    && Top(chan) == NULL && WritesThrough(chan, n)) {
	/* The fast path: open for writing and no copy owns it, nothing to
	 * convert, nothing queued, no transform: one write from the
	 * caller's buffer to the descriptor. If it takes everything, the
	 * channel's watch and timer stay as they were. */
	int err = 0;
	long r = chan->type->output(chan->inst, buf, n, &err);

	chan->flags &= ~(uint32_t) CF_BLOCKED;
	if (r > 0 && (size_t) r == n) {
	    return r;
	}
	return WriteDone(chan, buf, n, r, err);
    }
    return WriteChecked(chan, buf, n);
}

/*
 * Write from the caller's buffer while the layer below takes it (more: try
 * at all), from accepted on; queue only the rest (Queue).
 */
static long
WriteDirect(sc_chan *chan, const char *p, size_t n, size_t accepted,
	int more)
{
    if (more && WritesThrough(chan, n)) {
	while (accepted < n) {
	    int err = 0;
	    long r = DriverOutput(chan, p + accepted, n - accepted, &err);

	    if (r > 0) {
		accepted += (size_t) r;
		continue;
	    }
	    if (r == 0 || err == EAGAIN || err == EWOULDBLOCK) {
		break;
	    }
	    chan->outError = err;
	    return IoError(chan, "error writing", err);
	}
	if (accepted == n && chan->out.bytes == 0 && Top(chan) == NULL) {
	    /* All of it went to the socket: no queue, no transform holding
	     * any, so the channel's watch and timer stay as they were. */
	    return (long) n;
	}
    }
    return Queue(chan, p, n, accepted);
}

/* The fast path's write took r of the n bytes (-1: it failed with err). */
static SC__NOINLINE long
WriteDone(sc_chan *chan, const char *p, size_t n, long r, int err)
{
    if (r < 0 && err != EAGAIN && err != EWOULDBLOCK) {
	chan->outError = err;
	return IoError(chan, "error writing", err);
    }
    /* Bytes taken: the next write may take more. None: the rest waits. */
    return WriteDirect(chan, p, n, r > 0 ? (size_t) r : 0, r > 0);
}

/* sc_write when the fast path does not apply: the checks, then the rest. */
static SC__NOINLINE long
WriteChecked(sc_chan *chan, const char *p, size_t n)
{
    if (CheckWrite(chan) < 0) {
	return SC_ERROR;
    }
    if (p == NULL && n > 0) {
	return sc__chan_error(chan, EINVAL, "can't write: no buffer");
    }
    chan->flags &= ~CF_BLOCKED;
    return WriteDirect(chan, p, n, 0, 1);
}

/*
 * sc_write's other path: bytes from accepted on into the output queue, as
 * much as the limit lets a nonblocking channel take, converted on the
 * way, then flushed as -buffering says. Apart from sc_write (not inlined)
 * for the reason ReadBuffered is.
 */
static SC__NOINLINE long
Queue(sc_chan *chan, const char *p, size_t n, size_t accepted)
{
    size_t limit;
    int nonblocking;

    nonblocking = (chan->flags & CF_NONBLOCK) != 0;
    limit = sc__chan_outlimit(chan);
    while (accepted < n) {
	size_t piece = n - accepted;

	if (nonblocking && !RawOutput(chan) && piece > 4096) {
	    /* Translation or encoding may grow the bytes: take small
	     * pieces, so that the queue passes the limit by one at most. */
	    piece = 4096;
	}
	if (nonblocking) {
	    size_t queued = OutBytes(chan);

	    if (queued >= limit) {
		break;
	    }
	    if (piece > limit - queued) {
		piece = limit - queued;
	    }
	}
	if (Produce(chan, p + accepted, piece) < 0) {
	    return IoError(chan, "error writing", ENOMEM);
	}
	if (MaybeFlush(chan, p + accepted, piece) < 0) {
	    return SC_ERROR;
	}
	accepted += piece;
    }
    if (accepted < n) {
	chan->flags |= CF_BLOCKED;
    }
    sc__chan_update(chan);
    return accepted == 0 && n > 0 ? SC_BLOCKED : (long) accepted;
}

/* Write s (and a newline) all or nothing. */
static int
PutsAll(sc_chan *chan, const char *s, int newline)
{
    size_t n;

    if (CheckWrite(chan) < 0) {
	return SC_ERROR;
    }
    if (s == NULL) {
	return sc__chan_error(chan, EINVAL, "can't write: no string");
    }
    chan->flags &= ~CF_BLOCKED;
    if ((chan->flags & CF_NONBLOCK)
	    && OutBytes(chan) >= sc__chan_outlimit(chan)) {
	/* Full: the writer waits for a writable event. The queue can pass
	 * the limit by one call's text, never more. */
	chan->flags |= CF_BLOCKED;
	sc__chan_update(chan);
	return SC_BLOCKED;
    }
    n = strlen(s);
    if (Produce(chan, s, n) < 0 || (newline && Produce(chan, "\n", 1) < 0)) {
	return IoError(chan, "error writing", ENOMEM);
    }
    if (MaybeFlush(chan, newline ? "\n" : s, newline ? 1 : n) < 0) {
	return SC_ERROR;
    }
    sc__chan_update(chan);
    return 0;
}

int
sc_puts(sc_chan *chan, const char *s)
{
    return PutsAll(chan, s, 1);
}

int
sc_puts_nonewline(sc_chan *chan, const char *s)
{
    return PutsAll(chan, s, 0);
}

int
sc_printf(sc_chan *chan, const char *fmt, ...)
{
    struct sc__str str = {NULL, 0, 0};
    va_list ap;
    char small[256];
    int n, r;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
	return CheckWrite(chan) < 0 ? SC_ERROR
		: sc__chan_error(chan, EINVAL, "can't format output");
    }
    if ((size_t) n < sizeof(small)) {
	return PutsAll(chan, small, 0);
    }
    if (sc__str_append(&str, "", 0) < 0
	    || sc__str_appendf(&str, "%*s", n, "") < 0) {
	sc__str_free(&str);
	return CheckWrite(chan) < 0 ? SC_ERROR
		: IoError(chan, "error writing", ENOMEM);
    }
    va_start(ap, fmt);
    vsnprintf(str.s, (size_t) n + 1, fmt, ap);
    va_end(ap);
    r = PutsAll(chan, str.s, 0);
    sc__str_free(&str);
    return r;
}

int
sc_flush(sc_chan *chan)
{
    if (CheckWrite(chan) < 0) {
	return SC_ERROR;
    }
    if (Flush(chan) < 0) {
	return IoError(chan, "error flushing", chan->outError);
    }
    sc__chan_update(chan);
    return 0;
}

/*
 *----------------------------------------------------------------------
 *
 * Queries --
 *
 *----------------------------------------------------------------------
 */

int
sc_eof(const sc_chan *chan)
{
    return chan != NULL && (chan->flags & CF_EOF) != 0;
}

int
sc_blocked(const sc_chan *chan)
{
    return chan != NULL && (chan->flags & CF_BLOCKED) != 0;
}

size_t
sc_pending(const sc_chan *chan, int direction)
{
    if (chan == NULL) {
	return 0;
    }
    if (direction == SC_READABLE) {
	return chan->in.bytes + chan->pendLen + StashLen(chan);
    }
    if (direction == SC_WRITABLE) {
	return OutBytes(chan);
    }
    return 0;
}

const char *
sc_chan_name(const sc_chan *chan)
{
    sc_chan *c = (sc_chan *) (uintptr_t) chan;	/* The name is cached. */
    struct sc__chanx *x;

    if (chan == NULL) {
	return "";
    }
    x = sc__chan_x(c);
    if (x == NULL) {
	return "?";
    }
    if (x->name[0] == '\0') {
	chan->type->name(chan->inst, x->name, sizeof(x->name));
    }
    return x->name;
}

sc_loop *
sc_chan_loop(const sc_chan *chan)
{
    return chan ? chan->loop : NULL;
}

int
sc_chan_fd(const sc_chan *chan, int direction)
{
    if (chan == NULL || chan->inst == NULL) {
	return -1;
    }
    return chan->type->handle(chan->inst, direction);
}

/*
 *----------------------------------------------------------------------
 *
 * Events --
 *
 *----------------------------------------------------------------------
 */

/* Input the program has not taken yet, or an end of file to report. */
static int
InputReady(const sc_chan *chan)
{
    if (!(chan->flags & CF_READ)) {
	return 0;
    }
    if (chan->flags & (CF_INEOF | CF_EOFCHAR)) {
	return 1;
    }
    if (chan->flags & CF_NEEDMORE) {
	return 0;		/* Only a partial line or character. */
    }
    return chan->in.bytes > 0 || chan->pendLen > 0 || StashLen(chan) > 0;
}

/* The events the channel waits for: its handlers', and writable while
 * output is queued. */
static int
Wanted(const sc_chan *chan)
{
    int output = OutBytes(chan) > 0 || chan->writeProc != NULL;

    return (chan->readProc != NULL ? SC_READABLE : 0)
	    | (output ? SC_WRITABLE : 0);
}

/* Buffered input to report, or a failed watch: the handlers run from
 * here instead of from the descriptor. */
static void
InputTimer(void *clientData)
{
    sc_chan *chan = clientData;

    chan->timer = 0;
    sc__chan_preserve(chan);
    Deliver(chan, chan->watchErr != 0 ? Wanted(chan) : SC_READABLE);
    sc__chan_release(chan);
}

/* Have the driver watch for what the channel wants now; if the loop
 * can't, the channel fails. */
static void
ApplyWatch(void *clientData)
{
    sc_chan *chan = clientData;
    int err;

    chan->flags &= ~CF_WATCHQ;
    if (chan->inst == NULL || chan->watchErr != 0
	    || chan->watch == chan->watched) {
	return;
    }
    err = chan->type->watch(chan->inst, chan->watch);
    if (err != 0) {
	sc__chan_watch_failed(chan, err);
	return;
    }
    chan->watched = chan->watch;
}

/*
 * Watch for mask. Inside a callback the change waits for the loop's next
 * wait: a handler that writes and flushes, or stops reading and starts
 * again, costs the loop nothing.
 */
static void
Watch(sc_chan *chan, int mask)
{
    chan->watch = (uint8_t) mask;
    if ((chan->flags & CF_WATCHQ) || chan->watchErr != 0
	    || mask == chan->watched) {
	return;
    }
    if (sc__loop_defer(chan->loop, ApplyWatch, chan) == 0) {
	chan->flags |= CF_WATCHQ;
	return;
    }
    ApplyWatch(chan);
}

/* Drop a put-off change (the channel closes, or is freed). */
static void
Unwatch(sc_chan *chan)
{
    if (chan->flags & CF_WATCHQ) {
	sc__loop_undefer(chan->loop, ApplyWatch, chan);
    }
    chan->watch = 0;
    ApplyWatch(chan);
}

void
sc__chan_watch_failed(sc_chan *chan, int err)
{
    if (chan->watchErr == 0) {
	chan->watchErr = (uint8_t) (err > 0 && err < 256 ? err : EIO);
    }
    if (chan->watched != 0) {
	(void) chan->type->watch(chan->inst, 0);
	chan->watched = 0;
    }
    if (chan->timer == 0) {
	chan->timer = sc_create_timer(chan->loop, 0, InputTimer, chan);
    }
}

/*
 *----------------------------------------------------------------------
 *
 * sc__chan_update --
 *
 *	Brings the driver's watch and the input timer in line with the
 *	channel's state: watch the descriptor for reading when a readable
 *	handler waits and nothing is buffered; fire the handler from a
 *	timer while input is buffered (Tcl's channel timer); watch for
 *	writing while output is queued or a writable handler waits.
 *
 *----------------------------------------------------------------------
 */

void
sc__chan_update(sc_chan *chan)
{
    int want, ready;

    if (chan->inst == NULL) {
	return;			/* The driver is closed already. */
    }
    ready = InputReady(chan);
    want = Wanted(chan);
    /* Buffered input is reported from the timer, not the descriptor. */
    Watch(chan, ready ? want & ~SC_READABLE : want);
    if ((chan->readProc != NULL && ready)
	    || (chan->watchErr != 0 && want != 0)) {
	if (chan->timer == 0) {
	    chan->timer = sc_create_timer(chan->loop, 0, InputTimer, chan);
	}
    } else if (chan->timer != 0) {
	sc_delete_timer(chan->loop, chan->timer);
	chan->timer = 0;
    }
}

/*
 *----------------------------------------------------------------------
 *
 * sc__chan_notify --
 *
 *	Called by a driver (or the input timer) when events in mask are
 *	ready: finishes background flushes and closes, then calls the
 *	program's handlers. A handler may close the channel: the structure
 *	lives until the outermost notify returns.
 *
 *----------------------------------------------------------------------
 */

void
sc__chan_preserve(sc_chan *chan)
{
    chan->nest++;
}

void
sc__chan_release(sc_chan *chan)
{
    chan->nest--;
    if ((chan->flags & CF_CLOSED) && chan->nest == 0 && chan->inst == NULL) {
	FreeChan(chan);
    }
}

/* Pass events from layer up through the transforms above it, then to
 * the generic layer. */
static void
NotifyUp(sc_chan *chan, struct sc__layer *layer, int mask)
{
    sc__chan_preserve(chan);
    for (; layer != NULL && mask != 0 && chan->inst != NULL;
	    layer = layer->up) {
	mask = layer->ops->event(layer->inst, mask);
    }
    if (mask != 0) {
	Deliver(chan, mask);
    }
    sc__chan_release(chan);
}

void
sc__chan_notify(sc_chan *chan, int mask)
{
    struct sc__layer *bottom = Top(chan);

    if (bottom == NULL) {
	Deliver(chan, mask);
	return;
    }
    while (bottom->down != NULL) {
	bottom = bottom->down;
    }
    NotifyUp(chan, bottom, mask);
}

void
sc__layer_notify(struct sc__layer *layer, int mask)
{
    NotifyUp(layer->below.chan, layer->up, mask);
}

/* End writing below the generic layer: the driver's, or the top
 * transform's (which ends its own output first). EAGAIN: not yet. */
static int
CloseWrite(sc_chan *chan)
{
    int err = chan->type->close(chan->inst, SC_WRITABLE);

    if (err == EAGAIN) {
	chan->flags |= CF_SHUTWR;
	return 0;
    }
    return err;
}

static void
Deliver(sc_chan *chan, int mask)
{
    chan->nest++;
    if (mask & SC_WRITABLE) {
	if (OutBytes(chan) > 0) {
	    (void) Flush(chan);	/* An error waits in outError. */
	}
	if (chan->inst != NULL && (chan->flags & CF_SHUTWR)
		&& chan->out.bytes == 0 && !chan->outError) {
	    chan->flags &= ~CF_SHUTWR;
	    (void) CloseWrite(chan);
	    if (OutBytes(chan) > 0) {
		(void) Flush(chan);
	    }
	}
	if (chan->inst != NULL && (chan->flags & CF_BGCLOSE)
		&& (chan->outError || (OutBytes(chan) == 0
		    && !(chan->flags & CF_SHUTWR)))) {
	    FinishClose(chan);	/* All sent, or nothing more can be. */
	}
	if (chan->writeProc != NULL && !(chan->flags & CF_CLOSED)
		&& OutBytes(chan) < sc__chan_outlimit(chan)) {
	    chan->writeProc(chan->writeData, SC_WRITABLE);
	}
    }
    if ((mask & SC_READABLE) && chan->readProc != NULL
	    && !(chan->flags & CF_CLOSED)) {
	int rounds = 0;

	/*
	 * A handler whose read filled its buffer straight from the socket
	 * is called again at once (up to MAX_READS times): more is likely
	 * waiting, and the loop's wait and dispatch are saved. The read
	 * that finds nothing more says SC_BLOCKED, as any read may.
	 */
	do {
	    chan->flags &= ~CF_FULLREAD;
	    chan->readProc(chan->readData, SC_READABLE);
	} while ((chan->flags & (CF_FULLREAD | CF_CLOSED)) == CF_FULLREAD
		&& chan->readProc != NULL && ++rounds < MAX_READS);
	chan->flags &= ~CF_FULLREAD;
    }
    chan->nest--;
    if (chan->flags & CF_CLOSED) {
	if (chan->nest == 0 && chan->inst == NULL) {
	    FreeChan(chan);
	}
	return;
    }
    sc__chan_update(chan);
}

int
sc_chan_event(sc_chan *chan, int event, sc_file_proc *proc,
	void *clientData)
{
    if (chan == NULL) {
	errno = EINVAL;
	return -1;
    }
    if (chan->flags & CF_COPY) {
	return Busy(chan);
    }
    if (event == SC_READABLE) {
	if (!(chan->flags & CF_READ)) {
	    return NotOpenFor(chan, "reading");
	}
	chan->readProc = proc;
	chan->readData = clientData;
    } else if (event == SC_WRITABLE) {
	if (!(chan->flags & CF_WRITE)) {
	    return NotOpenFor(chan, "writing");
	}
	chan->writeProc = proc;
	chan->writeData = clientData;
    } else {
	return sc__chan_error(chan, 0, "bad event %d: should be "
		"SC_READABLE or SC_WRITABLE", event);
    }
    sc__chan_update(chan);
    return 0;
}

/*
 *----------------------------------------------------------------------
 *
 * Creation and close --
 *
 *----------------------------------------------------------------------
 */

sc_chan *
sc__chan_new(sc_loop *loop, const struct sc__chan_type *type,
	size_t instSize, int mode)
{
    enum { OFFSET = (sizeof(sc_chan) + SC__INST_ALIGN - 1)
	    & ~(size_t) (SC__INST_ALIGN - 1) };
    sc_chan *chan = sc__calloc(1, OFFSET + instSize);

    if (chan == NULL) {
	errno = ENOMEM;
	return NULL;
    }
    chan->loop = loop;
    chan->type = type;
    chan->inst = (char *) chan + OFFSET;
    chan->flags = (uint32_t) (mode & (CF_READ | CF_WRITE));
    chan->bufSize = SC__DEFAULT_BUFSIZE;
    chan->transIn = SC_TRANS_AUTO;
    chan->transOut = type->autoOut;
    chan->encIn = chan->encOut = SC_ENC_UTF8;
    chan->buffering = SC_BUFFER_FULL;
    sc__chan_raw_update(chan);
    return chan;
}

static void
FreeChan(sc_chan *chan)
{
    struct sc__chanx *x = chan->x;

    if (chan->flags & CF_WATCHQ) {
	sc__loop_undefer(chan->loop, ApplyWatch, chan);
    }
    QueueDrop(chan->loop, &chan->in);
    QueueDrop(chan->loop, &chan->out);
    if (x != NULL) {
	sc__codec_free(&x->inCodec);
	sc__codec_free(&x->outCodec);
	sc__str_free(&x->stash);
	sc__free(x);
    }
    sc__free(chan);
}

/* Close the driver; free the channel unless a callback is on the stack. */
static void
FinishClose(sc_chan *chan)
{
    if (chan->timer != 0) {
	sc_delete_timer(chan->loop, chan->timer);
	chan->timer = 0;
    }
    Unwatch(chan);
    while (Top(chan) != NULL) {
	struct sc__layer *top = chan->x->top;

	/* Each transform closes, then the layer below it, which no
	 * longer watches for it. */
	(void) top->type->close(top->inst, 0);
	(void) top->below.type->watch(top->below.inst, 0);
	chan->type = top->below.type;
	chan->inst = top->below.inst;
	chan->x->top = top->down;
	QueueDrop(chan->loop, &top->below.in);
	QueueDrop(chan->loop, &top->below.out);
	sc__free(top);
    }
    (void) chan->type->close(chan->inst, 0);
    chan->inst = NULL;
    chan->flags &= ~CF_BGCLOSE;
    if (chan->nest == 0) {
	FreeChan(chan);
    }
}

/* Queue the output eofchar and whatever an encoder holds back. */
static int
EndOutput(sc_chan *chan)
{
    struct sc__chanx *x = chan->x;

    if (x != NULL && x->eofOut != 0) {
	char c = (char) x->eofOut;

	if (Produce(chan, &c, 1) < 0) {
	    return -1;
	}
    }
    return sc__chan_flush_encoder(chan);
}

int
sc_close(sc_chan *chan)
{
    int result = 0;

    if (chan == NULL) {
	errno = EINVAL;
	return -1;
    }
    if (chan->flags & CF_CLOSED) {
	return 0;
    }
    if (chan->flags & CF_COPY) {
	sc__copy_abort(chan);
    }
    chan->readProc = chan->writeProc = NULL;
    if ((chan->flags & (CF_WRITE | CF_SHUTWR)) && !chan->outError) {
	/* Open for writing, or half-closed with output still queued. */
	if ((chan->flags & CF_WRITE) && EndOutput(chan) < 0) {
	    result = IoError(chan, "error flushing", ENOMEM);
	}
	if (!(chan->flags & CF_NONBLOCK)) {
	    if (Flush(chan) < 0) {
		result = IoError(chan, "error flushing", chan->outError);
	    }
	} else {
	    (void) Flush(chan);
	}
    }
    if (Top(chan) != NULL && (chan->flags & CF_WRITE) && !chan->outError
	    && !chan->watchErr) {
	/* A transform ends its output (TLS: close_notify) after all the
	 * queued bytes, then the write side below closes. */
	if (chan->out.bytes == 0) {
	    (void) CloseWrite(chan);
	} else {
	    chan->flags |= CF_SHUTWR;
	}
	if (!(chan->flags & CF_NONBLOCK) && Flush(chan) < 0 && result == 0) {
	    result = IoError(chan, "error flushing", chan->outError);
	}
    }
    chan->flags |= CF_CLOSED;
    chan->flags &= ~(uint32_t) (CF_READ | CF_WRITE);
    QueueDrop(chan->loop, &chan->in);
    if ((OutBytes(chan) > 0
		|| (Top(chan) != NULL && (chan->flags & CF_SHUTWR)))
	    && !chan->outError && !chan->watchErr
	    && (chan->flags & CF_NONBLOCK)) {
	/* The rest goes out in the background, then the driver closes. */
	chan->flags |= CF_BGCLOSE;
	if (chan->timer != 0) {
	    sc_delete_timer(chan->loop, chan->timer);
	    chan->timer = 0;
	}
	Watch(chan, SC_WRITABLE);
	return result;
    }
    FinishClose(chan);
    return result;
}

int
sc_close_half(sc_chan *chan, int direction)
{
    int err;

    if (chan == NULL) {
	errno = EINVAL;
	return -1;
    }
    if (direction != SC_READABLE && direction != SC_WRITABLE) {
	return sc__chan_error(chan, 0, "bad direction %d: should be "
		"SC_READABLE or SC_WRITABLE", direction);
    }
    if (chan->flags & CF_COPY) {
	return Busy(chan);
    }
    if (!(chan->flags & direction)) {
	return sc__chan_error(chan, 0, "Half-close of %s-side not possible, "
		"side not opened or already closed",
		direction == SC_READABLE ? "read" : "write");
    }
    if ((chan->flags & (CF_READ | CF_WRITE)) == (uint32_t) direction) {
	/* The last open side: this is a whole close. */
	return sc_close(chan);
    }
    if (direction == SC_READABLE) {
	chan->flags &= ~(uint32_t) CF_READ;
	chan->readProc = NULL;
	QueueDrop(chan->loop, &chan->in);
	chan->pendLen = 0;
	if (chan->x) {
	    sc__str_free(&chan->x->stash);
	}
	err = chan->type->close(chan->inst, SC_READABLE);
	sc__chan_update(chan);
	return err ? IoError(chan, "error closing", err) : 0;
    }

    chan->flags &= ~(uint32_t) CF_WRITE;
    chan->writeProc = NULL;
    if (!chan->outError && EndOutput(chan) < 0) {
	return IoError(chan, "error closing", ENOMEM);
    }
    if (!chan->outError && Flush(chan) < 0) {
	return IoError(chan, "error flushing", chan->outError);
    }
    if (chan->out.bytes > 0) {
	/* Everything queued goes before the end of file. */
	chan->flags |= CF_SHUTWR;
	sc__chan_update(chan);
	return 0;
    }
    err = CloseWrite(chan);
    sc__chan_update(chan);
    return err ? IoError(chan, "error closing", err) : 0;
}

size_t
sc__chan_take_raw(sc_chan *chan, char *buf, size_t n)
{
    int status;

    return CookRead(chan, buf, n, &status);
}

/*
 *----------------------------------------------------------------------
 *
 * Stacked transforms --
 *
 *	Tcl_StackChannel's model: a transform sits between the generic
 *	layer and what was the top (the driver, or another transform). The
 *	generic layer goes on calling chan->type, now the transform's; the
 *	transform calls down through its struct sc__below. Events from the
 *	driver pass up through every transform (sc__chan_notify); a
 *	transform's own events start above it (sc__layer_notify). A plain
 *	channel pays nothing: the stack hangs off the rare-state block.
 *
 *----------------------------------------------------------------------
 */

struct sc__layer *
sc__chan_layer(const sc_chan *chan, const struct sc__chan_type *type)
{
    struct sc__layer *l;

    for (l = Top(chan); l != NULL; l = l->down) {
	if (l->type == type) {
	    return l;
	}
    }
    return NULL;
}

/*
 *----------------------------------------------------------------------
 *
 * sc__chan_push --
 *
 *	Pushes a transform of type onto chan. Input the channel has read
 *	but the program has not consumed belongs to the stream below the
 *	transform: it is handed down (the transform reads it first).
 *	Output queued before the push goes out below the transform, before
 *	any byte the transform makes.
 *
 * Results:
 *	0, or -1 with an error left on the loop (nothing changed): the
 *	channel is closed or busy, or a partial character or line was
 *	already decoded from the input (it can't be handed back down).
 *
 * Side effects:
 *	The transform's instance is made by create.
 *
 *----------------------------------------------------------------------
 */

int
sc__chan_push(sc_chan *chan, const struct sc__chan_type *type,
	const struct sc__transform_ops *ops, sc__transform_create *create,
	void *clientData)
{
    struct sc__chanx *x;
    struct sc__layer *layer;
    char nm[40];
    void *inst;
    int err;

    if (chan == NULL || type == NULL || ops == NULL || create == NULL) {
	errno = EINVAL;
	return -1;
    }
    if (chan->flags & CF_COPY) {
	return Busy(chan);
    }
    if ((chan->flags & CF_CLOSED) || chan->inst == NULL) {
	return sc__chan_error(chan, EBADF, "can't push a transform");
    }
    if (chan->pendLen > 0 || StashLen(chan) > 0
	    || (chan->flags & (CF_NEEDNL | CF_SAWCR))) {
	return sc__chan_error(chan, 0, "can't push a transform on channel "
		"\"%s\": part of a line or character was read",
		Name(chan, nm, sizeof(nm)));
    }
    x = sc__chan_x(chan);
    layer = x != NULL ? sc__calloc(1, sizeof(*layer)) : NULL;
    if (layer == NULL) {
	return sc__chan_error(chan, ENOMEM, "can't push a transform");
    }
    layer->type = type;
    layer->ops = ops;
    layer->down = x->top;
    layer->below.chan = chan;
    layer->below.type = chan->type;
    layer->below.ops = x->top != NULL ? x->top->ops : NULL;
    layer->below.inst = chan->inst;
    layer->below.in = chan->in;
    layer->below.out = chan->out;
    memset(&chan->in, 0, sizeof(chan->in));
    memset(&chan->out, 0, sizeof(chan->out));
    inst = create(clientData, layer);
    if (inst == NULL) {
	chan->in = layer->below.in;
	chan->out = layer->below.out;
	sc__free(layer);
	return -1;
    }
    layer->inst = inst;
    if (layer->down != NULL) {
	layer->down->up = layer;
    }
    x->top = layer;
    chan->type = type;
    chan->inst = inst;
    chan->flags &= ~(uint32_t) (CF_INEOF | CF_EOF | CF_NEEDMORE);
    /* The transform decides what to ask of the layer below now. */
    err = type->watch(inst, chan->watched);
    if (err != 0) {
	sc__chan_watch_failed(chan, err);
    }
    sc__chan_update(chan);
    return 0;
}

/*
 *----------------------------------------------------------------------
 *
 * sc_chan_pop --
 *
 *	Takes the top transform off chan: its output is flushed first
 *	(a nonblocking channel that can't flush it now fails), then it
 *	closes (TLS: sends close_notify). Bytes it had read from below but
 *	not yet turned into input are lost.
 *
 *----------------------------------------------------------------------
 */

int
sc_chan_pop(sc_chan *chan)
{
    struct sc__layer *top;
    char nm[40];
    int err;

    if (chan == NULL) {
	errno = EINVAL;
	return -1;
    }
    if (chan->flags & CF_COPY) {
	return Busy(chan);
    }
    top = (chan->flags & CF_CLOSED) ? NULL : Top(chan);
    if (top == NULL) {
	return sc__chan_error(chan, 0, "no transform to pop on channel "
		"\"%s\"", Name(chan, nm, sizeof(nm)));
    }
    if (Flush(chan) < 0) {
	return IoError(chan, "error flushing", chan->outError);
    }
    if (OutBytes(chan) > 0) {
	return sc__chan_error(chan, EAGAIN, "can't pop the transform on "
		"channel \"%s\": output is still queued",
		Name(chan, nm, sizeof(nm)));
    }
    if (chan->flags & CF_WATCHQ) {
	sc__loop_undefer(chan->loop, ApplyWatch, chan);
	chan->flags &= ~CF_WATCHQ;
    }
    (void) top->type->watch(top->inst, 0);
    (void) top->type->close(top->inst, 0);
    (void) top->below.type->watch(top->below.inst, 0);
    chan->type = top->below.type;
    chan->inst = top->below.inst;
    chan->x->top = top->down;
    if (top->down != NULL) {
	top->down->up = NULL;
    }
    /* What the transform never read is input of the plain stream. */
    while (top->below.in.head != NULL) {
	struct sc__buf *b = top->below.in.head;

	(void) QueueAppend(chan, &chan->in, b->data + b->start,
		b->end - b->start);
	QueueConsume(chan->loop, &top->below.in, b->end - b->start);
    }
    chan->out = top->below.out;
    sc__free(top);
    err = chan->type->watch(chan->inst, chan->watched);
    if (err != 0) {
	sc__chan_watch_failed(chan, err);
    }
    sc__chan_update(chan);
    return 0;
}

/* Write the handed-down output below. 0, EAGAIN or an errno value. */
static int
BelowFlush(struct sc__below *below)
{
    while (below->out.head != NULL) {
	struct sc__buf *b = below->out.head;
	int err = 0;
	long n = below->type->output(below->inst, b->data + b->start,
		b->end - b->start, &err);

	if (n > 0) {
	    QueueConsume(below->chan->loop, &below->out, (size_t) n);
	    continue;
	}
	return n == 0 || err == EWOULDBLOCK ? EAGAIN : err;
    }
    return 0;
}

long
sc__below_input(struct sc__below *below, char *buf, size_t n, int *errPtr)
{
    if (below->in.bytes > 0) {
	size_t got = QueuePeek(&below->in, (unsigned char *) buf, n);

	QueueConsume(below->chan->loop, &below->in, got);
	return (long) got;
    }
    if (below->chan->watchErr != 0) {
	*errPtr = below->chan->watchErr;
	return -1;
    }
    return below->type->input(below->inst, buf, n, errPtr);
}

long
sc__below_output(struct sc__below *below, const char *buf, size_t n,
	int *errPtr)
{
    int err = BelowFlush(below);

    if (err != 0) {
	*errPtr = err;
	return -1;
    }
    if (below->chan->watchErr != 0) {
	*errPtr = below->chan->watchErr;
	return -1;
    }
    return below->type->output(below->inst, buf, n, errPtr);
}

int
sc__below_drain(struct sc__below *below)
{
    int err = BelowFlush(below);

    if (err == 0 && below->ops != NULL) {
	err = below->ops->drain(below->inst);
    }
    return err;
}

size_t
sc__below_held(struct sc__below *below)
{
    return below->out.bytes
	    + (below->ops != NULL ? below->ops->held(below->inst) : 0);
}

int
sc__below_close(struct sc__below *below, int direction)
{
    if (direction == SC_WRITABLE) {
	int err = sc__below_drain(below);

	if (err != 0) {
	    return err;
	}
    }
    return below->type->close(below->inst, direction);
}

int
sc__below_watch(struct sc__below *below, int mask)
{
    if (below->out.bytes > 0) {
	mask |= SC_WRITABLE;
    }
    return below->type->watch(below->inst, mask);
}

int
sc__below_blockmode(struct sc__below *below, int blocking)
{
    return below->type->blockMode(below->inst, blocking);
}

int
sc__below_handle(struct sc__below *below, int direction)
{
    return below->type->handle(below->inst, direction);
}

int
sc__below_get(struct sc__below *below, const char *name,
	struct sc__str *out)
{
    if (below->type->getOption == NULL) {
	return 1;
    }
    return below->type->getOption(below->inst, name, out);
}

int
sc__below_set(struct sc__below *below, const char *name, const char *value)
{
    if (below->type->setOption == NULL) {
	return 1;
    }
    return below->type->setOption(below->inst, name, value);
}

void
sc__below_name(struct sc__below *below, char *buf, size_t size)
{
    below->type->name(below->inst, buf, size);
}

int
sc__below_ready(const struct sc__below *below)
{
    return below->in.bytes > 0;
}

int
sc__below_blocking(const struct sc__below *below)
{
    return !(below->chan->flags & CF_NONBLOCK);
}

void
sc__chan_option_names(const sc_chan *chan, char *buf, size_t size)
{
    const struct sc__layer *l;
    const struct sc__chan_type *driver = chan->type;
    size_t len = 0;

    buf[0] = '\0';
    for (l = Top(chan); l != NULL && chan->inst != NULL; l = l->down) {
	if (l->type->optionNames != NULL && l->type->optionNames[0]) {
	    len += (size_t) snprintf(buf + len, size - len, "%s%s",
		    len ? " " : "", l->type->optionNames);
	    if (len >= size) {
		return;
	    }
	}
	driver = l->below.type;
    }
    if (driver->optionNames != NULL && driver->optionNames[0]) {
	snprintf(buf + len, size - len, "%s%s", len ? " " : "",
		driver->optionNames);
    }
}
