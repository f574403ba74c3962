/*
 * relay.c --
 *
 *	sockchan connect, listen and unix: a socket relayed to stdin and
 *	stdout, echoed, or handed to a program, on sockchan's channels.
 *
 *	The end-of-input policy (sockchan(1), END OF INPUT): nothing read is
 *	ever dropped without a word.
 *	  - stdin's end: the socket's write side is half-closed once all of
 *	    stdin is sent (not with --no-shutdown), and the command keeps
 *	    reading until the peer's end.
 *	  - the peer's end first: all of stdin is still sent, however long
 *	    stdin takes to end (a peer that half-closed reads on), unless
 *	    stdin is a terminal: then what has been read from it is sent, and
 *	    no more is read.
 *	  - the command exits 0 only once everything read from stdin is
 *	    acknowledged by the peer (the socket's send queue is empty) and
 *	    everything from the peer is on stdout; a peer that resets, or a
 *	    stdout that fails, ends it with status 1 and a line that says how
 *	    many bytes were not delivered.
 *	stdin's and stdout's shared descriptions are never made nonblocking
 *	(stdio.c): the relay uses its own copies of pipes and files, and
 *	threads with socketpairs for terminals and sockets.
 */

#include "cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 65536
#define PUMP_TURN (16 * CHUNK)	/* Read in one call at most: then the loop's
				 * other work gets its turn (a file on
				 * stdin never says "blocked"). */
#define SETTLE_MS 10		/* How often an unacknowledged queue is
				 * looked at before the exit. */

/*
 *----------------------------------------------------------------------
 *
 * A pump: bytes from one channel to another, with backpressure (while
 * out cannot take more, in is not read).
 *
 *----------------------------------------------------------------------
 */

enum { PUMP_EOF, PUMP_READ_FAILED, PUMP_WRITE_FAILED };

struct pump {
    sc_chan *in, *out;
    char *buf;
    size_t len, off;		/* buf[off..len) waits for out. */
    int done;			/* in ended and everything went out. */
    int err;			/* The errno of what failed. */
    int blockedIsEnd;		/* Nothing more to read counts as the end. */
    int crlf;			/* -C: a LF not after a CR goes as CRLF. */
    int cr;			/* -C: the last byte read was a CR. */
    long long added;		/* -C: the CRs added. */
    long long moved;		/* Bytes out has taken (out NULL: bytes
				 * read and dropped, --send-only). */
    char error[256];		/* What failed, for PUMP_*_FAILED. */
    void (*onEnd)(struct pump *p, int how);
    void (*onData)(void *owner);	/* Bytes moved (for idle timers). */
    void (*noteIn)(long n);	/* Each sc_read's result (stdin's count). */
    void (*noteOut)(long n);	/* Each sc_write's (stdout's count). */
    void *owner;
    sc_timer later;		/* The next turn, after the loop's others. */
};

static void Pump(struct pump *p);

static void
PumpLater(void *clientData)
{
    struct pump *p = clientData;

    p->later = 0;
    Pump(p);
}

/* No turn put off is taken any more. */
static void
PumpCancel(struct pump *p)
{
    if (p->later != 0) {
	sc_delete_timer(sc_chan_loop(p->in), p->later);
	p->later = 0;
    }
}

static void
PumpEvent(void *clientData, int mask)
{
    (void) mask;
    Pump(clientData);
}

static void
PumpEnd(struct pump *p, int how, sc_chan *failed)
{
    p->done = 1;
    p->err = errno;
    PumpCancel(p);
    if (how != PUMP_EOF) {
	snprintf(p->error, sizeof(p->error), "%s",
		sc_errmsg(sc_chan_loop(failed)));
    }
    sc_chan_event(p->in, SC_READABLE, NULL, NULL);
    if (p->out != NULL) {
	sc_chan_event(p->out, SC_WRITABLE, NULL, NULL);
    }
    p->onEnd(p, how);
}

/*
 * -C, as ncat does it: each LF in buf[0..n) that does not follow a CR
 * (the previous read's last byte counts) becomes CRLF, in place; buf has
 * room for 2n bytes. The new length.
 */
static size_t
AddCR(struct pump *p, char *buf, size_t n)
{
    size_t i, j, extra = 0;
    int cr = p->cr;

    for (i = 0; i < n; i++) {
	extra += buf[i] == '\n' && !cr;
	cr = buf[i] == '\r';
    }
    /* From the end, so nothing is overwritten before it is moved. */
    for (i = n, j = n + extra; i > 0; i--) {
	buf[--j] = buf[i - 1];
	if (buf[i - 1] == '\n' && !(i > 1 ? buf[i - 2] == '\r' : p->cr)) {
	    buf[--j] = '\r';
	}
    }
    p->cr = n > 0 ? buf[n + extra - 1] == '\r' : p->cr;
    p->added += (long long) extra;
    return n + extra;
}

/* Move what can move now; arrange to be called when more can. */
static void
Pump(struct pump *p)
{
    size_t turn = 0;

    if (p->done) {
	return;
    }
    for (;;) {
	long n;

	if (p->off < p->len) {
	    n = sc_write(p->out, p->buf + p->off, p->len - p->off);
	    if (p->noteOut != NULL) {
		p->noteOut(n);
	    }
	    if (n == SC_ERROR) {
		PumpEnd(p, PUMP_WRITE_FAILED, p->out);
		return;
	    }
	    if (n > 0) {	/* Not SC_BLOCKED: none taken. */
		p->off += (size_t) n;
		p->moved += n;
	    }
	    if (p->off < p->len) {
		/* out is full: wait for room, and read no more meanwhile. */
		sc_chan_event(p->in, SC_READABLE, NULL, NULL);
		sc_chan_event(p->out, SC_WRITABLE, PumpEvent, p);
		return;
	    }
	    sc_chan_event(p->out, SC_WRITABLE, NULL, NULL);
	}
	if (turn >= PUMP_TURN && p->later == 0) {
	    /* Enough for one call: signals, timers and the other
	     * direction go first. */
	    sc_chan_event(p->in, SC_READABLE, NULL, NULL);
	    p->later = sc_create_timer(sc_chan_loop(p->in), 0, PumpLater, p);
	    if (p->later != 0) {
		return;
	    }
	}
	n = sc_read(p->in, p->buf, CHUNK);
	if (p->noteIn != NULL) {
	    p->noteIn(n);
	}
	if (n > 0) {
	    turn += (size_t) n;
	    p->len = p->crlf ? AddCR(p, p->buf, (size_t) n) : (size_t) n;
	    p->off = 0;
	    if (p->out == NULL) {
		p->moved += n;		/* --send-only: dropped. */
		p->len = 0;
	    }
	    if (p->onData) {
		p->onData(p->owner);
	    }
	    continue;
	}
	p->len = p->off = 0;
	if (n == SC_BLOCKED && !p->blockedIsEnd) {
	    sc_chan_event(p->in, SC_READABLE, PumpEvent, p);
	    return;
	}
	PumpEnd(p, n == SC_ERROR ? PUMP_READ_FAILED : PUMP_EOF, p->in);
	return;
    }
}

static void
PumpInit(struct pump *p, sc_chan *in, sc_chan *out,
	void (*onEnd)(struct pump *, int), void *owner)
{
    memset(p, 0, sizeof(*p));
    p->buf = malloc(2 * CHUNK);	/* Room for -C's CRs. */
    if (p->buf == NULL) {
	cli_die(EXIT_NET, "out of memory");
    }
    p->in = in;
    p->out = out;
    p->onEnd = onEnd;
    p->owner = owner;
}

/*
 *----------------------------------------------------------------------
 *
 * Common state and helpers.
 *
 *----------------------------------------------------------------------
 */

struct options {
    const char *command;	/* "connect", "listen", "unix listen"... */
    int family;			/* SC_TCP_IPV4, SC_TCP_IPV6 or 0. */
    const char *myaddr, *myport;
    long timeout, idleTimeout;
    const char *translation;
    int noShutdown;
    int reuseaddr, reuseport;
    long backlog;
    int keepOpen;
    const char *exec;		/* -e or -c as given. */
    int shell;			/* It was -c. */
    cli_program prog;
    int echo;
    long maxConns;		/* 0: the default for the mode. */
    long outputLimit, outputBudget;
    int mode;
    int unix;
    int verbose, sendOnly, recvOnly, crlf, numeric;	/* -v ... -n */
    cli_acl *acl;		/* --allow, --deny... */
    cli_tls tls;		/* --ssl and its kin (tls.c). */
};

static sc_loop *loop;
static int exitStatus = -1;	/* Set: the loop ends with it. */
static int signalled;		/* The loop ended for a signal. */
static sc_chan *stdIn, *stdOut;	/* The loop's stdin and stdout (stdio.c). */
static long idleMs;

static void
Finish(int status)
{
    if (exitStatus < 0) {
	exitStatus = status;
    }
}

/* A signal ends the command: 130 for Ctrl-C, 128 + N for the others. */
static void
Signal(void *clientData, int signo)
{
    (void) clientData;
    if (signo == SIGCHLD) {
	return;			/* Reaped where it is waited for. */
    }
    signalled = 1;
    Finish(128 + signo);
}

/* A channel over the loop's stdin or stdout (stdio.c), in the blocking
 * mode its descriptor has. */
static sc_chan *
StdChan(int fd, int mode)
{
    sc_chan *chan;

    if (fd < 0) {
	cli_die(EXIT_NET, "can't start a thread for %s: %s", mode
		== SC_READABLE ? "stdin" : "stdout", sc_errno_msg(errno));
    }
    chan = sc_chan_open_fd(loop, fd, mode, 0);
    if (chan == NULL || sc_chan_configure(chan, "-translation", "binary") < 0
	    || sc_chan_configure(chan, "-buffering", "none") < 0) {
	cli_die(EXIT_NET, "%s", sc_errmsg(loop));
    }
    return chan;
}

/* Socket channels: bytes as they are, unless --translation says. */
static void
SetUpSocket(sc_chan *sock, const struct options *o)
{
    if (sc_chan_configure(sock, "-translation", "binary") < 0
	    || sc_chan_configure(sock, "-buffering", "none") < 0
	    || sc_chan_configure(sock, "-blocking", "0") < 0
	    || (o->translation && sc_chan_configure(sock, "-translation",
		o->translation) < 0)) {
	cli_die(EXIT_USAGE, "%s", sc_errmsg(loop));
    }
}

static void StopListening(void);
static void EndSessions(void);
static void EndChildren(void);

/*
 * Run the loop until Finish. Then, unless a signal ended it: let every
 * close that is still sending finish, and wait until stdout has taken
 * everything, however long a stopped reader takes. The status.
 */

static int
Run(void)
{
    int err;

    while (exitStatus < 0) {
	if (sc_do_one_event(loop, SC_ALL_EVENTS) < 0) {
	    fprintf(stderr, "sockchan: %s\n", sc_errmsg(loop));
	    Finish(EXIT_NET);
	}
    }
    EndChildren();
    cli_unwatch_signals(loop);
    StopListening();		/* A Unix server removes its file. */
    EndSessions();		/* Before stdin and stdout close under them. */
    if (stdIn != NULL) {
	sc_chan_event(stdIn, SC_READABLE, NULL, NULL);
	sc_close(stdIn);	/* A thread for stdin sees EPIPE, or stays
				 * in a read that the exit ends. */
	stdIn = NULL;
    }
    if (signalled) {
	return exitStatus;	/* At once: nothing more is wanted. */
    }
    if (stdOut != NULL) {
	/* Everything for stdout onto it (or into its thread's hands),
	 * however long a stopped reader takes; then the sockets' closes
	 * (5 s without progress at most); then a thread's last writes. */
	sc_chan_event(stdOut, SC_WRITABLE, NULL, NULL);
	if (!cli_stdout_direct()) {
	    (void) sc_chan_set_blocking(stdOut, 1);	/* The pair's end. */
	}
	if (sc_flush(stdOut) < 0) {
	    cli_stdout_put(SC_ERROR);
	}
	(void) sc_close(stdOut);
	stdOut = NULL;
	(void) cli_drain(loop, 5000);
	err = cli_stdout_finish();
	if (err != 0 && exitStatus == 0) {
	    /* Everything was received; not all of it reached stdout. */
	    fprintf(stderr, "sockchan: error writing \"stdout\": %s: %lld of "
		    "the %lld bytes received were not written\n",
		    sc_errno_msg(err), cli_stdout_taken() - cli_stdout_count(),
		    cli_stdout_taken());
	    exitStatus = EXIT_NET;
	}
    } else {
	(void) cli_drain(loop, 5000);
    }
    return exitStatus;
}

/*
 *----------------------------------------------------------------------
 *
 * A session: one connection relayed to stdin and stdout.
 *
 *----------------------------------------------------------------------
 */

struct session {
    sc_chan *sock;
    struct pump up, down;	/* stdin -> sock, sock -> stdout */
    const struct options *o;
    int failed;			/* The connection ended in an error. */
    int ended;			/* EndSession ran (a pump may still call). */
    sc_timer idle;
    sc_timer settle;		/* Waiting for the peer's acknowledgement. */
    long long ackedBase;	/* Acked() when the relay began. */
    long long inBase;		/* stdin's bytes earlier sessions took. */
    long long outBase;		/* stdout's bytes they handed on. */
    struct timespec start;	/* -v: when the relay began. */
    void (*onClose)(struct session *s);
};

static struct session *current;

/* Bytes the socket's kernel still holds: not yet acknowledged (TCP) or not
 * yet read by the peer (Unix). */
static long
Unacknowledged(sc_chan *sock)
{
    int fd = sc_chan_fd(sock, SC_WRITABLE), n = 0;

    if (fd < 0 || ioctl(fd, SIOCOUTQ, &n) < 0) {
	return 0;
    }
    return n;
}

/* For TCP without translation: the bytes the peer acknowledged so far
 * (TCP_INFO; a client's count includes its SYN, and later a FIN); -1
 * when not known. */
static long long
Acked(struct session *s)
{
    struct tcp_info ti;
    socklen_t len = sizeof(ti);
    int fd = sc_chan_fd(s->sock, SC_WRITABLE);

    memset(&ti, 0, sizeof(ti));
    if (s->o->unix || s->o->translation || s->o->tls.on || fd < 0
	    || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0
	    || len < offsetof(struct tcp_info, tcpi_bytes_acked)
		+ sizeof(ti.tcpi_bytes_acked)) {
	return -1;
    }
    return (long long) ti.tcpi_bytes_acked;
}

/*
 * This session's share of stdin and stdout (listen -k to stdio serves one
 * session after another): the bytes read from stdin since the earlier
 * sessions took theirs, and those written to stdout of what this one
 * handed on (the earlier sessions' bytes go out first).
 */
static long long
StdinRead(struct session *s)
{
    return cli_stdin_count() - s->inBase;
}

static long long
StdoutWritten(struct session *s)
{
    long long n = cli_stdout_count() - s->outBase;

    return n > 0 ? n : 0;
}

/*
 * How many of the bytes read from stdin did not reach the peer: those
 * never taken by the socket, plus, for TCP, those it took that the peer
 * never acknowledged (a reset empties the kernel's queue).
 */
static long long
Undelivered(struct session *s)
{
    long long taken = s->up.moved - (long long) sc_pending(s->sock,
	    SC_WRITABLE);
    long long acked = Acked(s);

    if (acked >= 0 && s->ackedBase >= 0) {
	acked -= s->ackedBase;	/* The handshake's share. */
	if (acked < taken) {
	    taken = acked;	/* A FIN's share is more than taken. */
	}
    } else {
	taken -= Unacknowledged(s->sock);
    }
    taken -= s->up.added;	/* -C: at most this many of the bytes not
				 * acknowledged are CRs of ours. */
    if (taken < 0) {
	taken = 0;
    }
    return StdinRead(s) - taken;
}

/*
 * One line on stderr about a failure, with how many bytes read from stdin
 * the peer never acknowledged (TCP) or never read (Unix). A reset also
 * drops what the peer's kernel acknowledged and its program had not yet
 * read: that no one can count from this side.
 */
static void
Report(struct session *s, const char *what)
{
    long long lost = Undelivered(s);
    int ended = (s->o->recvOnly || cli_stdin_ended()) && s->up.done;

    s->failed = 1;
    if (lost > 0 || !ended) {
	fprintf(stderr, "sockchan: %s: %lld of the %lld bytes read from "
		"stdin were not %s by the peer%s\n", what, lost > 0 ? lost : 0,
		StdinRead(s), s->o->unix ? "read" : "acknowledged",
		ended ? "" : ", and stdin was not read to its end");
    } else {
	fprintf(stderr, "sockchan: %s\n", what);
    }
}

/* The connection failed with the socket error e (its -error). */
static void
Lost(struct session *s, const char *e)
{
    char what[300];

    snprintf(what, sizeof(what), "connection lost (%s)", e);
    Report(s, what);
}

/* The socket's -error ("" when none), as a new string. */
static char *
SocketError(sc_chan *sock)
{
    char *e = sc_chan_cget(sock, "-error");

    if (e == NULL) {
	e = strdup("");
    }
    return e;
}

static void
EndSession(struct session *s)
{
    if (s->ended) {
	return;
    }
    s->ended = 1;
    s->up.done = s->down.done = 1;	/* No pump moves again. */
    PumpCancel(&s->up);
    PumpCancel(&s->down);
    if (s->up.in != NULL) {
	sc_chan_event(s->up.in, SC_READABLE, NULL, NULL);
    }
    if (s->down.out != NULL) {
	sc_chan_event(s->down.out, SC_WRITABLE, NULL, NULL);
    }
    if (s->idle) {
	sc_delete_timer(loop, s->idle);
    }
    if (s->settle) {
	sc_delete_timer(loop, s->settle);
    }
    if (!s->failed) {
	char *e = SocketError(s->sock);

	if (e[0] != '\0') {
	    Lost(s, e);
	}
	free(e);
    }
    if (s->o->verbose) {
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	fprintf(stderr, "sockchan: %lld bytes sent, %lld bytes received in "
		"%.2f seconds\n", s->up.moved, s->down.moved,
		(double) (now.tv_sec - s->start.tv_sec)
		+ (double) (now.tv_nsec - s->start.tv_nsec) / 1e9);
    }
    sc_close(s->sock);		/* Nothing is left to send. */
    free(s->up.buf);
    free(s->down.buf);
    current = NULL;
    if (s->onClose) {
	s->onClose(s);
    }
    free(s);
}

static void
SessionIdle(void *clientData)
{
    struct session *s = clientData;

    s->idle = 0;
    fprintf(stderr, "sockchan: idle timeout: nothing sent or received for "
	    "%ld ms\n", idleMs);
    s->failed = 1;
    EndSession(s);
}

static void
SessionData(void *owner)
{
    struct session *s = owner;

    if (idleMs > 0) {
	if (s->idle) {
	    sc_delete_timer(loop, s->idle);
	}
	s->idle = sc_create_timer(loop, idleMs, SessionIdle, s);
    }
}

/*
 * Both directions are done: end once the peer has everything (the
 * socket's queues are empty), or fail if it reset meanwhile.
 */
static void
Settle(void *clientData)
{
    struct session *s = clientData;
    char *e;

    s->settle = 0;
    e = SocketError(s->sock);
    if (e[0] != '\0') {
	Lost(s, e);
	free(e);
	EndSession(s);
	return;
    }
    free(e);
    if (sc_pending(s->sock, SC_WRITABLE) > 0 || Unacknowledged(s->sock) > 0) {
	s->settle = sc_create_timer(loop, SETTLE_MS, Settle, s);
	if (s->settle != 0) {
	    return;
	}
    }
    EndSession(s);
}

/* --send-only settles once stdin is sent, whatever the peer does. */
static void
MaybeSettle(struct session *s)
{
    if (s->up.done && (s->down.done || s->o->sendOnly) && !s->ended
	    && s->settle == 0) {
	Settle(s);
    }
}

/* stdin ended (or failed), or the socket would take no more. */
static void
UpEnd(struct pump *p, int how)
{
    struct session *s = p->owner;
    int err = cli_stdin_error();

    if (how == PUMP_WRITE_FAILED) {
	Lost(s, p->err != 0 ? sc_errno_msg(p->err) : p->error);
	EndSession(s);
	return;
    }
    if (how == PUMP_READ_FAILED || err != 0) {
	fprintf(stderr, "sockchan: error reading \"stdin\": %s\n",
		err != 0 ? sc_errno_msg(err) : p->error);
	s->failed = 1;
    }
    if (!s->o->noShutdown) {
	sc_close_half(s->sock, SC_WRITABLE);
    }
    MaybeSettle(s);
}

/* The peer's end of file (or a reset), or stdout would take no more. */
static void
DownEnd(struct pump *p, int how)
{
    struct session *s = p->owner;
    char *e;

    if (how == PUMP_WRITE_FAILED) {
	int err = cli_stdout_error();

	fprintf(stderr, "sockchan: error writing \"stdout\": %s: %lld of the "
		"%lld bytes received were not written\n", err != 0
		? sc_errno_msg(err) : p->error, p->moved
		- StdoutWritten(s) + (long long) (p->len - p->off),
		p->moved + (long long) (p->len - p->off));
	s->failed = 1;
	EndSession(s);
	return;
    }
    e = SocketError(s->sock);
    if (how == PUMP_READ_FAILED || e[0] != '\0') {
	if (e[0] != '\0') {
	    Lost(s, e);
	} else {
	    Report(s, p->error);
	}
	free(e);
	EndSession(s);
	return;
    }
    free(e);
    if (!s->up.done && isatty(0)) {
	/* A terminal: what was typed before the peer's end goes, the rest
	 * is not read (with listen -k, it is left for the next
	 * connection). While the thread still hands bytes on, it ends the
	 * pair itself after them. */
	if (s->o->keepOpen || cli_stdin_stop()) {
	    s->up.blockedIsEnd = 1;
	    Pump(&s->up);
	}
	return;			/* UpEnd settles. */
    }
    MaybeSettle(s);
}

static void
Relay(sc_chan *sock, const struct options *o,
	void (*onClose)(struct session *))
{
    struct session *s = calloc(1, sizeof(*s));

    if (s == NULL) {
	cli_die(EXIT_NET, "out of memory");
    }
    /* --recv-only never reads stdin, --send-only never writes stdout. */
    if (stdIn == NULL && !o->recvOnly) {
	stdIn = StdChan(cli_stdin_open(), SC_READABLE);
    }
    if (stdOut == NULL && !o->sendOnly) {
	stdOut = StdChan(cli_stdout_open(), SC_WRITABLE);
    }
    SetUpSocket(sock, o);
    s->sock = sock;
    s->o = o;
    s->ackedBase = Acked(s);
    s->onClose = onClose;
    clock_gettime(CLOCK_MONOTONIC, &s->start);
    PumpInit(&s->up, stdIn, sock, UpEnd, s);
    PumpInit(&s->down, sock, stdOut, DownEnd, s);
    s->up.onData = s->down.onData = SessionData;
    s->up.noteIn = cli_stdin_got;
    s->inBase = cli_stdin_taken();
    s->outBase = cli_stdout_taken();
    s->down.noteOut = cli_stdout_put;
    s->up.crlf = o->crlf;
    s->up.done = o->recvOnly;	/* Nothing sent, not even end of file
				 * (as ncat: the write side stays open). */
    current = s;
    SessionData(s);
    Pump(&s->up);
    if (current == s) {
	Pump(&s->down);
    }
}

/*
 *----------------------------------------------------------------------
 *
 * Options.
 *
 *----------------------------------------------------------------------
 */

enum {
    OPT_MYADDR = 256, OPT_MYPORT, OPT_TIMEOUT, OPT_IDLE, OPT_TRANSLATION,
    OPT_NOSHUTDOWN, OPT_REUSEADDR, OPT_REUSEPORT, OPT_BACKLOG, OPT_ECHO,
    OPT_MODE, OPT_OUTLIMIT, OPT_BUDGET, OPT_SENDONLY, OPT_RECVONLY, OPT_ACL
};

#define EXEC_MAX_CONNS 100	/* -k --exec: ncat's default. */
#define RELAY_WAITING 64	/* -k to stdio: connections in line. */
#define CHILD_GRACE_MS 2000	/* SIGTERM, then this long, then SIGKILL. */

static const char connectHelp[] =
"usage: sockchan connect [options] HOST PORT\n"
"\n"
"Connect over TCP to HOST (a name, an IPv4 or an IPv6 address) on PORT (a\n"
"number or a service name), and relay: stdin to the socket, the socket to\n"
"stdout, bytes as they are.\n"
"\n"
"  -4, -6                 IPv4 or IPv6 addresses only\n"
"  --myaddr ADDR          the local address to connect from\n"
"  --myport PORT          the local port to connect from\n"
"  -n, --nodns            HOST must be an address: no name is looked up\n"
"  -w, --wait TIME        give up connecting after TIME: ncat's syntax, a\n"
"                         bare number is seconds (1.5), or 500ms, 2s, 2m, 1h\n"
"  --timeout MS           the same in milliseconds\n"
"  -i TIME                give up when nothing is sent or received for TIME\n"
"                         (ncat's syntax: a bare number is seconds)\n"
"  --idle-timeout TIME    the same, but a bare number is milliseconds, as\n"
"                         it always was (--idle-timeout 300 is 300 ms)\n"
"  --send-only            only send: what the peer sends is read and dropped,\n"
"                         and the command ends once stdin has ended and the\n"
"                         peer has acknowledged all of it\n"
"  --recv-only            only receive: stdin is never read, nothing is sent\n"
"                         (not even end of file); ends at the peer's end\n"
"  -C, --crlf             a LF from stdin that does not follow a CR is sent\n"
"                         as CRLF (ncat's -C)\n"
"  -v, --verbose          on stderr: \"connected to ADDR:PORT\", and at the\n"
"                         end the bytes sent and received and the time taken\n"
"  --translation MODE     end-of-line translation on the socket: binary\n"
"                         (the default), lf, cr, crlf, auto, or \"IN OUT\"\n"
"  --no-shutdown          keep the write side open when stdin ends\n"
"  -e, --exec \"PROG ARGS\" instead of relaying, run PROG (no shell) with the\n"
"                         connection as its stdin and stdout\n"
"  -c, --sh-exec CMD      the same with /bin/sh -c CMD\n"
"  --ssl                  TLS: the server's certificate is verified (the\n"
"                         system's trust store) and its name checked\n"
"  --ssl-trustfile FILE   trust the CAs (or certificates) in FILE instead\n"
"  --ssl-servername NAME  the name to check and send as SNI (default HOST)\n"
"  --ssl-no-verify        don't verify the server at all (insecure; ncat's\n"
"                         default, which --ssl-verify asks to change)\n"
"  --ssl-cert FILE        a client certificate (PEM); --ssl-key FILE: its\n"
"                         key, if not in FILE\n"
"  --ssl-alpn LIST        ALPN protocols to offer, e.g. h2,http/1.1\n"
"  --ssl-ciphers LIST     the TLS 1.2 cipher list (OpenSSL's syntax)\n"
"  --starttls PROTO       smtp, imap or pop3: ask for TLS in the protocol's\n"
"                         plain text first, then relay over TLS\n"
"  -h, --help             this text\n"
"\n"
"End of input: when stdin ends, all of it is sent, then the socket's write\n"
"side is closed (the peer sees end of file; not with --no-shutdown) and the\n"
"command reads on until the peer's end. When the peer's end comes first,\n"
"all of stdin is still sent, however long stdin takes to end, unless stdin\n"
"is a terminal (then what was read is sent, and no more). The command exits\n"
"0 only when the peer has acknowledged every byte read from stdin and all\n"
"the peer sent is on stdout; otherwise 1, with a line that says how many\n"
"bytes were not delivered and why. stdin and stdout are never made\n"
"nonblocking. With -e or -c, the exit status is the program's.\n"
"\n"
"ncat's flags that sockchan lacks (-u, -l, -p, -s, -z, --proxy...) are\n"
"refused with the reason; sockchan(1) has a table of ncat's flags.\n"
"\n"
"Exit status: 0 done, 1 refused, timed out, host not found, reset or an\n"
"I/O error, 2 bad usage, 130 interrupted (128+N for signal N).\n";

static const char listenHelp[] =
"usage: sockchan listen [options] PORT\n"
"\n"
"Listen for TCP connections on PORT (0: the system chooses) on every\n"
"interface (IPv4 and IPv6) or on --myaddr. Prints \"listening on ADDR PORT\"\n"
"on stderr for each listening socket. Without -k, serves one connection and\n"
"exits; with -k, serves every connection.\n"
"\n"
"  -4, -6                 IPv4 or IPv6 only\n"
"  --myaddr ADDR          listen on this address only\n"
"  --reuseaddr yes|no     SO_REUSEADDR (default yes)\n"
"  --reuseport            SO_REUSEPORT: share the port with other servers\n"
"  --backlog N            the listen backlog (default: the system's largest)\n"
"  --allow HOST[,HOST...] only these clients: addresses, CIDR blocks, ranges\n"
"                         (127.0.0.1-20), names; others are closed at once\n"
"                         and the server listens on\n"
"  --deny HOST[,HOST...]  not these clients (deny wins over allow, as in\n"
"                         ncat 7.93); an IPv4-mapped IPv6 client counts as\n"
"                         its IPv4 address\n"
"  --allowfile FILE, --denyfile FILE\n"
"                         the same from FILE (# starts a comment)\n"
"  -k, --keep-open        serve every connection, not just the first\n"
"  --echo                 echo each connection back to itself\n"
"  -e, --exec \"PROG ARGS\" run PROG directly (no shell; the words split at\n"
"                         blanks, \\ keeps the next character) for each\n"
"                         connection, with the connection as its stdin and\n"
"                         stdout\n"
"  -c, --sh-exec CMD      the same through /bin/sh -c CMD\n"
"  -m, --max-conns N      at most N connections at once; more are closed\n"
"                         as they come (default 100 with -e/-c, 65 relaying\n"
"                         to stdio: one served, 64 in line; none with\n"
"                         --echo, whose memory --output-budget bounds)\n"
"  --output-limit BYTES   --echo: at most BYTES queued for a client that\n"
"                         does not read (default 64K); K, M, G suffixes\n"
"  --output-budget BYTES  --echo: at most BYTES queued for all clients\n"
"                         (default 16M); past it, clients with output\n"
"                         waiting are not read until it drains\n"
"  --translation MODE     as for connect (relaying to stdio only)\n"
"  --no-shutdown, --send-only, --recv-only, -C, -i TIME, --idle-timeout TIME\n"
"                         as for connect (relaying to stdio only)\n"
"  -n                     --myaddr must be an address\n"
"  -v, --verbose          on stderr: \"connection from ADDR:PORT\", why one\n"
"                         was denied, and at the end of each the bytes sent\n"
"                         and received and the time taken\n"
"  --ssl                  TLS for every connection (served once its\n"
"                         handshake is done); without --ssl-cert, with a\n"
"                         temporary self-signed certificate whose SHA-256\n"
"                         fingerprint is printed on stderr\n"
"  --ssl-cert FILE        the certificate chain (PEM); --ssl-key FILE: its\n"
"                         key, if not in FILE\n"
"  --ssl-trustfile FILE   require a client certificate from FILE's CAs\n"
"  --ssl-alpn LIST        ALPN protocols to accept, ours first (a client\n"
"                         offering none of them is refused)\n"
"  --ssl-ciphers LIST     the TLS 1.2 cipher list (OpenSSL's syntax)\n"
"  -h, --help             this text\n"
"\n"
"Without --echo or -e/-c, a connection is relayed to stdin and stdout, with\n"
"the end-of-input rules of sockchan connect; with -k the next connection is\n"
"served when one ends. With --echo or -e/-c, connections are served at once,\n"
"side by side. The client's end of file reaches a program as end of input,\n"
"and the program's output keeps flowing until it exits. Without -k, the\n"
"exit status is the program's. When the server ends, its programs get\n"
"SIGTERM, and SIGKILL 2 s later if still running (SIGTERM too if the\n"
"server is killed). ncat's -l, -p and the like are refused with the reason.\n";

static const char unixHelp[] =
"usage: sockchan unix listen [options] PATH\n"
"       sockchan unix connect [options] PATH\n"
"\n"
"connect and listen over a Unix-domain socket. PATH may be \"@name\", a Linux\n"
"abstract name (no file). listen never destroys what is at PATH: a socket\n"
"nobody answers on is replaced, a live one or any other file is an error\n"
"and stays. The socket appears already listening and with its final mode.\n"
"The socket file is removed when the listener ends.\n"
"\n"
"  --mode MODE            listen: the socket file's mode, octal (e.g. 600),\n"
"                         exactly, whatever the umask\n"
"  -k, --keep-open        listen: serve every connection\n"
"  --echo, -e PROG, -c CMD, -m N, --output-limit BYTES, --output-budget BYTES\n"
"                         listen: as for sockchan listen\n"
"  --backlog N            listen: the backlog\n"
"  -e PROG, -c CMD        connect: as for sockchan connect\n"
"  --translation MODE, --no-shutdown, --send-only, --recv-only, -C,\n"
"  -i TIME, --idle-timeout TIME\n"
"                         as for sockchan connect\n"
"  -v, --verbose          \"connected to PATH\" or \"connection on PATH\",\n"
"                         and the bytes and time of each connection\n"
"  --ssl and --ssl-* options\n"
"                         as for sockchan connect and listen (connect\n"
"                         checks the name localhost, or --ssl-servername)\n"
"  -h, --help             this text\n";

/* -n: an IPv4 or IPv6 address ([::1] and a %zone too), not a name. */
static int
Numeric(const char *host)
{
    unsigned char a[16];
    char text[INET6_ADDRSTRLEN + 2];
    size_t len = strlen(host);

    if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
	host++;
	len -= 2;
    }
    if (len >= sizeof(text)) {
	return 0;
    }
    memcpy(text, host, len);
    text[len] = '\0';
    text[strcspn(text, "%")] = '\0';
    return inet_pton(AF_INET, text, a) == 1
	    || inet_pton(AF_INET6, text, a) == 1;
}

static void
ParseOptions(int argc, char **argv, struct options *o, const char *help,
	int server)
{
    static const struct option longs[] = {
	{"myaddr", required_argument, NULL, OPT_MYADDR},
	{"myport", required_argument, NULL, OPT_MYPORT},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"idle-timeout", required_argument, NULL, OPT_IDLE},
	{"translation", required_argument, NULL, OPT_TRANSLATION},
	{"no-shutdown", no_argument, NULL, OPT_NOSHUTDOWN},
	{"reuseaddr", required_argument, NULL, OPT_REUSEADDR},
	{"reuseport", no_argument, NULL, OPT_REUSEPORT},
	{"backlog", required_argument, NULL, OPT_BACKLOG},
	{"keep-open", no_argument, NULL, 'k'},
	{"exec", required_argument, NULL, 'e'},
	{"sh-exec", required_argument, NULL, 'c'},
	{"max-conns", required_argument, NULL, 'm'},
	{"output-limit", required_argument, NULL, OPT_OUTLIMIT},
	{"output-budget", required_argument, NULL, OPT_BUDGET},
	{"echo", no_argument, NULL, OPT_ECHO},
	{"mode", required_argument, NULL, OPT_MODE},
	CLI_TLS_LONGOPTS,
	{"help", no_argument, NULL, 'h'},
	/* ncat's (issue 18). */
	{"verbose", no_argument, NULL, 'v'},
	{"send-only", no_argument, NULL, OPT_SENDONLY},
	{"recv-only", no_argument, NULL, OPT_RECVONLY},
	{"crlf", no_argument, NULL, 'C'},
	{"wait", required_argument, NULL, 'w'},
	{"nodns", no_argument, NULL, 'n'},
	{"allow", required_argument, NULL, OPT_ACL},
	{"deny", required_argument, NULL, OPT_ACL},
	{"allowfile", required_argument, NULL, OPT_ACL},
	{"denyfile", required_argument, NULL, OPT_ACL},
	{NULL, 0, NULL, 0}
    };
    int c, index = -1;

    o->reuseaddr = 1;
    o->backlog = -1;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":46khe:c:m:vCnw:i:", longs,
	    &index)) != -1) {
	if (cli_tls_option(&o->tls, c, optarg)) {
	    continue;
	}
	switch (c) {
	case '4':
	case '6':
	    if (o->family != 0 && o->family != (c == '4' ? SC_TCP_IPV4
		    : SC_TCP_IPV6)) {
		cli_usage(o->command, "-4 and -6 can't be used together");
	    }
	    o->family = c == '4' ? SC_TCP_IPV4 : SC_TCP_IPV6;
	    break;
	case 'h':
	    fputs(help, stdout);
	    exit(0);
	case 'k':
	    o->keepOpen = 1;
	    break;
	case OPT_MYADDR:
	    o->myaddr = optarg;
	    break;
	case OPT_MYPORT:
	    if (cli_port(optarg) < 0) {
		cli_usage(o->command, "bad port \"%s\" for --myport", optarg);
	    }
	    o->myport = optarg;
	    break;
	case OPT_TIMEOUT:
	    o->timeout = cli_number_arg(o->command, "timeout", optarg,
		    1L << 30, " milliseconds");
	    break;
	case OPT_IDLE:
	case 'i':
	    /* --idle-timeout 300 stays 300 ms; ncat's -i 300 is 300 s. */
	    o->idleTimeout = c == OPT_IDLE && strcmp(optarg, "0") == 0 ? 0
		    : cli_time_arg(o->command, c == 'i' ? "-i"
		    : "--idle-timeout", optarg, c == 'i' ? 1000 : 1);
	    break;
	case 'w':
	    o->timeout = cli_time_arg(o->command, "-w", optarg, 1000);
	    break;
	case 'v':
	    o->verbose = 1;
	    break;
	case 'C':
	    o->crlf = 1;
	    break;
	case 'n':
	    o->numeric = 1;
	    break;
	case OPT_SENDONLY:
	    o->sendOnly = 1;
	    break;
	case OPT_RECVONLY:
	    o->recvOnly = 1;
	    break;
	case OPT_ACL:
	    {
		char option[16];

		snprintf(option, sizeof(option), "--%s", longs[index].name);
		cli_acl_add(&o->acl, o->command, option, optarg);
	    }
	    break;
	case OPT_TRANSLATION:
	    o->translation = optarg;
	    break;
	case OPT_NOSHUTDOWN:
	    o->noShutdown = 1;
	    break;
	case OPT_REUSEADDR:
	    if (strcmp(optarg, "yes") == 0) {
		o->reuseaddr = 1;
	    } else if (strcmp(optarg, "no") == 0) {
		o->reuseaddr = 0;
	    } else {
		cli_usage(o->command, "bad value \"%s\" for --reuseaddr: "
			"should be yes or no", optarg);
	    }
	    break;
	case OPT_REUSEPORT:
	    o->reuseport = 1;
	    break;
	case OPT_BACKLOG:
	    o->backlog = cli_number_arg(o->command, "backlog", optarg,
		    1 << 20, "");
	    break;
	case 'e':
	case 'c':
	    if (o->exec != NULL) {
		cli_usage(o->command, "-e/--exec and -c/--sh-exec can't be "
			"given more than once");
	    }
	    o->exec = optarg;
	    o->shell = c == 'c';
	    break;
	case 'm':
	    o->maxConns = cli_number_arg(o->command, "--max-conns", optarg,
		    1L << 24, "");
	    if (o->maxConns == 0) {
		cli_usage(o->command, "bad --max-conns \"%s\": should be 1 "
			"or more", optarg);
	    }
	    break;
	case OPT_OUTLIMIT:
	    o->outputLimit = cli_size_arg(o->command, "--output-limit",
		    optarg, 1L << 30);
	    break;
	case OPT_BUDGET:
	    o->outputBudget = cli_size_arg(o->command, "--output-budget",
		    optarg, 1L << 40);
	    break;
	case OPT_ECHO:
	    o->echo = 1;
	    break;
	case OPT_MODE:
	    {
		char *end;
		long m = strtol(optarg, &end, 8);

		if (*optarg == '\0' || *end != '\0' || m <= 0 || m > 07777) {
		    cli_usage(o->command, "bad mode \"%s\": should be an octal "
			    "file mode such as 600", optarg);
		}
		o->mode = (int) m;
	    }
	    break;
	case ':':
	    cli_usage(o->command, "option \"%s\" needs a value",
		    argv[optind - 1]);
	default:
	    {
		const char *bad = argv[optind - 1];

		if (bad[0] == '-' && bad[1] >= '0' && bad[1] <= '9') {
		    cli_usage(o->command, "bad port \"%s\": should be a "
			    "number from 0 to 65535 or a service name", bad);
		}
		cli_refuse_ncat(o->command, bad, optopt < 256 ? optopt : 0);
		if (optopt != 0 && optopt < 256) {
		    cli_usage(o->command, "unknown option \"-%c\"", optopt);
		}
		cli_usage(o->command, "unknown option \"%s\"", bad);
	    }
	}
    }
    if (o->echo && o->exec) {
	cli_usage(o->command, "--echo and -e/-c can't be used together");
    }
    if (o->sendOnly && o->recvOnly) {
	cli_usage(o->command, "--send-only and --recv-only can't be used "
		"together");
    }
    if (o->crlf && o->translation) {
	cli_usage(o->command, "-C and --translation can't be used together");
    }
    if ((o->echo || o->exec) && (o->sendOnly || o->recvOnly || o->crlf)) {
	cli_usage(o->command, "--send-only, --recv-only and -C are for "
		"relaying to stdin and stdout, not with %s", o->echo
		? "--echo" : o->shell ? "--sh-exec" : "--exec");
    }
    if (o->acl && (!server || o->unix)) {
	cli_usage(o->command, "--allow, --deny, --allowfile and --denyfile "
		"are for TCP listeners");
    }
    if (o->numeric && o->unix) {
	cli_usage(o->command, "-n is for TCP");
    }
    if (o->numeric && o->myaddr && !Numeric(o->myaddr)) {
	cli_usage(o->command, "-n: \"%s\" is not an IP address", o->myaddr);
    }
    if ((o->echo || o->exec) && (o->translation || o->noShutdown
	    || o->idleTimeout)) {
	cli_usage(o->command, "--translation, --no-shutdown and "
		"--idle-timeout are for relaying to stdin and stdout, not "
		"with %s", o->echo ? "--echo" : o->shell ? "--sh-exec"
		: "--exec");
    }
    if ((o->outputLimit || o->outputBudget) && !o->echo) {
	cli_usage(o->command, "--output-limit and --output-budget are for "
		"--echo");
    }
    if (!server && (o->echo || o->keepOpen || o->mode || o->maxConns
	    || o->backlog >= 0 || o->reuseport || !o->reuseaddr)) {
	cli_usage(o->command, "--echo, -k, -m, --mode, --backlog, "
		"--reuseaddr and --reuseport are for listening");
    }
    if (server && (o->myport || o->timeout)) {
	cli_usage(o->command, "--myport, --timeout and -w are for "
		"connecting");
    }
    if (o->unix && (o->family || o->myaddr || o->myport || o->reuseport
	    || !o->reuseaddr || o->timeout)) {
	cli_usage(o->command, "-4, -6, --myaddr, --myport, --timeout, -w and "
		"--reuse* are for TCP");
    }
    if (!o->unix && o->mode) {
	cli_usage(o->command, "--mode is for Unix sockets");
    }
    if (o->translation) {
	/* Check the value now, on a throwaway channel. */
	int fds[2];
	sc_loop *probe = sc_loop_new(0);
	sc_chan *chan;

	if (probe == NULL || pipe(fds) < 0) {
	    cli_die(EXIT_NET, "%s", strerror(errno));
	}
	chan = sc_chan_open_fd(probe, fds[0], SC_READABLE, 0);
	if (sc_chan_configure(chan, "-translation", o->translation) < 0) {
	    cli_usage(o->command, "%s", sc_errmsg(probe));
	}
	sc_close(chan);
	close(fds[1]);
	sc_loop_free(probe);
    }
    if (o->exec != NULL) {
	cli_program_parse(o->command, o->exec, o->shell, &o->prog);
    }
    o->tls.timeout = o->timeout;
    cli_tls_check(&o->tls, o->command, server);
    if (o->maxConns == 0) {
	o->maxConns = o->exec ? EXEC_MAX_CONNS : o->echo ? 0
		: 1 + RELAY_WAITING;
    }
    if (o->outputLimit == 0) {
	o->outputLimit = CLI_ECHO_LIMIT;
    }
    if (o->outputBudget == 0) {
	o->outputBudget = CLI_ECHO_BUDGET;
    }
    idleMs = o->idleTimeout;
    cli_acl_resolve(o->acl, o->command, o->numeric);
}

static void
StartLoop(void)
{
    loop = sc_loop_new(0);
    if (loop == NULL) {
	cli_die(EXIT_NET, "can't make an event loop: %s",
		sc_errno_msg(errno));
    }
    /* A write to a closed pipe, or past ulimit -f to a file written from
     * the loop (stdio.c), fails with an error that is reported, rather
     * than killing the command. */
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN);
}

/* Signals through the loop: only once connected or listening, so that
 * Ctrl-C still interrupts a connect that takes its time. */
static void
WatchSignals(cli_signal_proc *proc)
{
    if (cli_watch_signals(loop, proc, NULL) < 0) {
	cli_die(EXIT_NET, "can't watch signals: %s", sc_errno_msg(errno));
    }
}

/*
 *----------------------------------------------------------------------
 *
 * Programs (-e, -c): the children, their count, their end.
 *
 *----------------------------------------------------------------------
 */

static const struct options *runOptions;
static long *children;		/* Their pids; nChildren of them. */
static long nChildren, maxChildren;
static int lastStatus;		/* Of the last program that ended. */

static void MaybeDone(void);

/* A TLS bridge to a program is done. */
static void
BridgeDone(void *clientData)
{
    (void) clientData;
    MaybeDone();
}

/* Run the program for chan, which it owns from now on. */
static void
Exec(sc_chan *chan)
{
    long pid;

    if (nChildren == maxChildren) {
	long *more = realloc(children, (size_t) (maxChildren * 2 + 8)
		* sizeof(*children));

	if (more == NULL) {
	    sc_close(chan);
	    return;
	}
	children = more;
	maxChildren = maxChildren * 2 + 8;
    }
    if (runOptions->tls.on) {
	/* The program sees plain text through a bridge, which owns chan. */
	pid = cli_tls_exec(&runOptions->prog, chan, BridgeDone, NULL);
	chan = NULL;
    } else {
	/* Blocking, so the program's reads and writes wait as it
	 * expects. */
	(void) sc_chan_set_blocking(chan, 1);
	pid = cli_program_run(&runOptions->prog,
		sc_chan_fd(chan, SC_READABLE));
    }
    if (pid < 0) {
	fprintf(stderr, "sockchan: can't run \"%s\": %s\n",
		runOptions->prog.argv[0], sc_errno_msg(errno));
	lastStatus = EXIT_NET;
    } else {
	children[nChildren++] = pid;
    }
    if (chan != NULL) {
	sc_close(chan);		/* The program has the connection now. */
    }
}

/* Reap what ended; the last status is kept. */
static void
Reap(void)
{
    long i;
    int status;
    pid_t pid;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
	for (i = 0; i < nChildren; i++) {
	    if (children[i] == pid) {
		children[i] = children[--nChildren];
		lastStatus = cli_exit_status(status);
		break;
	    }
	}
    }
}

/*
 * The server ends: SIGTERM to every program still running, up to
 * CHILD_GRACE_MS for them to exit, then SIGKILL; none is left behind.
 */
static void
EndChildren(void)
{
    struct timespec step = {0, 20 * 1000 * 1000};
    sigset_t chld;
    long i, waited = 0;

    if (nChildren == 0) {
	return;
    }
    for (i = 0; i < nChildren; i++) {
	kill(-(pid_t) children[i], SIGTERM);	/* Its process group. */
    }
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);	/* Blocked: the signalfd's. */
    Reap();
    while (nChildren > 0 && waited < CHILD_GRACE_MS) {
	(void) sigtimedwait(&chld, NULL, &step);	/* A child's end,
							 * or 20 ms. */
	waited += 20;
	Reap();
    }
    for (i = 0; i < nChildren; i++) {
	kill(-(pid_t) children[i], SIGKILL);
	waitpid((pid_t) children[i], NULL, 0);
    }
    nChildren = 0;
}

/*
 *----------------------------------------------------------------------
 *
 * connect
 *
 *----------------------------------------------------------------------
 */

static void
ConnectClosed(struct session *s)
{
    Finish(s->failed ? EXIT_NET : 0);
}

static sc_chan *server;
static int served;
static cli_echo *echoService;

static void
ConnectSignal(void *clientData, int signo)
{
    if (signo == SIGCHLD) {
	Reap();
	MaybeDone();
	return;
    }
    Signal(clientData, signo);
}

#define CLI_HOST_TEXT 1100	/* An endpoint or a Unix path, as text. */

/* A connected socket's peer as ncat writes it (127.0.0.1:80, [::1]:80). */
static void
PeerName(sc_chan *sock, char *buf, size_t len)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char host[INET6_ADDRSTRLEN];
    int fd = sc_chan_fd(sock, SC_READABLE);
    int port = 0;
    const void *a = NULL;

    if (fd >= 0 && getpeername(fd, (struct sockaddr *) &ss, &sl) == 0) {
	if (ss.ss_family == AF_INET) {
	    a = &((struct sockaddr_in *) &ss)->sin_addr;
	    port = ntohs(((struct sockaddr_in *) &ss)->sin_port);
	} else if (ss.ss_family == AF_INET6) {
	    a = &((struct sockaddr_in6 *) &ss)->sin6_addr;
	    port = ntohs(((struct sockaddr_in6 *) &ss)->sin6_port);
	}
    }
    if (a == NULL || inet_ntop(ss.ss_family, a, host, sizeof(host)) == NULL) {
	snprintf(buf, len, "(unknown)");
	return;
    }
    cli_endpoint(buf, len, host, port);
}

static int
Connect(const struct options *o, const char *host, const char *port)
{
    sc_chan *sock;

    runOptions = o;
    StartLoop();
    if (o->unix) {
	sock = sc_open_unix_client(loop, host, NULL);
    } else {
	sc_tcp_options to = {o->myaddr, o->myport, o->family, o->timeout};

	sock = sc_open_tcp_client(loop, host, port, &to);
    }
    if (sock == NULL) {
	cli_die(errno == ENAMETOOLONG ? EXIT_USAGE : EXIT_NET, "%s",
		sc_errmsg(loop));
    }
    if (o->verbose) {
	char where[CLI_HOST_TEXT];

	if (o->unix) {
	    snprintf(where, sizeof(where), "%s", host);
	} else {
	    PeerName(sock, where, sizeof(where));
	}
	fprintf(stderr, "sockchan: connected to %s\n", where);
    }
    if (o->tls.on) {
	cli_tls_connect(&o->tls, sock, o->unix ? "localhost" : host);
    }
    WatchSignals(ConnectSignal);
    if (o->exec) {
	served = 1;
	Exec(sock);
	MaybeDone();
    } else {
	Relay(sock, o, ConnectClosed);
    }
    return Run();
}

int
cmd_connect(int argc, char **argv)
{
    struct options o;
    int status;

    memset(&o, 0, sizeof(o));
    o.command = "connect";
    ParseOptions(argc, argv, &o, connectHelp, 0);
    if (argc - optind != 2) {
	cli_usage("connect", "connect takes HOST and PORT");
    }
    if (cli_port(argv[optind + 1]) < 0) {
	cli_usage("connect", "bad port \"%s\": should be a number from 0 to "
		"65535 or a service name", argv[optind + 1]);
    }
    if (o.numeric && !Numeric(argv[optind])) {
	cli_usage("connect", "-n: \"%s\" is not an IP address (with -n, "
		"HOST is not looked up)", argv[optind]);
    }
    status = Connect(&o, argv[optind], argv[optind + 1]);
    cli_program_free(&o.prog);
    cli_acl_free(o.acl);
    free(children);
    children = NULL;
    return status;
}

/*
 *----------------------------------------------------------------------
 *
 * listen
 *
 *----------------------------------------------------------------------
 */

static const char *unixWhere;	/* unix listen's PATH, for -v. */
static sc_chan *waiting[RELAY_WAITING];	/* -k to stdio: in line. */
static int nWaiting;

static void
StopListening(void)
{
    cli_tls_abort();		/* Handshakes not yet served. */
    if (server != NULL) {
	sc_close(server);
	server = NULL;
    }
}

/* Without -k: done when the one connection is. */
static void
MaybeDone(void)
{
    if (runOptions->keepOpen || served == 0 || current != NULL
	    || nChildren > 0 || cli_tls_bridges() > 0
	    || (echoService && cli_echo_live(echoService))) {
	return;
    }
    Finish(runOptions->exec ? lastStatus : 0);
}

static void SessionClosed(struct session *s);

/* The command is ending: the connections in line, then the session. */
static void
EndSessions(void)
{
    while (nWaiting > 0) {
	sc_close(waiting[--nWaiting]);
    }
    if (current != NULL) {
	EndSession(current);
    }
}

static void
NextWaiting(void)
{
    if (current == NULL && nWaiting > 0) {
	sc_chan *next = waiting[0];

	memmove(waiting, waiting + 1, (size_t) --nWaiting * sizeof(*waiting));
	Relay(next, runOptions, SessionClosed);
    }
}

static void
SessionClosed(struct session *s)
{
    if (s->failed && !runOptions->keepOpen) {
	Finish(EXIT_NET);
    }
    NextWaiting();
    MaybeDone();
}

static void
EchoClosed(void *clientData)
{
    (void) clientData;
    MaybeDone();
}

/* A connection to serve (after its TLS handshake, with --ssl). */
static void
Serve(void *clientData, sc_chan *chan, const char *address, int port)
{
    long max = runOptions->maxConns;
    const struct options *o = runOptions;

    const char *why;

    (void) clientData;
    if (o->verbose) {
	char from[CLI_HOST_TEXT];

	if (o->unix) {
	    fprintf(stderr, "sockchan: connection on %s\n", unixWhere);
	} else {
	    cli_endpoint(from, sizeof(from), address, port);
	    fprintf(stderr, "sockchan: connection from %s\n", from);
	}
    }
    /* --allow, --deny: closed at once, and the listener listens on. */
    if (o->acl && (why = cli_acl_check(o->acl, address)) != NULL) {
	if (o->verbose) {
	    fprintf(stderr, "sockchan: connection denied: %s\n", why);
	}
	sc_close(chan);
	return;
    }
    /* -m: past the limit, the connection is closed as it comes. */
    if (max > 0 && (o->exec ? nChildren : o->echo
	    ? (long) cli_echo_live(echoService)
	    : (current != NULL) + nWaiting) >= max) {
	if (o->verbose) {
	    fprintf(stderr, "sockchan: connection denied: connection limit "
		    "reached (%ld)\n", max);
	}
	sc_close(chan);
	return;
    }
    served++;
    if (!o->keepOpen) {
	StopListening();
    }
    if (o->echo) {
	cli_echo_start(echoService, chan);
    } else if (o->exec) {
	Exec(chan);
    } else if (current != NULL) {
	if (nWaiting == RELAY_WAITING) {
	    sc_close(chan);
	} else {
	    waiting[nWaiting++] = chan;
	}
    } else {
	Relay(chan, o, SessionClosed);
    }
}

static void
Accepted(void *clientData, sc_chan *chan, const char *address, int port)
{
    if (runOptions->tls.on) {
	cli_tls_accept(&runOptions->tls, chan, address, port,
		Serve, clientData);
    } else {
	Serve(clientData, chan, address, port);
    }
}

static int
Listen(const struct options *o, const char *where)
{
    runOptions = o;
    unixWhere = where;
    StartLoop();
    if (o->echo) {
	echoService = cli_echo_new((size_t) o->outputLimit,
		(size_t) o->outputBudget, EchoClosed, NULL);
	cli_raise_nofile();
    }
    if (o->unix) {
	sc_unix_options uo = {0, o->mode, (int) o->backlog, 0};

	server = sc_open_unix_server(loop, where, &uo, Accepted, NULL);
    } else {
	unsigned flags = (unsigned) o->family
		| (o->reuseaddr ? SC_TCP_REUSEADDR : 0)
		| (o->reuseport ? SC_TCP_REUSEPORT : 0);

	server = sc_open_tcp_server_ex(loop, where, o->myaddr, flags,
		(int) o->backlog, Accepted, NULL);
    }
    if (server == NULL) {
	/* A path too long or taken by a file is the user's input. */
	cli_die(errno == ENAMETOOLONG || errno == EEXIST ? EXIT_USAGE
		: EXIT_NET, "%s", sc_errmsg(loop));
    }
    cli_announce(server, o->unix ? where : NULL);
    WatchSignals(ConnectSignal);
    return Run();
}

int
cmd_listen(int argc, char **argv)
{
    struct options o;
    int status;

    memset(&o, 0, sizeof(o));
    o.command = "listen";
    ParseOptions(argc, argv, &o, listenHelp, 1);
    if (argc - optind != 1) {
	cli_usage("listen", "listen takes one PORT");
    }
    if (cli_port(argv[optind]) < 0) {
	cli_usage("listen", "bad port \"%s\": should be a number from 0 to "
		"65535 or a service name", argv[optind]);
    }
    status = Listen(&o, argv[optind]);
    cli_program_free(&o.prog);
    cli_acl_free(o.acl);
    free(children);
    children = NULL;
    return status;
}

/*
 *----------------------------------------------------------------------
 *
 * unix listen | connect
 *
 *----------------------------------------------------------------------
 */

int
cmd_unix(int argc, char **argv)
{
    struct options o;
    int listening, status;
    const char *path;

    memset(&o, 0, sizeof(o));
    o.unix = 1;
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0
	    || strcmp(argv[1], "--help") == 0)) {
	fputs(unixHelp, stdout);
	return 0;
    }
    if (argc < 2 || (strcmp(argv[1], "listen") != 0
	    && strcmp(argv[1], "connect") != 0)) {
	cli_usage("unix", "unix takes listen or connect");
    }
    listening = strcmp(argv[1], "listen") == 0;
    o.command = "unix";
    ParseOptions(argc - 1, argv + 1, &o, unixHelp, listening);
    if (argc - 1 - optind != 1) {
	cli_usage("unix", "unix %s takes one PATH", argv[1]);
    }
    path = argv[1 + optind];
    if (path[0] == '\0') {
	cli_usage("unix", "unix %s needs a PATH: got \"\"", argv[1]);
    }
    status = listening ? Listen(&o, path) : Connect(&o, path, NULL);
    cli_program_free(&o.prog);
    cli_acl_free(o.acl);
    free(children);
    children = NULL;
    return status;
}
