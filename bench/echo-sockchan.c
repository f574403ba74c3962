/*
 * echo-sockchan.c --
 *
 *	The benchmark's sockchan server, written as a user of the library
 *	would write it: a server channel, a readable handler, sc_read and
 *	sc_write on a binary, nonblocking, unbuffered channel. Backpressure: while more
 *	than LIMIT bytes are queued for a client, stop reading it, and
 *	start again from a writable event once the queue is below.
 *
 *	Usage: echo-sockchan echo|splice|line PORT
 *	  echo    echo every byte back
 *	  splice  echo with sc_chan_copy from the channel to itself (the
 *	          bytes move with splice(2) and never enter user space)
 *	  line    the time server: one line, then close
 */

#include <sockchan.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIMIT (64 * 1024)

static char buf[64 * 1024];	/* One loop, one thread: shared. */

static void Readable(void *clientData, int mask);

/* Output went out: read again once the queue is below the limit. */
static void
Writable(void *clientData, int mask)
{
    sc_chan *chan = clientData;

    (void) mask;
    if (sc_pending(chan, SC_WRITABLE) <= LIMIT) {
	sc_chan_event(chan, SC_WRITABLE, NULL, NULL);
	sc_chan_event(chan, SC_READABLE, Readable, chan);
    }
}

static void
Readable(void *clientData, int mask)
{
    sc_chan *chan = clientData;
    long n = sc_read(chan, buf, sizeof(buf));

    (void) mask;
    if (n == SC_BLOCKED) {
	return;
    }
    if (n < 0) {			/* End of file, or an error. */
	sc_close(chan);
	return;
    }
    if (sc_write(chan, buf, (size_t) n) != n) {
	sc_close(chan);			/* Cannot happen below -outputlimit. */
	return;
    }
    if (sc_pending(chan, SC_WRITABLE) > LIMIT) {
	sc_chan_event(chan, SC_READABLE, NULL, NULL);
	sc_chan_event(chan, SC_WRITABLE, Writable, chan);
    }
}

static void
CopyDone(void *clientData, long long bytes, const char *errmsg)
{
    (void) bytes;
    (void) errmsg;
    sc_close(clientData);
}

static void
AcceptEcho(void *clientData, sc_chan *chan, const char *addr, int port)
{
    (void) clientData;
    (void) addr;
    (void) port;
    sc_chan_configure(chan, "-translation", "binary");
    sc_chan_configure(chan, "-blocking", "0");
    /* Unbuffered: a write goes straight to the socket from buf; only
     * what the socket does not take is queued (no sc_flush needed). */
    sc_chan_configure(chan, "-buffering", "none");
    sc_chan_event(chan, SC_READABLE, Readable, chan);
}

static void
AcceptSplice(void *clientData, sc_chan *chan, const char *addr, int port)
{
    (void) clientData;
    (void) addr;
    (void) port;
    sc_chan_configure(chan, "-translation", "binary");
    sc_chan_configure(chan, "-blocking", "0");
    if (sc_chan_copy(chan, chan, -1, CopyDone, chan) < 0) {
	sc_close(chan);
    }
}

static void
AcceptLine(void *clientData, sc_chan *chan, const char *addr, int port)
{
    (void) clientData;
    (void) addr;
    (void) port;
    sc_puts(chan, "Thu Nov 21 12:00:00 UTC 2024");
    sc_close(chan);
}

int
main(int argc, char **argv)
{
    sc_accept_proc *proc;
    sc_loop *loop;

    if (argc != 3) {
	fprintf(stderr, "usage: echo-sockchan echo|splice|line PORT\n");
	return 2;
    }
    if (strcmp(argv[1], "echo") == 0) {
	proc = AcceptEcho;
    } else if (strcmp(argv[1], "splice") == 0) {
	proc = AcceptSplice;
    } else if (strcmp(argv[1], "line") == 0) {
	proc = AcceptLine;
    } else {
	fprintf(stderr, "echo-sockchan: unknown mode %s\n", argv[1]);
	return 2;
    }
    loop = sc_loop_new(0);
    if (loop == NULL) {
	perror("echo-sockchan");
	return 1;
    }
    if (sc_open_tcp_server(loop, argv[2], "127.0.0.1", proc, NULL) == NULL) {
	fprintf(stderr, "echo-sockchan: %s\n", sc_errmsg(loop));
	return 1;
    }
    sc_vwait(loop, NULL);		/* Serves until killed. */
    return 0;
}
