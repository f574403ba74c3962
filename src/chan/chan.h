/*
 * chan.h --
 *
 *	The generic I/O layer's insides (Tcl's tclIO.c for C), shared by
 *	chan.c, options.c, copy.c and the drivers. A driver (a table of
 *	operations, struct sc__chan_type) only moves bytes and answers its
 *	own options; buffering, translation, encodings, events, close and
 *	copy are written once, here. Not installed.
 */

#ifndef SC_CHAN_CHAN_H
#define SC_CHAN_CHAN_H

#include "sockchan.h"
#include "chan/encoding.h"

#include <stddef.h>
#include <stdint.h>

/*
 * A growable string (for option values and partial lines).
 */
struct sc__str {
    char *s;
    size_t len, cap;
};

int sc__str_append(struct sc__str *str, const char *bytes, size_t n);
int sc__str_appendf(struct sc__str *str, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Append one Tcl list element, braced when it needs to be. */
int sc__str_element(struct sc__str *str, const char *element);
void sc__str_free(struct sc__str *str);
/*
 * Finish an option value: if r is 0, append value to out, as a list
 * element or as it is; free value either way. Returns r, or -1.
 */
int sc__str_put_value(struct sc__str *out, struct sc__str *value,
	int asElement, int r);

/* Tcl_GetBoolean's words: 0, 1, and prefixes of true/false/yes/no/on/off.
 * Returns 0 and *value, or -1. */
int sc__parse_boolean(const char *s, int *value);

/*
 * Split a Tcl list (whitespace separated, braces group) into at most max
 * elements, copied into elems[i] (each at most size bytes). Returns the
 * number of elements, or -1 when the list is malformed or has more.
 */
int sc__list_split(const char *list, char elems[][64], int max);

/*
 * The driver interface.
 */
struct sc__chan_type {
    const char *typeName;	/* "file", "tcp", "unix". */
    /*
     * Move bytes. Return the count (input: 0 is end of file), or -1 with
     * *errPtr set; EAGAIN means it would block.
     */
    long (*input)(void *inst, char *buf, size_t n, int *errPtr);
    long (*output)(void *inst, const char *buf, size_t n, int *errPtr);
    /*
     * Close both directions (direction 0: free the instance too) or one
     * (SC_READABLE, SC_WRITABLE). Returns 0 or an errno value.
     */
    int (*close)(void *inst, int direction);
    /* Watch for the events in mask and call sc__chan_notify. Returns 0,
     * or an errno value when the loop can't watch (the channel fails). */
    int (*watch)(void *inst, int mask);
    /* Set the descriptor's blocking mode. Returns 0 or an errno value. */
    int (*blockMode)(void *inst, int blocking);
    /* The descriptor for a direction, or -1. */
    int (*handle)(void *inst, int direction);
    /*
     * The driver's options. get: one (name) or all (name NULL, appended
     * as "-name value" pairs); set: one. Both return 0; -1 with an error
     * left on the loop; or 1 for "not an option of mine".
     */
    int (*getOption)(void *inst, const char *name, struct sc__str *out);
    int (*setOption)(void *inst, const char *name, const char *value);
    /* The driver's option names for Tcl's "should be one of" message,
     * e.g. "-connecting -peername -sockname", or "". */
    const char *optionNames;
    /* Write the channel's name into buf (like snprintf). */
    void (*name)(void *inst, char *buf, size_t size);
    /* What output "auto" means: SC_TRANS_LF, or SC_TRANS_CRLF for
     * sockets (Tcl: "for sockets on all platforms Tcl chooses crlf"). */
    int autoOut;
};

/*
 * A transform is a struct sc__chan_type (input, output, close, watch, ...
 * as a driver's) plus these. It sits between the generic layer and the
 * layer below it (struct sc__below), as in Tcl_StackChannel; the generic
 * layer calls the top layer's operations only, and each transform calls
 * down itself.
 *
 * event: events in mask came from below; returns the events to pass up
 * (0: consumed, e.g. handshake progress). held: bytes of output held
 * inside, not yet handed below (they count as queued output for flush,
 * close, half-close and the output limit). drain: hand them below; 0
 * when none is left, EAGAIN, or an errno value. A transform's
 * close(SC_WRITABLE) ends its own output (e.g. TLS's close_notify) and,
 * once that is below, closes the layer below's writing; EAGAIN means
 * "not yet: call again when nothing is held". Its close(0) frees the
 * transform only: the generic layer closes the layers below.
 */
struct sc__transform_ops {
    int (*event)(void *inst, int mask);
    size_t (*held)(void *inst);
    int (*drain)(void *inst);
};


/*
 * Buffers: a header and the bytes. Data is data[start..end).
 */
struct sc__buf {
    struct sc__buf *next;
    uint32_t start, end, cap;
    char data[];
};

struct sc__queue {
    struct sc__buf *head, *tail;
    size_t bytes;
};

/*
 * What lies below a transform: the next layer's operations and instance,
 * plus what the generic layer handed down when the transform was pushed
 * (input already read from the stream below, output queued before the
 * push). Transforms call down through the sc__below_ functions only.
 */
struct sc__below {
    sc_chan *chan;
    const struct sc__chan_type *type;
    const struct sc__transform_ops *ops;	/* NULL: the driver. */
    void *inst;
    struct sc__queue in;	/* Input read before the push. */
    struct sc__queue out;	/* Output queued before the push. */
};

/* One transform on a channel's stack. */
struct sc__layer {
    struct sc__layer *up, *down;	/* Toward the top, the driver. */
    const struct sc__chan_type *type;
    const struct sc__transform_ops *ops;
    void *inst;
    struct sc__below below;
};

/*
 * A transform's pushing function gives its type and a creation function
 * that makes its instance over below (a pointer that stays valid while
 * the transform is on the stack). create returns the instance, or NULL
 * with an error left on the loop.
 */
typedef void *(sc__transform_create)(void *clientData,
	struct sc__layer *layer);
int sc__chan_push(sc_chan *chan, const struct sc__chan_type *type,
	const struct sc__transform_ops *ops, sc__transform_create *create,
	void *clientData);
/* The layer of type on chan's stack, or NULL. */
struct sc__layer *sc__chan_layer(const sc_chan *chan,
	const struct sc__chan_type *type);
/* A transform reports events in mask of its own making (buffered
 * plaintext, a failed handshake): they go up from above layer. */
void sc__layer_notify(struct sc__layer *layer, int mask);
/* The layer below's operations, handed-down bytes first. */
long sc__below_input(struct sc__below *below, char *buf, size_t n,
	int *errPtr);
long sc__below_output(struct sc__below *below, const char *buf, size_t n,
	int *errPtr);
int sc__below_close(struct sc__below *below, int direction);
int sc__below_watch(struct sc__below *below, int mask);
int sc__below_blockmode(struct sc__below *below, int blocking);
int sc__below_handle(struct sc__below *below, int direction);
int sc__below_get(struct sc__below *below, const char *name,
	struct sc__str *out);
int sc__below_set(struct sc__below *below, const char *name,
	const char *value);
void sc__below_name(struct sc__below *below, char *buf, size_t size);
/* True while handed-down input waits (a transform must report it: no
 * event will come from below for it). */
int sc__below_ready(const struct sc__below *below);
/* Write output held below (handed down, or inside lower transforms):
 * 0 when none is left, EAGAIN, or an errno value. */
int sc__below_drain(struct sc__below *below);
/* Output held below (handed down, or inside lower transforms). */
size_t sc__below_held(struct sc__below *below);
/* True when the channel is blocking. */
int sc__below_blocking(const struct sc__below *below);
/* All option names of the layers from chan's top down, for "should be
 * one of". */
void sc__chan_option_names(const sc_chan *chan, char *buf, size_t size);

/* Buffers come from, and go back to, a pool kept by the loop. */
struct sc__buf *sc__buf_get(sc_loop *loop, size_t cap);
void sc__buf_put(sc_loop *loop, struct sc__buf *buf);

/* Flag bits of a channel (the direction bits are SC_READABLE/WRITABLE). */
enum {
    CF_READ = SC_READABLE,	/* Open for reading (user side). */
    CF_WRITE = SC_WRITABLE,	/* Open for writing (user side). */
    CF_NONBLOCK = 1 << 4,
    CF_INEOF = 1 << 5,		/* The driver said end of file. */
    CF_EOF = 1 << 6,		/* An operation met end of file (sc_eof). */
    CF_BLOCKED = 1 << 7,	/* The last operation would have blocked. */
    CF_SAWCR = 1 << 8,		/* auto: a \r was a line end; eat a \n. */
    CF_EOFCHAR = 1 << 9,	/* The input eofchar was seen. */
    CF_CLOSED = 1 << 10,	/* sc_close was called: the handle is dead. */
    CF_BGCLOSE = 1 << 11,	/* Closed, flushing in the background. */
    CF_SHUTWR = 1 << 12,	/* Half-close of writing once flushed. */
    CF_COPY = 1 << 13,		/* A background copy owns the channel. */
    CF_NEEDNL = 1 << 14,	/* crlf: a \r was taken; is a \n next? */
    CF_NEEDMORE = 1 << 15,	/* Buffered input is no whole line or
				 * character: wait for the descriptor. */
    CF_WATCHQ = 1 << 16,	/* A change of watch is put off (the loop
				 * makes it before it waits). */
    CF_FULLREAD = 1 << 17,	/* The last read filled the caller's buffer
				 * straight from the layer below: more may
				 * be waiting there. */
    CF_RAWIN = 1 << 18,		/* Input's settings convert nothing (binary,
				 * lf or binary translation, no eofchar):
				 * RawInput's settled half, which
				 * sc__chan_raw_update keeps. */
    CF_RAWOUT = 1 << 19		/* The same for output (RawOutput). */
};

/*
 * Rarely used state, allocated on first need: an idle channel with
 * default options has none.
 */
struct sc__chanx {
    char name[32];		/* Filled by sc_chan_name. */
    struct sc__encinfo enc;	/* When an iconv encoding is set. */
    struct sc__codec inCodec, outCodec;
    struct sc__str stash;	/* A partial line from a blocked gets. */
    size_t maxLine, outLimit;
    int eofIn, eofOut;		/* 0: none. */
    struct sc__copy *copy;	/* The copy this channel belongs to. */
    struct sc__layer *top;	/* Pushed transforms, or NULL. */
};

struct sc_chan {
    sc_loop *loop;
    const struct sc__chan_type *type;
    void *inst;			/* The driver's instance. */
    struct sc__queue in;	/* Raw bytes from the driver. */
    struct sc__queue out;	/* Encoded bytes for the driver. */
    sc_file_proc *readProc, *writeProc;
    void *readData, *writeData;
    struct sc__chanx *x;
    sc_timer timer;		/* Fires handlers for buffered input. */
    uint32_t flags;
    uint32_t bufSize;
    int outError;		/* An errno from a background flush. */
    uint8_t transIn, transOut;	/* SC_TRANS_* */
    uint8_t encIn, encOut;	/* enum sc__enc_kind */
    uint8_t buffering;		/* SC_BUFFER_* */
    uint8_t watched;		/* The mask the driver watches. */
    uint8_t watch;		/* The mask it should watch. */
    uint8_t nest;		/* Depth of our own callbacks on the stack. */
    uint8_t pendLen;
    unsigned char pend[7];	/* The tail of a character a read split. */
    uint8_t watchErr;		/* The loop could not watch: errno, or 0. */
};

#define SC__DEFAULT_BUFSIZE 4096
#define SC__MAX_BUFSIZE (1024 * 1024)
#define SC__DEFAULT_MAXLINE (1024 * 1024)
#define SC__DEFAULT_OUTLIMIT (1024 * 1024)

/*
 * Make a channel (mode: SC_READABLE|WRITABLE) with room for the driver's
 * instance of instSize bytes, zeroed, at chan->inst: one allocation a
 * connection. The instance lives as long as the channel structure (the
 * driver's close does not free it) and is aligned for pointers and
 * 64-bit integers, no more (SC__INST_ALIGN).
 */
#define SC__INST_ALIGN 8
sc_chan *sc__chan_new(sc_loop *loop, const struct sc__chan_type *type,
	size_t instSize, int mode);
/* Keep chan's structure alive across a callback that may close it
 * (Tcl_Preserve); release frees it if it was closed meanwhile. */
void sc__chan_preserve(sc_chan *chan);
void sc__chan_release(sc_chan *chan);
/* The driver's report that events in mask are ready. */
void sc__chan_notify(sc_chan *chan, int mask);
/* The rare-state block, allocated if needed (NULL on ENOMEM). */
struct sc__chanx *sc__chan_x(sc_chan *chan);
/* Error helpers: leave "error reading "NAME": text" and the like. */
int sc__chan_error(sc_chan *chan, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The loop could not watch the channel's descriptor (epoll_ctl: ENOMEM,
 * ENOSPC), so no event would ever come: the channel fails instead. Its
 * handlers run from a timer, and reads and writes give the error. For a
 * driver that applies a watch later than asked (a socket once connected). */
void sc__chan_watch_failed(sc_chan *chan, int err);
/* Re-evaluate what to watch and whether the input timer must run. While
 * the loop dispatches, a change of watch waits until it next waits. */
void sc__chan_update(sc_chan *chan);
/* Flush queued output; blocking as the channel is. 0 or -1 (error set). */
int sc__chan_flush(sc_chan *chan);
size_t sc__chan_maxline(const sc_chan *chan);
size_t sc__chan_outlimit(const sc_chan *chan);
/* Set the input/output encoding from a resolved name. */
int sc__chan_set_encoding(sc_chan *chan, const struct sc__encinfo *info);
/* Queue what the output encoder holds back (a split character). */
int sc__chan_flush_encoder(sc_chan *chan);
/* True when input needs no decoding or translation at all. */
int sc__chan_raw_input(const sc_chan *chan);
int sc__chan_raw_output(const sc_chan *chan);
void sc__chan_raw_update(sc_chan *chan);	/* After a setting changed. */
/* Take up to n bytes of buffered input, decoded (for copy). */
size_t sc__chan_take_raw(sc_chan *chan, char *buf, size_t n);
/* End the copy chan belongs to, because chan is being closed. */
void sc__copy_abort(sc_chan *chan);

#endif /* SC_CHAN_CHAN_H */
