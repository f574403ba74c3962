/*
 * test_faults.c --
 *
 *	Fault injection through the system-call seam, call by call. One
 *	scripted scenario (a TCP server on 127.0.0.1 that echoes; three
 *	asynchronous clients that each send 20,000 patterned bytes,
 *	half-close and read the echo back to the end; every channel closed)
 *	runs once to count the calls it makes of each kind. Then, for every
 *	wrapped call and every errno that call can plausibly return, the Nth
 *	call of that kind is made to fail, for N over the calls the scenario
 *	makes, and each run must show:
 *
 *	- no crash, and no hang (every run ends within its deadline);
 *	- no byte lost or changed: a client either gets its whole echo,
 *	  intact, or sees exactly one error with a message in Tcl's words,
 *	  or sees the peer end early (the server's side of the fault);
 *	- nothing leaked: no descriptor, no handler or timer left on the loop
 *	  (and no memory, which LeakSanitizer checks in the sanitizer build);
 *	- the server keeps serving: once faults stop, a new client gets its
 *	  whole echo from the same server (or, if the server could not be
 *	  opened, a new server opens on the next try: nothing half-made).
 *
 *	Sockets move bytes with recv and send (read, write and writev serve
 *	pipes, eventfds and files, which the channel tests cover).
 *
 *	The figures (runs and faults injected per call) go to stdout as
 *	"faults: CALL ERRNO runs=N" lines; scripts/reliability.sh collects
 *	them into docs/RELIABILITY.md.
 */

#include "harness.h"
#include "core/sys.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NCLIENTS 3
#define PAYLOAD 20000
#define MAXACCEPT 16
#define RUN_MS 5000		/* One scenario's deadline. */
#define MAX_POINTS 48		/* Values of N tried per call and errno. */

enum { RUNNING, OK, FAILED, CUT };

struct client {
    struct scenario *sc;
    sc_chan *chan;
    int id;
    size_t sent, got;
    int state;
    char msg[256];
};

struct scenario {
    sc_loop *loop;
    sc_chan *server;
    int port;
    sc_chan *accepted[MAXACCEPT];
    struct client cl[NCLIENTS + 1];
    int finished;		/* Clients no longer RUNNING. */
    int timedOut;
    const char *what;		/* The fault, for failure messages. */
};

static unsigned char
Pattern(int id, size_t i)
{
    return (unsigned char) (i * 7 + (size_t) id * 13 + i / 251);
}

/* A message in Tcl's words: something, and no C library leftovers. */
#define CheckMessage(sc, msg) CheckMessageAt((sc), (msg), __LINE__)

static void
CheckMessageAt(const struct scenario *sc, const char *msg, int line)
{
    if (msg == NULL || msg[0] == '\0' || strstr(msg, "Success") != NULL
	    || strstr(msg, "Unknown error") != NULL
	    || strstr(msg, "(null)") != NULL) {
	fail_msg("%s: bad error message \"%s\" (test_faults.c:%d)",
		sc->what, msg ? msg : "NULL", line);
    }
}

/* --- the server: echo what comes, close at end of file ------------------ */

static void
ServerDrop(struct scenario *sc, sc_chan *chan)
{
    int i;

    for (i = 0; i < MAXACCEPT; i++) {
	if (sc->accepted[i] == chan) {
	    sc->accepted[i] = NULL;
	}
    }
    sc_close(chan);
}

static void
ServerEcho(void *clientData, int mask)
{
    sc_chan **slot = clientData;
    sc_chan *chan = *slot;
    char buf[4096];
    long n;

    (void) mask;
    n = sc_read(chan, buf, sizeof(buf));
    if (n == SC_BLOCKED) {
	return;
    }
    if (n > 0) {
	long w = sc_write(chan, buf, (size_t) n);

	if (w == n) {
	    return;
	}
    }
    /* End of file, or an error on either side: this connection ends;
     * the client sees it end early. */
    *slot = NULL;
    sc_close(chan);
}

static void
ServerAccept(void *clientData, sc_chan *chan, const char *addr, int port)
{
    struct scenario *sc = clientData;
    int i;

    (void) addr;
    (void) port;
    for (i = 0; i < MAXACCEPT && sc->accepted[i] != NULL; i++) {
    }
    if (i == MAXACCEPT
	    || sc_chan_set_blocking(chan, 0) < 0
	    || sc_chan_configure(chan, "-translation", "binary") < 0) {
	sc_close(chan);
	return;
    }
    sc->accepted[i] = chan;
    if (sc_chan_event(chan, SC_READABLE, ServerEcho, &sc->accepted[i]) < 0) {
	ServerDrop(sc, chan);
    }
}

/* --- the clients --------------------------------------------------------- */

static void
Finish(struct client *c, int state, const char *msg)
{
    if (c->state != RUNNING) {
	fail_msg("%s: client %d reported twice (%s)", c->sc->what, c->id,
		msg ? msg : "");
    }
    c->state = state;
    if (msg != NULL) {
	CheckMessage(c->sc, msg);
	snprintf(c->msg, sizeof(c->msg), "%s", msg);
    }
    c->sc->finished++;
    (void) sc_close(c->chan);
    c->chan = NULL;
}

static void
ClientRead(void *clientData, int mask)
{
    struct client *c = clientData;
    unsigned char buf[4096];
    long n, i;

    (void) mask;
    for (;;) {
	n = sc_read(c->chan, buf, sizeof(buf));
	if (n == SC_BLOCKED) {
	    return;
	}
	if (n == SC_EOF) {
	    Finish(c, c->got == PAYLOAD ? OK : CUT, NULL);
	    return;
	}
	if (n < 0) {
	    Finish(c, FAILED, sc_errmsg(c->sc->loop));
	    return;
	}
	for (i = 0; i < n; i++) {
	    if (c->got + (size_t) i >= PAYLOAD
		    || buf[i] != Pattern(c->id, c->got + (size_t) i)) {
		fail_msg("%s: client %d: byte %zu lost or changed",
			c->sc->what, c->id, c->got + (size_t) i);
	    }
	}
	c->got += (size_t) n;
    }
}

static void
ClientWrite(void *clientData, int mask)
{
    struct client *c = clientData;
    unsigned char buf[PAYLOAD];
    size_t i;
    long n;

    (void) mask;
    if (c->sent == 0 && c->got == 0) {
	char *err = sc_chan_cget(c->chan, "-error");

	if (err == NULL || err[0] != '\0') {
	    char msg[256];

	    snprintf(msg, sizeof(msg), "%s",
		    err ? err : sc_errmsg(c->sc->loop));
	    free(err);
	    Finish(c, FAILED, msg);
	    return;
	}
	free(err);
	if (sc_chan_event(c->chan, SC_READABLE, ClientRead, c) < 0) {
	    Finish(c, FAILED, sc_errmsg(c->sc->loop));
	    return;
	}
    }
    for (i = 0; i < PAYLOAD - c->sent; i++) {
	buf[i] = Pattern(c->id, c->sent + i);
    }
    n = sc_write(c->chan, buf, PAYLOAD - c->sent);
    if (n < 0) {
	Finish(c, FAILED, sc_errmsg(c->sc->loop));
	return;
    }
    c->sent += (size_t) n;
    if (c->sent < PAYLOAD) {
	return;			/* The queue is full: wait for room. */
    }
    (void) sc_chan_event(c->chan, SC_WRITABLE, NULL, NULL);
    if (sc_close_half(c->chan, SC_WRITABLE) < 0) {
	Finish(c, FAILED, sc_errmsg(c->sc->loop));
    }
}

static void
StartClient(struct scenario *sc, int id)
{
    struct client *c = &sc->cl[id];
    sc_tcp_options o = {NULL, NULL, SC_TCP_ASYNC, RUN_MS / 2};
    char port[16];

    memset(c, 0, sizeof(*c));
    c->sc = sc;
    c->id = id;
    c->state = RUNNING;
    snprintf(port, sizeof(port), "%d", sc->port);
    c->chan = sc_open_tcp_client(sc->loop, "127.0.0.1", port, &o);
    if (c->chan == NULL) {
	c->state = FAILED;
	CheckMessage(sc, sc_errmsg(sc->loop));
	sc->finished++;
	return;
    }
    if (sc_chan_configure(c->chan, "-translation", "binary") < 0
	    || sc_chan_event(c->chan, SC_WRITABLE, ClientWrite, c) < 0) {
	Finish(c, FAILED, sc_errmsg(sc->loop));
    }
}

/* --- running ------------------------------------------------------------- */

static void
TimedOut(void *clientData)
{
    *(int *) clientData = 1;
}

/* Handle events until *counter reaches target or ms pass; 0, or -1 on
 * timeout. Errors of the loop itself (an injected epoll_wait failure)
 * are reported by sc_do_one_event and the loop goes on, as a program's
 * would. */
static int
RunUntil(struct scenario *sc, const int *counter, int target, long ms)
{
    int late = 0;
    sc_timer t = sc_create_timer(sc->loop, ms, TimedOut, &late);

    if (t == 0) {
	fail_msg("%s: can't create the deadline timer", sc->what);
    }
    while (*counter < target && !late) {
	if (sc_do_one_event(sc->loop, SC_ALL_EVENTS) < 0) {
	    CheckMessage(sc, sc_errmsg(sc->loop));
	}
    }
    if (!late) {
	sc_delete_timer(sc->loop, t);
    }
    return late ? -1 : 0;
}

/* The server's port (-sockname's last word), or -1 when the option
 * can't be read (the fault may hit getsockname or an allocation). */
static int
PortOf(struct scenario *sc)
{
    char *v = sc_chan_cget(sc->server, "-sockname"), *p;
    int port;

    if (v == NULL) {
	CheckMessage(sc, sc_errmsg(sc->loop));
	return -1;
    }
    p = strrchr(v, ' ');
    assert_non_null(p);
    port = atoi(p + 1);
    free(v);
    return port;
}

static int
CountFds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
	n += e->d_name[0] != '.';
    }
    closedir(d);
    return n;
}

/* The faulty part: open the server (unless open), run the clients. */
static void
Phase(struct scenario *sc, int first, int n)
{
    int i, target;

    if (sc->server == NULL) {
	sc->server = sc_open_tcp_server(sc->loop, "0", "127.0.0.1",
		ServerAccept, sc);
	if (sc->server == NULL) {
	    CheckMessage(sc, sc_errmsg(sc->loop));
	    return;
	}
	sc->port = PortOf(sc);
	if (sc->port < 0) {
	    sc_close(sc->server);
	    sc->server = NULL;
	    return;
	}
    }
    sc->finished = 0;
    for (i = first; i < first + n; i++) {
	StartClient(sc, i);
    }
    target = n;
    if (RunUntil(sc, &sc->finished, target, RUN_MS) < 0) {
	char states[64] = "";

	for (i = first; i < first + n; i++) {
	    snprintf(states + strlen(states), sizeof(states) - strlen(states),
		    " %d:%d/%zu/%zu", sc->cl[i].state, i, sc->cl[i].sent,
		    sc->cl[i].got);
	}
	fail_msg("%s: hung (clients state/id/sent/got:%s)", sc->what,
		states);
    }
}

/* Close what is left and let background closes finish. */
static void
Teardown(struct scenario *sc)
{
    int i, none = 0;

    for (i = 0; i < MAXACCEPT; i++) {
	if (sc->accepted[i] != NULL) {
	    ServerDrop(sc, sc->accepted[i]);
	}
    }
    if (sc->server != NULL) {
	sc_close(sc->server);
	sc->server = NULL;
    }
    for (i = 0; i < 200 && sc_loop_handlers(sc->loop, SC_ALL_EVENTS) > 0;
	    i++) {
	(void) RunUntil(sc, &none, 1, 10);
    }
}

/*
 * One run: the scenario with the fault armed (sysno < 0: none), then the
 * check that all still works with faults cleared. Returns how many calls
 * of kind sysno the faulty part made.
 */
static unsigned long
Run(int sysno, unsigned long nth, int err)
{
    struct scenario *sc = calloc(1, sizeof(*sc));
    char what[128];
    unsigned long before;
    int fds = CountFds(), i;

    assert_non_null(sc);
    snprintf(what, sizeof(what), "%s %s call %lu",
	    sysno < 0 ? "no fault" : sc__sys_name(sysno),
	    sysno < 0 ? "" : strerror(err), nth);
    sc->what = what;
    sc->loop = sct_loop();
    before = sysno < 0 ? 0 : sc__sys_calls(sysno);
    if (sysno >= 0) {
	sc__fault_set(sysno, nth, 1, err);
    }
    Phase(sc, 0, NCLIENTS);
    sc__fault_clear();
    before = sysno < 0 ? 0 : sc__sys_calls(sysno) - before;
    if (sysno < 0) {
	for (i = 0; i < NCLIENTS; i++) {
	    if (sc->cl[i].state != OK) {
		fail_msg("no fault: client %d ended %d: %s", i,
			sc->cl[i].state, sc->cl[i].msg);
	    }
	}
    }

    /* The server still serves (or opens now, whole). */
    Phase(sc, NCLIENTS, 1);
    if (sc->server == NULL) {
	fail_msg("%s: the server can't open once faults stop: %s", what,
		sc_errmsg(sc->loop));
    }
    if (sc->cl[NCLIENTS].state != OK) {
	fail_msg("%s: a new client after the fault ended %d: %s", what,
		sc->cl[NCLIENTS].state, sc->cl[NCLIENTS].msg);
    }
    Teardown(sc);
    sct_loop_free(sc->loop);
    if (CountFds() != fds) {
	fail_msg("%s: %d descriptors leaked", what, CountFds() - fds);
    }
    free(sc);
    return before;
}

/*
 * The same rule for every driver, not only sockets: a pipe channel whose
 * descriptor the loop can't watch fails instead of hanging. Its readable
 * handler runs and the read gives the error; a background close whose
 * watch fails still ends, leaving nothing behind.
 */
struct watchCase {
    int calls;
    long result;
    char msg[256];
};

static struct watchCase watchCase;

static void
WatchRead(void *clientData, int mask)
{
    sc_chan *chan = clientData;
    char buf[16];

    (void) mask;
    watchCase.calls++;
    watchCase.result = sc_read(chan, buf, sizeof(buf));
    snprintf(watchCase.msg, sizeof(watchCase.msg), "%s",
	    sc_errmsg(sc_chan_loop(chan)));
    sc_chan_event(chan, SC_READABLE, NULL, NULL);
}

static void
fd_channel_watch_fails(void **state)
{
    int fds[2], fdsBefore = CountFds(), i, none = 0, r2;
    sc_loop *loop = sc_loop_new(SC_LOOP_EPOLL);
    struct scenario sc = {0};
    sc_chan *r, *w;
    char block[4096];

    (void) state;
    assert_non_null(loop);
    sc.loop = loop;
    sc.what = "pipe channel, epoll_ctl ENOMEM";
    memset(&watchCase, 0, sizeof(watchCase));
    assert_int_equal(pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
    r = sc_chan_open_fd(loop, fds[0], SC_READABLE, 0);
    w = sc_chan_open_fd(loop, fds[1], SC_WRITABLE, 0);
    assert_non_null(r);
    assert_non_null(w);

    /* Reading: the handler runs, once removed it stays quiet. */
    sc__fault_set(SC_SYS_EPOLL_CTL, 1, 1, ENOMEM);
    assert_int_equal(sc_chan_event(r, SC_READABLE, WatchRead, r), 0);
    sc__fault_clear();
    sct_wait_for(loop, &watchCase.calls, 2000);
    assert_int_equal(watchCase.result, SC_ERROR);
    assert_non_null(strstr(watchCase.msg, sc_errno_msg(ENOMEM)));

    /* Writing: fill the pipe until output queues, with the watch for
     * room failing; the queued output then fails, and close, with nothing
     * left to send in the background, ends at once. */
    memset(block, 'x', sizeof(block));
    sc__fault_set(SC_SYS_EPOLL_CTL, 1, 0, ENOMEM);
    for (i = 0, r2 = 0; i < 10000 && r2 == 0; i++) {
	assert_int_equal(sc_write(w, block, sizeof(block)), sizeof(block));
	r2 = sc_flush(w);
	if (r2 == 0 && sc_pending(w, SC_WRITABLE) > 0) {
	    r2 = sc_flush(w);	/* The watch failed: this one says so. */
	    assert_int_equal(r2, SC_ERROR);
	}
    }
    sc__fault_clear();
    assert_int_equal(r2, SC_ERROR);
    assert_non_null(strstr(sc_errmsg(loop), sc_errno_msg(ENOMEM)));
    (void) sc_close(w);
    (void) RunUntil(&sc, &none, 1, 10);
    sc_close(r);
    assert_int_equal(sc_loop_handlers(loop, SC_ALL_EVENTS), 0);
    sc_loop_free(loop);
    assert_int_equal(CountFds(), fdsBefore);
}

/* For each errno, fail the Nth call for N over what the scenario makes. */
static void
Sweep(int sysno, const int *errs)
{
    unsigned long calls = 0, nth, step;
    int r, k;

    /* Count the calls: the baseline, three times for the largest. */
    for (r = 0; r < 3; r++) {
	unsigned long before = sc__sys_calls(sysno), c;

	(void) Run(-1, 0, 0);
	c = sc__sys_calls(sysno) - before;
	calls = c > calls ? c : calls;
    }
    if (calls == 0) {
	skip();
    }
    step = calls > MAX_POINTS ? (calls + MAX_POINTS - 1) / MAX_POINTS : 1;
    for (k = 0; errs[k] != 0; k++) {
	unsigned long runs = 0;

	for (nth = 1; nth <= calls; nth += step) {
	    (void) Run(sysno, nth, errs[k]);
	    runs++;
	}
	printf("faults: %s %s calls=%lu runs=%lu\n", sc__sys_name(sysno),
		strerrorname_np(errs[k]), calls, runs);
    }
    fflush(stdout);
}

#define SWEEP(name, sysno, ...)						\
    static void								\
    name(void **state)							\
    {									\
	static const int errs[] = {__VA_ARGS__, 0};			\
									\
	(void) state;							\
	Sweep(sysno, errs);						\
    }

SWEEP(socket_fails, SC_SYS_SOCKET, EMFILE, ENFILE, ENOBUFS, ENOMEM, EACCES)
SWEEP(bind_fails, SC_SYS_BIND, EADDRINUSE, EACCES, EADDRNOTAVAIL)
SWEEP(listen_fails, SC_SYS_LISTEN, EADDRINUSE, ENOBUFS)
SWEEP(accept_fails, SC_SYS_ACCEPT4, EMFILE, ENFILE, ENOBUFS, ENOMEM,
	ECONNABORTED, EAGAIN, EPERM, EPROTO)
SWEEP(connect_fails, SC_SYS_CONNECT, ECONNREFUSED, ETIMEDOUT, ENETUNREACH,
	EAGAIN, EADDRNOTAVAIL, EINTR)
SWEEP(recv_fails, SC_SYS_RECV, ECONNRESET, EAGAIN, ETIMEDOUT, ENOMEM, EINTR)
SWEEP(send_fails, SC_SYS_SEND, EPIPE, ECONNRESET, EAGAIN, ENOBUFS, EINTR)
SWEEP(shutdown_fails, SC_SYS_SHUTDOWN, ENOTCONN, ENOBUFS)
SWEEP(close_fails, SC_SYS_CLOSE, EINTR, EIO)
SWEEP(fcntl_fails, SC_SYS_FCNTL, EINVAL, EBADF)
SWEEP(setsockopt_fails, SC_SYS_SETSOCKOPT, ENOMEM, ENOBUFS, EINVAL)
SWEEP(getsockopt_fails, SC_SYS_GETSOCKOPT, ENOMEM, ENOBUFS, EINVAL)
SWEEP(getsockname_fails, SC_SYS_GETSOCKNAME, ENOBUFS, EINVAL)
SWEEP(getpeername_fails, SC_SYS_GETPEERNAME, ENOTCONN, ENOBUFS)
SWEEP(epoll_ctl_fails, SC_SYS_EPOLL_CTL, ENOMEM, ENOSPC)
SWEEP(epoll_wait_fails, SC_SYS_EPOLL_WAIT, EINTR, ENOMEM)

/* The poll backend's own call, on a loop of that backend. */
static void
poll_fails(void **state)
{
    static const int errs[] = {EINTR, ENOMEM, 0};

    (void) state;
    assert_int_equal(setenv("SOCKCHAN_BACKEND", "poll", 1), 0);
    Sweep(SC_SYS_POLL, errs);
}
SWEEP(malloc_fails, SC_SYS_MALLOC, ENOMEM)

static const struct CMUnitTest tests[] = {
    SCT(socket_fails),
    SCT(bind_fails),
    SCT(listen_fails),
    SCT(accept_fails),
    SCT(connect_fails),
    SCT(recv_fails),
    SCT(send_fails),
    SCT(shutdown_fails),
    SCT(close_fails),
    SCT(fcntl_fails),
    SCT(setsockopt_fails),
    SCT(getsockopt_fails),
    SCT(getsockname_fails),
    SCT(getpeername_fails),
    SCT(epoll_ctl_fails),
    SCT(epoll_wait_fails),
    SCT(poll_fails),
    SCT(malloc_fails),
    SCT(fd_channel_watch_fails),
};

SCT_MAIN(tests)
