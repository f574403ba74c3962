/*
 * echo.c --
 *
 *	The echo service of sockchan serve echo and sockchan listen --echo:
 *	everything a client sends comes back, until it closes.
 *
 *	Memory is bounded twice. Per connection, no more than the output
 *	limit is ever queued: a connection is read only while its queue has
 *	room, and only as much as fits, so a write always takes all it is
 *	given and no bytes wait in a buffer of ours. Per server, once the
 *	bytes queued for all connections reach the budget, a connection that
 *	has output queued is not read at all until its queue empties
 *	(backpressure on the clients that do not read); a connection whose
 *	queue is empty may still read, at most READ_OVER bytes at a time, so
 *	clients that keep reading are never held up by the ones that don't.
 *
 *	An idle connection costs the channel and a small record (no buffer:
 *	one read buffer serves the whole server).
 */

#include "cli.h"

#include <stdlib.h>

#define READ_MAX 65536		/* The most one read takes. */
#define READ_OVER 4096		/* The same, past the budget. */
#define ROUNDS 4		/* Reads per event, for fairness. */

struct cli_echo {
    size_t limit, budget;	/* Per connection, and in all. */
    size_t queued;		/* Output queued, as last counted. */
    size_t live;		/* Connections. */
    void (*onClose)(void *clientData);
    void *clientData;
    char buf[READ_MAX];
};

struct conn {
    sc_chan *chan;
    cli_echo *echo;
    size_t counted;		/* Our share of echo->queued. */
    int eof;			/* The client ended: close once sent. */
    int reading;		/* The readable handler is set (and no
				 * writable one): nothing to change. */
};

static void ConnEvent(void *clientData, int mask);

/* Bring the count of what conn has queued up to date. */
static void
Count(struct conn *c)
{
    size_t now = sc_pending(c->chan, SC_WRITABLE);

    c->echo->queued = c->echo->queued - c->counted + now;
    c->counted = now;
}

static void
ConnClose(struct conn *c)
{
    cli_echo *e = c->echo;

    Count(c);
    e->queued -= c->counted;
    e->live--;
    sc_close(c->chan);		/* Anything left goes in the background. */
    free(c);
    if (e->onClose != NULL) {
	e->onClose(e->clientData);
    }
}

/* Wait for room in conn's queue, reading nothing meanwhile. */
static void
WaitForRoom(struct conn *c)
{
    c->reading = 0;
    sc_chan_event(c->chan, SC_READABLE, NULL, NULL);
    sc_chan_event(c->chan, SC_WRITABLE, ConnEvent, c);
}

static void
ConnEvent(void *clientData, int mask)
{
    struct conn *c = clientData;
    cli_echo *e = c->echo;
    int round;

    (void) mask;
    if (c->counted > 0) {
	Count(c);		/* Some went out since (with none counted,
				 * none was queued: nothing to learn). */
    }
    if (c->eof) {
	if (c->counted == 0) {
	    ConnClose(c);
	}
	return;
    }
    for (round = 0; round < ROUNDS; round++) {
	size_t room = c->counted < e->limit ? e->limit - c->counted : 0;
	long n;

	if (e->queued >= e->budget) {
	    if (c->counted > 0) {
		room = 0;
	    } else if (room > READ_OVER) {
		room = READ_OVER;
	    }
	}
	if (room == 0) {
	    WaitForRoom(c);
	    return;
	}
	if (room > READ_MAX) {
	    room = READ_MAX;
	}
	n = sc_read(c->chan, e->buf, room);
	if (n == SC_BLOCKED) {
	    break;
	}
	if (n <= 0) {
	    /* End of file (or a failed read, reported as one): close once
	     * everything read has gone back. */
	    c->eof = 1;
	    c->reading = 0;
	    sc_chan_event(c->chan, SC_READABLE, NULL, NULL);
	    if (c->counted == 0) {
		ConnClose(c);
	    } else {
		sc_chan_event(c->chan, SC_WRITABLE, ConnEvent, c);
	    }
	    return;
	}
	if (sc_write(c->chan, e->buf, (size_t) n) != n) {
	    ConnClose(c);	/* The client is gone (or reset). */
	    return;
	}
	Count(c);
	if ((size_t) n < room) {
	    break;		/* The socket is empty: no read for EAGAIN. */
	}
    }
    if (!c->reading) {
	c->reading = 1;
	sc_chan_event(c->chan, SC_WRITABLE, NULL, NULL);
	sc_chan_event(c->chan, SC_READABLE, ConnEvent, c);
    }
}

/*
 *----------------------------------------------------------------------
 *
 * cli_echo_new --
 *
 *	An echo service with at most limit bytes queued per connection and
 *	budget bytes in all. onClose(clientData) is called after each
 *	connection ends (may be NULL).
 *
 * Results:
 *	The service (exits on lack of memory).
 *
 *----------------------------------------------------------------------
 */

cli_echo *
cli_echo_new(size_t limit, size_t budget, void (*onClose)(void *),
	void *clientData)
{
    cli_echo *e = calloc(1, sizeof(*e));

    if (e == NULL) {
	cli_die(EXIT_NET, "out of memory");
    }
    e->limit = limit;
    e->budget = budget;
    e->onClose = onClose;
    e->clientData = clientData;
    return e;
}

/*
 *----------------------------------------------------------------------
 *
 * cli_echo_start --
 *
 *	Serves one connection, which the service owns from now on.
 *
 *----------------------------------------------------------------------
 */

void
cli_echo_start(cli_echo *e, sc_chan *chan)
{
    struct conn *c;

    /* Unbuffered: each write goes straight to the socket from our
     * buffer, and only what the socket does not take is queued. */
    if (sc_chan_configure(chan, "-translation", "binary") < 0
	    || sc_chan_configure(chan, "-blocking", "0") < 0
	    || sc_chan_configure(chan, "-buffering", "none") < 0
	    /* A limit above the channel's own (1 MiB) must be its too; one
	     * below needs nothing (a write never passes our room), and
	     * costs the channel an allocation. */
	    || (e->limit > (1u << 20)
		&& sc_chan_set_outputlimit(chan, e->limit) < 0)
	    || (c = calloc(1, sizeof(*c))) == NULL) {
	sc_close(chan);
	return;
    }
    c->chan = chan;
    c->echo = e;
    e->live++;
    ConnEvent(c, SC_READABLE);
}

size_t
cli_echo_live(const cli_echo *e)
{
    return e->live;
}

size_t
cli_echo_queued(const cli_echo *e)
{
    return e->queued;
}
